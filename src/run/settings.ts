// What `ttt solve` is asked (SolveSettings, from the command line or a caller), what it is given to work
// with (SolveDeps: executor, display, clock, abort signal), what it returns, and the settings as run.json
// records them (the resume compares them).
import { totalmem } from "node:os";
import type { Shard } from "../run/shard.ts";
import type { ModelFamily } from "../models/task-model.ts";
import type { EpChoice } from "../runtime/providers.ts";
import type { ModelSpec } from "../train/spec.ts";
import type { Executor } from "../workers/pool.ts";
import type { Display } from "./progress.ts";
import type { RunReport, RunSettings } from "../rundir/formats/index.ts";

export interface SolveSettings {
  source: string;
  output: string;
  runDir: string;
  solutions?: string;
  timePerTask?: number;
  timeBudget?: number;
  steps?: number;
  chunk?: number;
  patience?: number;
  workers: number;
  ep: EpChoice;
  threads: number;
  seed: number;
  taskIds?: string[];
  /** --max-memory; default 80% of the machine's memory shared by the workers. */
  maxMemoryBytes?: number;
  family: string;
  /** Continue the run in `runDir` (--resume); a directory with no run in it starts a new one. */
  resume?: boolean;
  /** Steps between checkpoints (--checkpoint-every; default 100; 0: only at the end of a task). */
  checkpointEvery?: number;
  /** Checkpoint versions kept per task while it runs (--keep-checkpoints; default 2; the final one stays). */
  keepCheckpoints?: number;
  /** --shard: this run solves only shard `index` of `count` (runDir and output are the shard's own). */
  shard?: Shard;
  /** --devices: GPUs to spread the workers over (default: every one the driver shows, CUDA_VISIBLE_DEVICES honoured). */
  devices?: string[];
  /** --workers was given; else on GPUs the devices' memory decides the count. */
  explicitWorkers?: boolean;
  /** --prior: every task starts from this prior file's weights (checked against the family first). */
  prior?: string;
  /** --copies: copies of the model per task (default "auto": by the task's cost). */
  copies?: number | "auto";
  /** --no-restarts gives false; default: restarts where each task has its own time (--time-per-task, no --time-budget). */
  restarts?: boolean;
}

/** Whether stable tasks go on with fresh copies: only where each task has its own time to use. */
export function restartsOn(s: Pick<SolveSettings, "restarts" | "timePerTask" | "timeBudget">): boolean {
  return (s.restarts ?? true) && s.timePerTask !== undefined && s.timeBudget === undefined;
}

export const DEFAULT_CHECKPOINT_EVERY = 100;
export const DEFAULT_KEEP_CHECKPOINTS = 2;

export interface SolveDeps {
  executor?: Executor;
  display?: Display;
  /** The family used for planning (memory estimates); default: loaded by name. */
  family?: ModelFamily<ModelSpec>;
  /** Clock in seconds and the run's start on it (the budget counts from there). */
  now?: () => number;
  startedAt?: number;
  /** Aborting stops the run: tasks in flight are killed (their answers so far kept), none is started. */
  signal?: AbortSignal;
  readStdin?: () => Promise<string>;
}

export interface SolveResult {
  report: RunReport;
  /** 0 when some task was answered, else 1 (nothing could be done). */
  exitCode: number;
  interrupted: boolean;
  /** When a run's file could not be written (a full disk): what failed, what is kept, how to go on. */
  writeFailure?: string[];
}

/** The settings as run.json and report.json record them (defaults filled in; `priorSha256`: the --prior file's). */
export function settingsRecord(s: SolveSettings, priorSha256: string | null = null): RunSettings {
  return {
    family: s.family,
    ep: s.ep,
    threads: s.threads,
    workers: s.workers,
    seed: s.seed,
    steps: s.steps ?? null,
    chunk: s.chunk ?? null,
    patience: s.patience ?? null,
    timePerTask: s.timePerTask ?? null,
    timeBudget: s.timeBudget ?? null,
    safetyMargin: 0,
    maxMemoryBytes: s.maxMemoryBytes ?? Math.floor((0.8 * totalmem()) / Math.max(1, s.workers)),
    tasks: s.taskIds ?? null,
    checkpointEvery: s.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
    keepCheckpoints: s.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS,
    prior: priorSha256,
    copies: s.copies ?? "auto",
    restarts: restartsOn(s),
    ...(s.shard ? { shard: `${s.shard.index}/${s.shard.count}` } : {}),
  };
}
