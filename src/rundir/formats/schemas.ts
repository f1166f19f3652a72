// The run directory's formats as valibot schemas (what the readers accept), the mapping of older formats'
// keys, and one reader per file.
import * as v from "valibot";
import type { GridRows } from "../../arc/index.ts";
import { describeValue } from "../../arc/index.ts";
import { checkFormat, fail, parseFileJson } from "./errors.ts";
import {
  CHECKPOINT_FORMATS_READ,
  PRETRAIN_FORMATS_READ,
  PRIOR_FORMATS_READ,
  RUN_DIR_FORMATS_READ,
} from "./names.ts";
import type {
  CheckpointManifest,
  JournalEntry,
  LockInfo,
  PretrainInfo,
  PriorHeader,
  RoundEntry,
  RunReport,
  StoredRunInfo,
  TaskRecord,
} from "./types.ts";

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
  ep: v.picklist(["auto", "cuda", "webgpu", "cpu", "mixed"]),
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
  prior: v.optional(v.nullable(str)),
  copies: v.optional(v.union([num, v.literal("auto")])),
  restarts: v.optional(v.boolean()),
  mixed: v.optional(v.array(str)),
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
  ep: v.optional(v.picklist(["auto", "cuda", "webgpu", "cpu"])),
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
  copies: v.optional(num),
  restarts: v.optional(num),
  plan: v.optional(obj({ seed: num, steps: num, chunk: num, patience: num })),
};

export const TaskRecordSchema = obj({
  ...RecordEntries,
  answers: v.array(
    obj({
      attempts: GridListSchema,
      confidences: v.array(num),
      distinct: num,
      votes: v.optional(v.array(num)),
    }),
  ),
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

const PretrainSettingsSchema = obj({
  family: str,
  seed: num,
  innerSteps: int,
  innerSeconds: num,
  batch: int,
  rate: num,
  rounds: v.nullable(int),
  timeBudget: nullableNum,
  workers: int,
});

const PriorHeaderSchema = obj({
  format: formatOf(PRIOR_FORMATS_READ),
  tool: v.literal("ttt"),
  version: str,
  family: str,
  configKey: str,
  createdAt: str,
  sha256: str,
  weights: v.array(obj({ name: str, shape: v.array(int), offset: int, size: int })),
  trainedOn: obj({ source: str, tasks: int, taskSet: str }),
  rounds: int,
  settings: PretrainSettingsSchema,
});

/** A prior file's header, checked (its format first). */
export function checkPriorHeader(value: unknown, file: string): PriorHeader {
  checkFormatField(value, file, PRIOR_FORMATS_READ, "the prior formats");
  return checkFormat<PriorHeader>(PriorHeaderSchema, value, file);
}

const PretrainInfoSchema = obj({
  format: formatOf(PRETRAIN_FORMATS_READ),
  tool: v.literal("ttt"),
  command: v.literal("pretrain"),
  version: str,
  startedAt: str,
  source: str,
  output: str,
  settings: PretrainSettingsSchema,
  order: v.array(str),
  rounds: int,
  seconds: num,
  state: v.picklist(["running", "finished", "interrupted"]),
  priorSha256: v.nullable(str),
});

/** pretrain.json, checked. */
export function checkPretrainInfo(value: unknown, file: string): PretrainInfo {
  checkFormatField(value, file, PRETRAIN_FORMATS_READ, "the pretraining formats");
  return checkFormat<PretrainInfo>(PretrainInfoSchema, value, file);
}

export const RoundEntrySchema = obj({
  round: int,
  tasks: v.array(str),
  used: int,
  firstLoss: nullableNum,
  finalLoss: nullableNum,
  moved: num,
  seconds: num,
});

/** One line of rounds.jsonl, checked. */
export function checkRoundEntry(value: unknown, file: string): RoundEntry {
  return checkFormat<RoundEntry>(RoundEntrySchema, value, file);
}
