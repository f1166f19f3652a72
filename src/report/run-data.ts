// A run directory read back for the report and `ttt show`: run.json, report.json, the task records, and
// the source tasks (grids) with their truths from the solutions named by the run (or given).
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { gridToRows, loadTasks, type Grid, type Task } from "../arc/index.ts";
import {
  parseRunInfo,
  parseRunReport,
  parseTaskRecord,
  readFileText,
  REPORT_FILE,
  RUN_FILE,
  type StoredRunInfo,
  type RunReport,
  type RunSettings,
  type TaskRecord,
} from "../rundir/formats/index.ts";
import { taskNotes } from "../rundir/records.ts";

/** Grid rows as strings of digits ("0120"): compact for embedding. */
export type DigitRows = string[];

export interface ReportAttempt {
  grid: DigitRows;
  confidence: number | null;
  /** Copies of the model that produced this grid (null in records without votes). */
  votes: number | null;
}

export interface ReportTest {
  input: DigitRows | null;
  truth: DigitRows | null;
  attempts: ReportAttempt[];
  correct: boolean | null;
}

export interface ReportTask {
  id: string;
  status: string;
  stop: string;
  message: string | null;
  /** Faults, the retry and a resume (records.ts's taskNotes), shown beside the status. */
  notes: string[];
  /** Correct outputs / outputs when known. */
  score: number | null;
  seconds: number;
  steps: number;
  finalLoss: number | null;
  /** The lowest first-attempt confidence over the test inputs (null when none). */
  confidence: number | null;
  /** Copies of the model trained in all, and the restarts among them (null when not recorded). */
  copies: number | null;
  restarts: number | null;
  loss: [number, number | null][];
  train: [DigitRows, DigitRows][];
  test: ReportTest[];
}

export interface ReportData {
  title: string;
  runDir: string;
  source: string | null;
  solutions: string | null;
  state: string;
  startedAt: string | null;
  updatedAt: string | null;
  settings: Partial<RunSettings>;
  totals: RunReport["totals"] | null;
  warnings: string[];
  tasks: ReportTask[];
}

export interface ReadRunOptions {
  /** Override the task source recorded in run.json. */
  tasks?: string;
  /** Override the solutions recorded in run.json ("none" to skip). */
  solutions?: string;
}

export const digitRows = (g: Grid): DigitRows => gridToRows(g).map((r) => r.join(""));
const rowsToDigits = (rows: number[][]): DigitRows => rows.map((r) => r.join(""));

/** A path recorded by a run: as given when it exists (absolute or from here), else beside the run directory. */
export function findRecordedPath(path: string, runDir: string): string | undefined {
  if (existsSync(path)) return path;
  if (!isAbsolute(path)) {
    for (const base of [dirname(resolve(runDir)), resolve(runDir)])
      if (existsSync(join(base, path))) return join(base, path);
  }
  return undefined;
}

/**
 * Records of a run in run.json's order (tasks not finished yet are left out). Throws when run.json is
 * missing or not a run's; a report.json or record that is not of its format is left out, named in
 * `warnings` (file and field).
 */
export function readRecords(runDir: string): {
  run: StoredRunInfo;
  report: RunReport | null;
  records: TaskRecord[];
  warnings: string[];
} {
  const runFile = join(runDir, RUN_FILE);
  if (!existsSync(runFile)) throw new Error(`${runDir} is not a run directory (no ${RUN_FILE})`);
  const run = parseRunInfo(readFileText(runFile), runFile);
  const warnings: string[] = [];
  const reportFile = join(runDir, REPORT_FILE);
  let report: RunReport | null = null;
  if (existsSync(reportFile)) {
    try {
      report = parseRunReport(readFileText(reportFile), reportFile);
    } catch (e) {
      warnings.push(`${(e as Error).message}: the report's totals are not shown`);
    }
  }
  const records: TaskRecord[] = [];
  for (const t of run.tasks) {
    const file = join(runDir, t.record);
    if (!existsSync(file)) continue;
    try {
      records.push(parseTaskRecord(readFileText(file), file));
    } catch (e) {
      warnings.push(`${(e as Error).message}: task ${t.id} is left out`);
    }
  }
  return { run, report, records, warnings };
}

/** Load the source tasks of a run (with truths), or a warning saying why not. */
export async function loadRunTasks(
  runDir: string,
  run: Pick<StoredRunInfo, "source" | "solutions">,
  o: ReadRunOptions = {},
): Promise<{
  tasks: Map<string, Task>;
  source: string | null;
  solutions: string | null;
  warnings: string[];
}> {
  const warnings: string[] = [];
  const tasks = new Map<string, Task>();
  const wanted = o.tasks ?? run.source;
  const source = typeof wanted === "string" ? (findRecordedPath(wanted, runDir) ?? null) : null;
  let solutions: string | null = null;
  if (o.solutions !== "none") {
    const s = o.solutions ?? run.solutions;
    if (typeof s === "string") {
      solutions = findRecordedPath(s, runDir) ?? null;
      if (!solutions) warnings.push(`solutions ${s} not found: truths are not shown`);
    }
  }
  if (!source) {
    warnings.push(`task source ${wanted ?? "(not recorded)"} not found: grids are not shown (give --tasks)`);
    return { tasks, source: null, solutions, warnings };
  }
  const loaded = await loadTasks(source, solutions ? { solutions } : {});
  for (const t of loaded.tasks) tasks.set(t.id, t);
  if (loaded.errors.length) warnings.push(`${loaded.errors.length} load problem(s) in ${source}`);
  return { tasks, source, solutions, warnings };
}

/** One task as the report shows it. */
export function reportTask(r: TaskRecord, task: Task | undefined): ReportTask {
  const tests = task?.test.length ?? r.answers.length;
  const firstConf = r.answers.map((a) => a.confidences[0]).filter((c): c is number => typeof c === "number");
  return {
    id: r.id,
    status: r.status,
    stop: r.stop,
    message: r.message ?? null,
    notes: taskNotes(r),
    score: typeof r.score === "number" ? r.score : null,
    seconds: r.seconds,
    steps: r.steps,
    finalLoss: r.finalLoss,
    confidence: firstConf.length ? Math.min(...firstConf) : null,
    copies: r.copies ?? null,
    restarts: r.restarts ?? null,
    loss: r.lossCurve.map(([s, l]) => [
      s,
      l === null || !Number.isFinite(l) ? null : Number(l.toPrecision(4)),
    ]),
    train: (task?.train ?? []).map((p) => [digitRows(p.input), digitRows(p.output)]),
    test: Array.from({ length: tests }, (_, i) => {
      const t = task?.test[i];
      const a = r.answers[i];
      return {
        input: t ? digitRows(t.input) : null,
        truth: t?.output ? digitRows(t.output) : null,
        attempts: (a?.attempts ?? []).slice(0, 2).map((rows, k) => ({
          grid: rowsToDigits(rows),
          confidence: a?.confidences[k] ?? null,
          votes: a?.votes?.[k] ?? null,
        })),
        correct: r.correct?.[i] ?? null,
      };
    }),
  };
}

/** Everything the HTML report needs from a run directory. */
export async function readReportData(runDir: string, o: ReadRunOptions = {}): Promise<ReportData> {
  const { run, report, records, warnings: fileWarnings } = readRecords(runDir);
  const { tasks, source, solutions, warnings } = await loadRunTasks(runDir, run, o);
  return {
    title: `ttt run ${resolve(runDir)}`,
    runDir: resolve(runDir),
    source,
    solutions,
    state: report?.state ?? "unknown",
    startedAt: run.startedAt ?? report?.startedAt ?? null,
    updatedAt: report?.updatedAt ?? null,
    settings: run.settings ?? {},
    totals: report?.totals ?? null,
    warnings: [...(run.loadErrors ?? []).map((e) => `load: ${e}`), ...fileWarnings, ...warnings],
    tasks: records.map((r) => reportTask(r, tasks.get(r.id))),
  };
}
