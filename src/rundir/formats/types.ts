// The run directory's formats as TypeScript types: what the writers write.
import type { Fault, RetryNote, WireAnswer, WireOutcome } from "../../loop/job.ts";
import type { TaskPlan } from "../../loop/plan.ts";
import type { EpChoice } from "../../runtime/providers.ts";

/** The settings of a run as run.json and report.json record them (defaults filled in). */
export interface RunSettings {
  family: string;
  /** --ep; "mixed" only in a merge of shards that were given different ones (see `mixed`). */
  ep: EpChoice | "mixed";
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
  /** sha256 of the prior every task starts from (--prior), null for none. */
  prior?: string | null;
  /** Copies of the model per task (--copies), a number or "auto". */
  copies?: number | "auto";
  /** Stable tasks went on with fresh copies in their remaining time. */
  restarts?: boolean;
  /** Only in a merge: the settings its shards differ in (each shard's own value: run.json `shards`). */
  mixed?: string[];
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
  /** Per test input: the answer grids (attempt 1, attempt 2, ...), their confidences and votes. */
  answers: WireAnswer[];
  /** Copies of the model trained in all (per graph x (restarts + 1)), and the restarts among them. */
  copies?: number;
  restarts?: number;
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

/** A prior file's header (the weights follow it as float32, each at `offset` values from the start). */
export interface PriorHeader {
  format: number;
  tool: "ttt";
  version: string;
  family: string;
  /** The family's config key the weights were learned for. */
  configKey: string;
  createdAt: string;
  /** sha256 of the weight bytes. */
  sha256: string;
  weights: { name: string; shape: number[]; offset: number; size: number }[];
  /** The tasks it was learned from: where, how many, and a sha256 of their sorted ids. */
  trainedOn: { source: string; tasks: number; taskSet: string };
  /** Meta-learning rounds done, and the settings they ran with. */
  rounds: number;
  settings: PretrainSettingsRecord;
}

/** `ttt pretrain`'s settings as its files record them (a resume must ask the same). */
export interface PretrainSettingsRecord {
  family: string;
  seed: number;
  /** Optimizer steps per task and round. */
  innerSteps: number;
  /** Most seconds per task and round (large tasks stop there). */
  innerSeconds: number;
  /** Tasks per round (their weights are averaged). */
  batch: number;
  /** Reptile's outer step: theta += rate * (mean task weights - theta). */
  rate: number;
  /** Rounds to run (null: until the time budget is spent). */
  rounds: number | null;
  timeBudget: number | null;
  workers: number;
}

/** pretrain.json: what a pretraining run was asked and how far it got. */
export interface PretrainInfo {
  format: number;
  tool: "ttt";
  command: "pretrain";
  version: string;
  startedAt: string;
  source: string;
  output: string;
  settings: PretrainSettingsRecord;
  /** The tasks, in the (seeded) order rounds take them. */
  order: string[];
  /** Rounds finished (the prior so far is theirs). */
  rounds: number;
  /** Seconds used by all sessions so far. */
  seconds: number;
  state: "running" | "finished" | "interrupted";
  /** sha256 of prior.ttt after the last finished round. */
  priorSha256: string | null;
}

/** One finished round: its tasks, the mean first and last loss of their short runs, how far theta moved. */
export interface RoundEntry {
  round: number;
  tasks: string[];
  /** Tasks whose run gave weights (the others failed and were left out of the average). */
  used: number;
  firstLoss: number | null;
  finalLoss: number | null;
  /** Root-mean-square change of the prior's weights in this round. */
  moved: number;
  seconds: number;
}
