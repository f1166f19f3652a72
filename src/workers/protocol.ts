// Messages between the run (main process) and a worker process, in plain JSON over IPC: the run sends
// jobs, the worker answers with progress after each chunk and the outcome at the end.
import type { Job, WireAnswer, WireOutcome } from "../loop/job.ts";

export type ToWorker = { type: "solve"; job: Job } | { type: "exit" };

export type FromWorker =
  | { type: "ready"; pid: number }
  | {
      type: "chunk";
      id: string;
      step: number;
      steps: number;
      loss: number;
      losses: (number | null)[];
      seconds: number;
      answers: WireAnswer[];
    }
  | {
      type: "resumed";
      id: string;
      step: number;
      losses: (number | null)[];
      answers: WireAnswer[];
      version: number;
    }
  | { type: "note"; id: string; level: "info" | "warn"; message: string }
  /** `retire`: the worker exits after this job (its memory went over the limit); start a fresh one. */
  | { type: "done"; id: string; outcome: WireOutcome; retire?: boolean };
