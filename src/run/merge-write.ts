// What `ttt merge` writes: one submission over every task of the set (a task without a finished record
// gets the always-valid [[0]] attempts), and a merged run folder with the records, run.json, report.json
// and report.html over all tasks, scored when the solutions the shards name can be found. Every file is
// replaced atomically, so merging again (more shards finished, or the same) just rewrites them.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildSubmission, gridFromRows, loadSolutions, writeSubmission, type Grid } from "../arc/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { writeFileAtomic } from "../util/atomic-write.ts";
import { WriteFailure, writing } from "../util/write-failure.ts";
import { installWriteFaults, parseFaults } from "../workers/fault-injection.ts";
import { findRecordedPath } from "../report/run-data.ts";
import { reportEntry, runTotals, type TaskRecord } from "../rundir/records.ts";
import { RUN_DIR_FORMAT } from "../rundir/formats/index.ts";
import { fileStems, readableJson } from "../rundir/run-dir.ts";
import type { MergePlan } from "../rundir/merge.ts";
import type { ShardRead } from "../rundir/shard-read.ts";
import { MERGE_KEYS } from "../rundir/settings-keys.ts";

export interface MergeOutput {
  submission: string;
  folder: string;
  /** The report's totals (score among them when the solutions were found). */
  totals: ReturnType<typeof runTotals>;
  solutions: string | null;
  warnings: string[];
}

/** Write the submission and the merged folder for a checked plan. */
export async function writeMerge(plan: MergePlan, output: string, folder: string): Promise<MergeOutput> {
  installWriteFaults(parseFaults(process.env.TTT_INJECT_FAULT));
  try {
    return await writeMergeFiles(plan, output, folder);
  } catch (e) {
    if (!(e instanceof WriteFailure)) throw e;
    throw new Error(
      `${e.message}; the shards are as they were${e.outOfSpace ? ": free space, then run ttt merge again" : ""}`,
    );
  }
}

async function writeMergeFiles(plan: MergePlan, output: string, folder: string): Promise<MergeOutput> {
  const warnings: string[] = [];
  const info = plan.shards[0]!.info;
  const answers = new Map<string, Grid[][]>();
  for (const [id, r] of plan.records)
    answers.set(
      id,
      r.answers.map((a) => a.attempts.slice(0, 2).map((rows) => gridFromRows(rows))),
    );
  const list = plan.tasks.map((t) => ({ id: t.id, test: Array.from({ length: t.tests }) }));
  const submission = buildSubmission(list, answers);

  let solutions = new Map<string, Grid[]>();
  let solutionsFile: string | null = null;
  if (info.solutions !== null) {
    const found = findRecordedPath(info.solutions, plan.shards[0]!.dir);
    if (found) {
      const loaded = await loadSolutions(found);
      solutions = new Map([...loaded.solutions].filter(([id]) => plan.tasks.some((t) => t.id === id)));
      solutionsFile = resolve(found);
    } else warnings.push(`solutions ${info.solutions} not found: the merge is not scored`);
  }
  const source = findRecordedPath(info.source, plan.shards[0]!.dir);
  const seconds = Math.max(0, ...plan.shards.map((s) => s.seconds));
  const records = plan.tasks.map((t) => plan.records.get(t.id)).filter((r): r is TaskRecord => !!r);
  const attempts = new Map(
    Object.entries(submission).map(([id, l]) => [
      id,
      l.map((a) => ({ attempt_1: gridFromRows(a.attempt_1), attempt_2: gridFromRows(a.attempt_2) })),
    ]),
  );
  const totals = runTotals(records, seconds, attempts, solutions);

  mkdirSync(join(folder, "tasks"), { recursive: true });
  const stems = fileStems(plan.tasks.map((t) => t.id));
  for (const r of records) {
    const path = join(folder, "tasks", `${stems.get(r.id)}.json`);
    writing("record", path, () => writeFileAtomic(path, readableJson(r), "record"));
  }
  const header = {
    tool: "ttt",
    command: "solve",
    mergedBy: "ttt merge",
    version: pkg.version,
    startedAt: new Date().toISOString(),
    source: source ? resolve(source) : info.source,
    submission: output,
    runDir: folder,
    solutions: solutionsFile,
    settings: mergedSettings(plan),
    loadErrors: [],
  };
  const shards = [...Array(plan.count).keys()].map((i) => {
    const s = plan.shards.find((x) => x.info.shard.index === i);
    const u = plan.unfinished.find((x) => x.dir === s?.dir);
    return {
      index: i,
      dir: s ? resolve(s.dir) : null,
      state: !s ? "absent" : u ? "unfinished" : "finished",
      tasks: plan.tasks.filter((t) => t.shard === i).length,
      finished: s?.finished.size ?? 0,
      ...(u && u.noTime.length > 0 ? { noTime: u.noTime } : {}),
      ...(s ? shardOwn(s) : {}),
    };
  });
  const missing = plan.missing;
  const runFile = join(folder, "run.json");
  const runText = JSON.stringify(
    {
      format: RUN_DIR_FORMAT,
      ...header,
      shards,
      missing,
      tasks: plan.tasks.map((t) => ({ id: t.id, record: `tasks/${stems.get(t.id)}.json` })),
    },
    null,
    2,
  );
  writing("run-info", runFile, () => writeFileAtomic(runFile, runText, "run-info"));
  const state = missing.length === 0 ? "finished" : "interrupted";
  const report = {
    ...header,
    state,
    updatedAt: new Date().toISOString(),
    totals,
    shards,
    missing,
    tasks: records.map(reportEntry),
  };
  const reportFile = join(folder, "report.json");
  writing("report", reportFile, () => writeFileAtomic(reportFile, readableJson(report), "report"));
  writing("submission", output, () => writeSubmission(output, submission));
  try {
    const { writeRunReport } = await import("../report/write.ts");
    const r = await writeRunReport(folder);
    warnings.push(...r.warnings.map((w) => `report.html: ${w}`));
  } catch (e) {
    warnings.push(`report.html not written: ${(e as Error).message}`);
  }
  return { submission: output, folder, totals, solutions: solutionsFile, warnings };
}

const isShared = (k: string) => k === "shard" || (MERGE_KEYS as readonly string[]).includes(k);

/** A shard's own settings (those shards may differ in: --ep, workers, ...) and the providers its tasks ran on. */
function shardOwn(s: ShardRead): { settings: Record<string, unknown>; providers: string[] } {
  const settings = Object.fromEntries(Object.entries(s.info.settings).filter(([k]) => !isShared(k)));
  const providers = new Set<string>();
  for (const r of s.finished.values()) if (r.provider) providers.add(r.provider);
  return { settings, providers: [...providers].sort() };
}

/**
 * The merged run's settings: those every shard shares (checked by planMerge) and, for the others, the
 * shards' common value; where the shards differ, ep reads "mixed" and the rest the first shard's value,
 * each such key named in `mixed` (every shard's own value is in run.json's `shards`).
 */
function mergedSettings(plan: MergePlan): Record<string, unknown> {
  const first = plan.shards[0]!.info.settings;
  const out: Record<string, unknown> = {};
  const mixed: string[] = [];
  for (const [k, v] of Object.entries(first)) {
    if (k === "shard") continue;
    const same = plan.shards.every(
      (s) => JSON.stringify(s.info.settings[k] ?? null) === JSON.stringify(v ?? null),
    );
    if (!same) mixed.push(k);
    out[k] = !same && k === "ep" ? "mixed" : v;
  }
  if (mixed.length > 0) out.mixed = mixed;
  return out;
}
