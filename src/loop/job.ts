// A job: one task's training as the run hands it to a worker (the task, its plan, limits, the retry's
// setting), and its outcome, both in plain JSON. A job carries only what a solver may see: train pairs
// and test inputs, never test outputs.
import { gridToRows, type GridRows, type TaskJson } from "../arc/index.ts";
import type { EpChoice } from "../runtime/providers.ts";
import type { TaskPlan } from "./plan.ts";
import type { TestAnswer } from "./select.ts";
import type { StopReason } from "./task-loop.ts";

export interface Job {
  id: string;
  /** The task without test outputs. */
  task: TaskJson;
  plan: TaskPlan;
  /** Seconds the worker may use for this task, set-up included; Infinity (sent as null) for none. */
  timeLimit: number | null;
  family: string;
  ep: EpChoice;
  threads: number;
  /** Which try of the task this is: 1, or 2 for the retry after a fault (then `retry` says with what). */
  try?: number;
  retry?: RetryNote;
  /** Factor on the learning rate (a retry after a NaN/Inf loss). */
  lrScale?: number;
  /** The worker's memory limit (--max-memory): above it the task stops with stop "memory". */
  maxMemoryBytes?: number;
  /** The prior file the task starts from and the sha256 it must have (ttt solve --prior). */
  prior?: { path: string; sha256: string };
  /** Checkpoints: the task's folder, steps between them (0: only at the end), versions kept. */
  checkpoint?: { dir: string; label: string; every: number; keep: number };
}

/** A task's fault and the safer setting its retry uses (kept in the retry's checkpoints). */
export interface RetryNote {
  fault: Fault;
  /** What changed, in words, e.g. "learning rate x0.5". */
  setting: string;
  seed?: number;
  lrScale?: number;
  chunk?: number;
  ep?: EpChoice;
}

/** One try of a task that ended in a fault. */
export interface Fault {
  /** 1 for the first try, 2 for the retry. */
  try: number;
  stop: StopReason;
  error: string;
  steps: number;
  seconds: number;
}

/** Answers for one test input on the wire. */
export interface WireAnswer {
  attempts: GridRows[];
  confidences: number[];
  distinct: number;
  /** Per attempt: how many copies of the model produced that grid (absent in older records). */
  votes?: number[];
}

export interface WireOutcome {
  stop: StopReason;
  steps: number;
  /** Seconds from receiving the job to the end (set-up included). */
  seconds: number;
  /** Seconds of set-up: model build, graph build or cache read, sessions. */
  setupSeconds: number;
  losses: (number | null)[];
  finalLoss: number | null;
  nonFiniteStep?: number;
  answers: WireAnswer[];
  chunks: number;
  /** Copies of the model trained in all (copies x (restarts + 1)), and the restarts. */
  copies?: number;
  restarts?: number;
  error?: string;
  provider?: string;
  memoryEstimateBytes?: number;
  peakMemoryBytes?: number;
  /** The checkpoint this session started from. */
  resumedFrom?: { version: number; step: number };
  /** Damaged or unusable checkpoints passed over, each naming its file. */
  checkpointProblems?: string[];
  /** Checkpoint versions written in this session. */
  checkpoints?: number;
  /** The worker process died (not killed by the run): its signal or exit code. */
  died?: string;
}

export function answersToWire(answers: readonly TestAnswer[]): WireAnswer[] {
  return answers.map((a) => ({
    attempts: a.grids.map(gridToRows),
    confidences: a.confidences,
    distinct: a.distinct,
    votes: a.votes,
  }));
}
