// Every file of a run directory, its name and its format, and the readers that check a file against its
// format. A run directory:
//   run.json                    what was asked: format, version, source, settings, each task's record file
//   journal.jsonl               one line per finished task, appended in finishing order (--resume reads it)
//   tasks/<stem>.json           a task's record (stop reason, steps, loss curve, answers, faults, ...)
//   report.json                 the run report, rewritten after every task
//   checkpoints/<stem>/v000001/ a task's checkpoint versions: manifest.json, state.bin, loop.json
//   lock                        the process working in the directory
// Each format is a TypeScript type (what the writers write) and a valibot schema (what the readers
// accept). A file that does not match gets a RunFileError naming the file and the field:
//   runs/x/run.json: settings.seed: expected number, got "a"
// Formats read besides the current one: run.json format 1 and checkpoint manifests of format 1 (before
// retries were numbered as `try`: records' faults and manifests said `attempt`); their old keys are
// mapped on read, so runs written then still resume.
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { describeValue, type GridRows } from "../arc/index.ts";
import type { TaskPlan } from "../loop/plan.ts";
import type { Fault, RetryNote, WireAnswer, WireOutcome } from "../loop/job.ts";
import type { EpChoice } from "../runtime/providers.ts";

// ---- names ---------------------------------------------------------------------------------------

export const RUN_FILE = "run.json";
export const JOURNAL_FILE = "journal.jsonl";
export const REPORT_FILE = "report.json";
export const TASKS_DIR = "tasks";
export const CHECKPOINTS_DIR = "checkpoints";
export const LOCK_FILE = "lock";
/** In each checkpoint version's folder. */
export const MANIFEST_FILE = "manifest.json";
export const STATE_FILE = "state.bin";
export const LOOP_FILE = "loop.json";

/** run.json's format: 2 numbers retries as `try` in the records (1 said `attempt`). */
export const RUN_DIR_FORMAT = 2;
export const RUN_DIR_FORMATS_READ = [1, 2] as const;
/** A checkpoint manifest's format: 2 says `try` (1 said `attempt`). */
export const CHECKPOINT_FORMAT = 2;
export const CHECKPOINT_FORMATS_READ = [1, 2] as const;

// ---- formats (what the writers write) ------------------------------------------------------------

/** The settings of a run as run.json and report.json record them (defaults filled in). */
export interface RunSettings {
  family: string;
  ep: EpChoice;
  threads: number;
  workers: number;
  seed: number;
  steps: number | null;
  chunk: number | null;
  patience: number | null;
  timePerTask: number | null;
  timeBudget: number | null;
  safetyMargin: number;
  maxMemoryBytes: number;
  tasks: string[] | null;
  checkpointEvery: number;
  keepCheckpoints: number;
}

/** The fixed part of the report, also the head of run.json. */
export interface RunHeader {
  tool: "ttt";
  command: "solve";
  version: string;
  startedAt: string;
  source: string;
  submission: string;
  runDir: string;
  solutions: string | null;
  settings: RunSettings;
  /** Load problems, one line each. */
  loadErrors: string[];
}

/** A later session that continued the run (--resume). */
export interface ResumeNote {
  at: string;
  pid: number;
  /** Tasks finished before it. */
  finished: number;
}

/** run.json as ttt writes it. */
export interface RunInfo extends RunHeader {
  format: number;
  resumes?: ResumeNote[];
  /** Every task of the run, in order, with its record file (relative to the run directory). */
  tasks: { id: string; record: string }[];
}

/** run.json as it is read: the format and tasks surely there, the rest checked where present. */
export type StoredRunInfo = Pick<RunInfo, "format" | "resumes" | "tasks"> &
  Partial<Omit<RunHeader, "settings">> & { settings?: Partial<RunSettings> };

/**
 * ok: trained and answered. skipped: not run (memory, time). failed: the model or the trainer failed
 * before any answer. invalid: the task could not be loaded.
 */
export type TaskStatus = "ok" | "skipped" | "failed" | "invalid";
export type TaskStop = WireOutcome["stop"] | "memory" | "no-time" | "invalid" | "interrupted";

/** tasks/<stem>.json. */
export interface TaskRecord {
  id: string;
  status: TaskStatus;
  stop: TaskStop;
  /** Why it was skipped or failed, or what went wrong on the way. */
  message?: string;
  steps: number;
  seconds: number;
  setupSeconds: number;
  stepsPerSecond: number;
  finalLoss: number | null;
  nonFiniteStep?: number;
  /** Up to 200 [step, loss] points. */
  lossCurve: [number, number | null][];
  /** Per test input: the answer grids (attempt 1, attempt 2, ...) and their confidences. */
  answers: WireAnswer[];
  /** Per test input, when the solutions are known: either attempt right. */
  correct?: boolean[];
  /** Correct test outputs / test outputs, when known. */
  score?: number;
  provider?: string;
  memoryEstimateBytes?: number;
  peakMemoryBytes?: number;
  /** Seconds this task was given. */
  allottedSeconds?: number;
  /** Faults of its tries (a fault is retried once with a safer setting, named in `retry`). */
  faults?: Fault[];
  retry?: string;
  /** Where the answers came from when the last try failed. */
  fallback?: string;
  /** The checkpoint the last session of this task went on from (after a kill and --resume). */
  resumedFrom?: { version: number; step: number };
  /** Damaged or unusable checkpoints that were passed over, each naming its file. */
  checkpointProblems?: string[];
  plan?: Pick<
    TaskPlan,
    "seed" | "steps" | "chunk" | "patience" | "cost" | "weight" | "colours" | "maxHeight" | "maxWidth"
  >;
}

/** One line of journal.jsonl. */
export interface JournalEntry {
  id: string;
  status: TaskStatus;
  stop: TaskStop;
  /** The record, relative to the run directory. */
  record: string;
  finishedAt: string;
}

export interface RunTotals {
  tasks: number;
  ok: number;
  skipped: number;
  failed: number;
  invalid: number;
  steps: number;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
  /** Over the tasks answered (status ok). */
  medianTaskSeconds: number;
  maxTaskSeconds: number;
  /** Steps per second of training time (set-up excluded), over the tasks answered. */
  stepsPerSecond: number;
  peakMemoryBytes: number | null;
  /** When solutions are known for some tasks. */
  score?: {
    score: number;
    tasks: number;
    outputsCorrect: number;
    outputsTotal: number;
    outputFraction: number;
    passed: string[];
  };
}

/** report.json (and what --json prints). */
export interface RunReport extends RunHeader {
  /** "running" while the run is going, then "finished" or "interrupted". */
  state: "running" | "finished" | "interrupted";
  updatedAt: string;
  totals: RunTotals;
  /** Per task, without the answer grids (those are in tasks/<stem>.json and the submission). */
  tasks: (Omit<TaskRecord, "answers"> & { confidences: number[][] })[];
}

export interface ProcessId {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); null where unknown. */
  startTicks: number | null;
}

/** The lock file. */
export interface LockInfo extends ProcessId {
  host: string;
  command: string;
  startedAt: string;
  workers: ProcessId[];
}

export interface ManifestFile {
  name: string;
  sha256: string;
  size: number;
}

/** What a checkpoint version says about itself. */
export interface CheckpointMeta {
  task: string;
  step: number;
  /** Mean loss of the last chunk, or null. */
  loss: number | null;
  final: boolean;
  /** Why training stopped (final versions only). */
  stop: string | null;
  /** 1 for the task's first try, 2 for its retry after a fault; `retry` says how it was retried. */
  try: number;
  retry: RetryNote | null;
  configHash: string;
  seed: number;
  versions: { ttt: string; ort: string };
}

/** A checkpoint version's manifest.json. */
export interface CheckpointManifest extends CheckpointMeta {
  format: number;
  version: number;
  createdAt: string;
  files: ManifestFile[];
  checksum: string;
}

// ---- errors --------------------------------------------------------------------------------------

/** A run-directory file that is missing, not JSON, or not of its format: `<file>: <field>: <problem>`. */
export class RunFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${problem}`);
    this.name = "RunFileError";
  }
}

type Issue = v.BaseIssue<unknown>;

/** ["settings", "seed"] -> "settings.seed"; ["tasks", 3, "id"] -> "tasks[3].id". */
function fieldName(keys: readonly unknown[]): string {
  let out = "";
  for (const key of keys) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

const EXPECTED: Record<string, string> = { Object: "an object", Array: "a list" };

/**
 * What is wrong, in words: the schema's own message where it has one (valibot's defaults begin
 * "Invalid "), else "missing" or "expected X, got Y".
 */
function problemOf(issue: Issue): string {
  if (!issue.message.startsWith("Invalid ")) return issue.message;
  if (issue.input === undefined && (issue.path?.length ?? 0) > 0) return "missing";
  if (issue.kind === "schema") {
    const expected = issue.expected ?? issue.type;
    return `expected ${EXPECTED[expected] ?? expected}, got ${describeValue(issue.input)}`;
  }
  return `${describeValue(issue.input)}: ${issue.message}`;
}

/** Check a parsed value against a schema; the value as it is, or a RunFileError for the first problem. */
export function checkFormat<T>(schema: v.GenericSchema, value: unknown, file: string): T {
  const result = v.safeParse(schema, value);
  if (result.success) return value as T;
  const issue = result.issues[0] as Issue;
  const problem = problemOf(issue);
  const more = result.issues.length - 1;
  return fail(
    file,
    fieldName((issue.path ?? []).map((p) => p.key)),
    more > 0 ? `${problem} (and ${more} more problem${more === 1 ? "" : "s"})` : problem,
  );
}

function fail(file: string, field: string, problem: string): never {
  throw new RunFileError(file, field, problem);
}

/** JSON text to a value; a RunFileError when it is not JSON. */
export function parseFileJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(
      file,
      "",
      `not valid JSON (${(e as Error).message}; ${text.length} bytes, cut short or damaged?)`,
    );
  }
}

/** A file's text; a RunFileError naming it when it cannot be read. */
export function readFileText(path: string, file = path): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(file, "", code === "ENOENT" ? "missing" : `cannot be read (${code ?? (e as Error).message})`);
  }
}

// ---- schemas (what the readers accept) -----------------------------------------------------------

/** An object with these entries; other keys are tolerated (a later ttt may add some). */
const obj = v.looseObject;
const num = v.number();
const str = v.string();
const int = v.pipe(
  v.number(),
  v.integer((issue) => `expected an integer, got ${describeValue(issue.input)}`),
);
const nullableNum = v.nullable(num);
const formatOf = (formats: readonly number[]) => v.picklist(formats);

/**
 * The file's `format` first: a file of another format (or another program's, with none) is named as
 * such rather than by the first field that differs.
 */
function checkFormatField(value: unknown, file: string, formats: readonly number[], what: string): void {
  const format = isObject(value) ? value.format : undefined;
  if (typeof format === "number" && formats.includes(format)) return;
  const why =
    format === undefined ? "missing" : `expected ${formats.join(" or ")}, got ${describeValue(format)}`;
  if (isObject(value)) fail(file, "format", `${why} (${what} this ttt reads are ${formats.join(" and ")})`);
}

const SettingsSchema = obj({
  family: str,
  ep: v.picklist(["auto", "cuda", "cpu"]),
  threads: num,
  workers: num,
  seed: num,
  steps: nullableNum,
  chunk: nullableNum,
  patience: nullableNum,
  timePerTask: nullableNum,
  timeBudget: nullableNum,
  safetyMargin: num,
  maxMemoryBytes: num,
  tasks: v.nullable(v.array(str)),
  checkpointEvery: num,
  keepCheckpoints: num,
});

const HeaderSchema = obj({
  tool: v.literal("ttt"),
  command: v.literal("solve"),
  version: str,
  startedAt: str,
  source: str,
  submission: str,
  runDir: str,
  solutions: v.nullable(str),
  settings: SettingsSchema,
  loadErrors: v.array(str),
});

/**
 * run.json: the format and the task list are required; the header fields and settings are checked
 * where present (a reader that only lists the tasks needs no more; an earlier ttt recorded fewer
 * settings, and a missing one reads as null when a resume compares them).
 */
export const RunInfoSchema = obj({
  format: formatOf(RUN_DIR_FORMATS_READ),
  ...v.partial(HeaderSchema, [
    "tool",
    "command",
    "version",
    "startedAt",
    "source",
    "submission",
    "runDir",
    "solutions",
    "loadErrors",
  ]).entries,
  settings: v.optional(v.partial(SettingsSchema)),
  resumes: v.optional(v.array(obj({ at: str, pid: num, finished: num }))),
  tasks: v.array(obj({ id: str, record: str })),
});

const StatusSchema = v.picklist(["ok", "skipped", "failed", "invalid"]);
const StopSchema = v.picklist([
  "steps",
  "time",
  "stable",
  "nonfinite",
  "memory",
  "error",
  "no-time",
  "invalid",
  "interrupted",
]);
const RowsSchema = v.array(v.array(num));
const GridListSchema: v.GenericSchema<GridRows[]> = v.array(RowsSchema);

export const FaultSchema = obj({
  try: int,
  stop: StopSchema,
  error: str,
  steps: num,
  seconds: num,
});

const RetryNoteSchema = obj({
  fault: FaultSchema,
  setting: str,
  seed: v.optional(num),
  lrScale: v.optional(num),
  chunk: v.optional(num),
  ep: v.optional(v.picklist(["auto", "cuda", "cpu"])),
});

/** The fields a record and a report entry share. */
const RecordEntries = {
  id: str,
  status: StatusSchema,
  stop: StopSchema,
  message: v.optional(str),
  steps: num,
  seconds: num,
  setupSeconds: num,
  stepsPerSecond: num,
  finalLoss: nullableNum,
  nonFiniteStep: v.optional(num),
  lossCurve: v.array(v.tuple([num, nullableNum])),
  correct: v.optional(v.array(v.boolean())),
  score: v.optional(num),
  provider: v.optional(str),
  memoryEstimateBytes: v.optional(num),
  peakMemoryBytes: v.optional(num),
  allottedSeconds: v.optional(num),
  faults: v.optional(v.array(FaultSchema)),
  retry: v.optional(str),
  fallback: v.optional(str),
  resumedFrom: v.optional(obj({ version: num, step: num })),
  checkpointProblems: v.optional(v.array(str)),
  plan: v.optional(obj({ seed: num, steps: num, chunk: num, patience: num })),
};

export const TaskRecordSchema = obj({
  ...RecordEntries,
  answers: v.array(obj({ attempts: GridListSchema, confidences: v.array(num), distinct: num })),
});

export const JournalEntrySchema = obj({
  id: str,
  status: StatusSchema,
  stop: StopSchema,
  record: str,
  finishedAt: str,
});

const TotalsSchema = obj({
  tasks: num,
  ok: num,
  skipped: num,
  failed: num,
  invalid: num,
  steps: num,
  seconds: num,
  medianTaskSeconds: num,
  maxTaskSeconds: num,
  stepsPerSecond: num,
  peakMemoryBytes: nullableNum,
  score: v.optional(
    obj({
      score: num,
      tasks: num,
      outputsCorrect: num,
      outputsTotal: num,
      outputFraction: num,
      passed: v.array(str),
    }),
  ),
});

export const RunReportSchema = obj({
  ...HeaderSchema.entries,
  state: v.picklist(["running", "finished", "interrupted"]),
  updatedAt: str,
  totals: TotalsSchema,
  tasks: v.array(obj({ ...RecordEntries, confidences: v.array(v.array(num)) })),
});

const ProcessIdSchema = obj({ pid: int, startTicks: v.nullable(num) });

export const LockSchema = obj({
  ...ProcessIdSchema.entries,
  host: str,
  command: str,
  startedAt: str,
  workers: v.array(ProcessIdSchema),
});

export const ManifestSchema = obj({
  format: formatOf(CHECKPOINT_FORMATS_READ),
  version: int,
  createdAt: str,
  task: str,
  step: int,
  loss: nullableNum,
  final: v.boolean(),
  stop: v.nullable(str),
  try: int,
  retry: v.nullable(RetryNoteSchema),
  configHash: str,
  seed: num,
  versions: obj({ ttt: str, ort: str }),
  files: v.array(obj({ name: str, sha256: str, size: num })),
  checksum: str,
});

// ---- old keys --------------------------------------------------------------------------------------

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** An object with its key `from` renamed `to` (in place of it, so the order of keys stays). */
function renameKey(o: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  if (!(from in o) || to in o) return o;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k === from ? to : k, x]));
}

/** A fault as written before retries were numbered as `try` ({attempt: 1, ...}) in today's form. */
export function upgradeFault(f: unknown): unknown {
  return isObject(f) ? renameKey(f, "attempt", "try") : f;
}

/** A record (or report entry) with its faults in today's form. */
export function upgradeRecord(r: unknown): unknown {
  if (!isObject(r) || !Array.isArray(r.faults)) return r;
  return { ...r, faults: r.faults.map(upgradeFault) };
}

/** A report with its task entries in today's form. */
function upgradeReport(r: unknown): unknown {
  if (!isObject(r) || !Array.isArray(r.tasks)) return r;
  return { ...r, tasks: r.tasks.map(upgradeRecord) };
}

/** A manifest of format 1 (`attempt`, its retry's fault with `attempt`) in today's form. */
export function upgradeManifest(m: unknown): unknown {
  if (!isObject(m)) return m;
  const out = renameKey(m, "attempt", "try");
  if (isObject(out.retry)) return { ...out, retry: { ...out.retry, fault: upgradeFault(out.retry.fault) } };
  return out;
}

// ---- readers -------------------------------------------------------------------------------------

/** run.json's text as a RunInfo; `file` names it in errors. */
export function parseRunInfo(text: string, file: string): StoredRunInfo {
  const value = parseFileJson(text, file);
  checkFormatField(value, file, RUN_DIR_FORMATS_READ, "the run directory formats");
  return checkFormat<StoredRunInfo>(RunInfoSchema, value, file);
}

/** A task record's text as a TaskRecord (faults of format 1 mapped). */
export function parseTaskRecord(text: string, file: string): TaskRecord {
  return checkFormat<TaskRecord>(TaskRecordSchema, upgradeRecord(parseFileJson(text, file)), file);
}

/** report.json's text as a RunReport (faults of format 1 mapped). */
export function parseRunReport(text: string, file: string): RunReport {
  return checkFormat<RunReport>(RunReportSchema, upgradeReport(parseFileJson(text, file)), file);
}

/** One journal line as an entry; `where` names it ("journal.jsonl line 3"). */
export function parseJournalLine(line: string, where: string): JournalEntry {
  return checkFormat<JournalEntry>(JournalEntrySchema, parseFileJson(line, where), where);
}

/** The lock file's text as a LockInfo. */
export function parseLock(text: string, file: string): LockInfo {
  return checkFormat<LockInfo>(LockSchema, parseFileJson(text, file), file);
}

/**
 * A manifest's parsed JSON as a CheckpointManifest: format 1's keys mapped (call after checking its
 * checksum, which covers the manifest as it was written).
 */
export function checkManifest(value: unknown, file: string): CheckpointManifest {
  checkFormatField(value, file, CHECKPOINT_FORMATS_READ, "the checkpoint formats");
  return checkFormat<CheckpointManifest>(ManifestSchema, upgradeManifest(value), file);
}
