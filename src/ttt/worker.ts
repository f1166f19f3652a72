// Solving one job: build the task's model with the family, open a trainer, run the loop, report
// progress after every chunk and the outcome at the end. The same code runs in a worker process
// (worker-main.ts) and in the run's own process (the inline executor).
import { readFileSync, writeFileSync } from "node:fs";
import { taskFromJson } from "../arc/index.ts";
import type { ModelFamily } from "../models/task-model.ts";
import type { ModelSpec } from "../train/spec.ts";
import { loadFamily, ortTrainerFactory, type TaskTrainer, type TrainerFactory } from "./engine.ts";
import { answersToWire, type FromWorker, type Job, type WireOutcome } from "./protocol.ts";
import { trainTask } from "./solve-task.ts";

export interface WorkerDeps {
  family?: (name: string) => Promise<ModelFamily<ModelSpec>>;
  trainer?: TrainerFactory;
  now?: () => number;
}

const families = new Map<string, Promise<ModelFamily<ModelSpec>>>();

/** Solve one job; every message goes to `send`, the last one is "done". Never throws. */
export async function runJob(job: Job, send: (m: FromWorker) => void, deps: WorkerDeps = {}): Promise<WireOutcome> {
  const now = deps.now ?? (() => performance.now() / 1000);
  const start = now();
  resetPeakMemory();
  const outcome: WireOutcome = { stop: "error", steps: 0, seconds: 0, setupSeconds: 0, losses: [], finalLoss: null, answers: [], chunks: 0 };
  let trainer: TaskTrainer | undefined;
  try {
    const load = deps.family ?? cachedFamily;
    const family = await load(job.family);
    const task = taskFromJson(job.id, { train: job.task.train, test: job.task.test.map((t) => ({ input: t.input })) });
    const model = family.build(task, { seed: job.plan.seed });
    outcome.memoryEstimateBytes = model.memoryEstimateBytes;
    trainer = await (deps.trainer ?? ortTrainerFactory)(model, { ep: job.ep, threads: job.threads, chunk: job.plan.chunk, seed: job.plan.seed });
    outcome.setupSeconds = now() - start;
    const timeLimit = job.timeLimit === null ? Infinity : job.timeLimit - (now() - start);
    const r = await trainTask(job.plan, model, trainer, {
      timeLimit,
      now,
      onChunk: (c) => send({ type: "chunk", id: job.id, step: c.step, steps: c.steps, loss: c.loss, losses: c.losses.map((l) => (Number.isFinite(l) ? l : null)), seconds: now() - start, answers: answersToWire(c.answers) }),
    });
    Object.assign(outcome, {
      stop: r.stop,
      steps: r.steps,
      losses: r.losses.map((l) => (Number.isFinite(l) ? l : null)),
      finalLoss: r.finalLoss,
      answers: answersToWire(r.answers),
      chunks: r.chunks,
    });
    if (r.nonFiniteStep !== undefined) outcome.nonFiniteStep = r.nonFiniteStep;
    if (r.error !== undefined) outcome.error = r.error;
    const provider = await trainer.provider?.().catch(() => undefined);
    if (provider) outcome.provider = provider;
  } catch (e) {
    outcome.stop = "error";
    outcome.error = (e as Error)?.message ?? String(e);
  } finally {
    await trainer?.release().catch(() => {});
  }
  outcome.seconds = now() - start;
  const peak = peakMemoryBytes();
  if (peak !== undefined) outcome.peakMemoryBytes = peak;
  send({ type: "done", id: job.id, outcome });
  return outcome;
}

function cachedFamily(name: string): Promise<ModelFamily<ModelSpec>> {
  let f = families.get(name);
  if (!f) {
    f = loadFamily(name);
    families.set(name, f);
    f.catch(() => families.delete(name));
  }
  return f;
}

/** Reset the kernel's peak-RSS mark (Linux); harmless elsewhere. */
export function resetPeakMemory(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // not Linux, or not allowed: the peak then covers the process's whole life
  }
}

/** Peak resident memory of this process since the last reset (VmHWM), or the current RSS elsewhere. */
export function peakMemoryBytes(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // fall through
  }
  return process.memoryUsage.rss();
}
