// Messages between the run (main process) and a worker that solves tasks, in plain JSON. A job carries
// only what a solver may see: train pairs and test inputs, never test outputs.
import { gridFromRows, gridToRows, type GridRows, type TaskJson } from "../arc/index.ts";
import type { EpChoice } from "../runtime/providers.ts";
import type { TaskPlan } from "./plan.ts";
import type { TestAnswer } from "./select.ts";
import type { StopReason } from "./solve-task.ts";

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
}

/** Answers for one test input on the wire. */
export interface WireAnswer {
  attempts: GridRows[];
  confidences: number[];
  distinct: number;
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
  error?: string;
  provider?: string;
  memoryEstimateBytes?: number;
  peakMemoryBytes?: number;
}

export type ToWorker = { type: "solve"; job: Job } | { type: "exit" };

export type FromWorker =
  | { type: "ready"; pid: number }
  | { type: "chunk"; id: string; step: number; steps: number; loss: number; losses: (number | null)[]; seconds: number; answers: WireAnswer[] }
  | { type: "done"; id: string; outcome: WireOutcome };

export function answersToWire(answers: readonly TestAnswer[]): WireAnswer[] {
  return answers.map((a) => ({ attempts: a.grids.map(gridToRows), confidences: a.confidences, distinct: a.distinct }));
}

export function answersFromWire(answers: readonly WireAnswer[]): TestAnswer[] {
  return answers.map((a) => ({ grids: a.attempts.map((rows) => gridFromRows(rows)), confidences: a.confidences, distinct: a.distinct }));
}
