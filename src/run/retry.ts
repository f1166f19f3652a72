// Faults inside a task and the one retry each gets. A fault is a NaN/Inf loss, memory over the limit,
// or an error (ONNX Runtime, the model, a worker process that died). The retry changes one thing
// towards safety:
//   NaN/Inf loss                                   -> learning rate x0.5
//   memory over --max-memory, or a worker killed
//   by a signal the run did not send (OOM killer)   -> chunk / 4 (smaller Loop runs) on the CPU provider
//   any other error                                -> the CPU provider when it ran elsewhere, else a new seed
// If the retry fails too, the task keeps the best answers either try had, or else the test inputs
// as they are, and its faults are recorded.
import { hashString } from "../arc/index.ts";
import type { Fault, Job, RetryNote, WireOutcome } from "../loop/job.ts";

export function isFault(o: WireOutcome): boolean {
  return o.stop === "nonfinite" || o.stop === "memory" || o.stop === "error";
}

export function faultOf(o: WireOutcome, tryNumber: number): Fault {
  const error =
    o.stop === "nonfinite"
      ? `loss became NaN/Inf at step ${o.nonFiniteStep ?? o.steps}`
      : (o.error ?? o.stop);
  return { try: tryNumber, stop: o.stop, error, steps: o.steps, seconds: o.seconds };
}

/** How the retry after this fault differs from `job`. */
export function retryNote(fault: Fault, o: WireOutcome, job: Job): RetryNote {
  if (fault.stop === "nonfinite")
    return { fault, setting: "learning rate x0.5", lrScale: 0.5 * (job.lrScale ?? 1) };
  if (fault.stop === "memory" || o.died === "SIGKILL") {
    const chunk = Math.max(1, Math.floor(job.plan.chunk / 4));
    return {
      fault,
      setting: `chunk ${job.plan.chunk} -> ${chunk}${job.ep !== "cpu" ? ", CPU provider" : ""}`,
      chunk,
      ep: "cpu",
    };
  }
  if (job.ep !== "cpu" && o.provider !== "cpu") return { fault, setting: "CPU provider", ep: "cpu" };
  const seed = hashString(`${job.plan.seed}/retry`);
  return { fault, setting: `new seed ${seed}`, seed };
}

/** The retry's job: try 2 with the note's setting, given `timeLimit` seconds. */
export function retryJob(job: Job, note: RetryNote, timeLimit: number | null): Job {
  const plan = {
    ...job.plan,
    ...(note.seed !== undefined ? { seed: note.seed } : {}),
    ...(note.chunk !== undefined ? { chunk: note.chunk } : {}),
  };
  return {
    ...job,
    plan,
    try: 2,
    retry: note,
    timeLimit,
    ...(note.ep !== undefined ? { ep: note.ep } : {}),
    ...(note.lrScale !== undefined ? { lrScale: note.lrScale } : {}),
  };
}
