// Solving one job: build the task's model with the family, go on from the task's newest good checkpoint
// when there is one, open a trainer, run the loop (checkpoints every N steps and at the end, the
// memory limit checked after every chunk), report progress after every chunk and the outcome at the
// end. The same code runs in a worker process (worker-entry.ts) and in the run's own process (the
// inline executor).
import { readFileSync, writeFileSync } from "node:fs";
import { taskFromJson } from "../arc/index.ts";
import type { ModelFamily } from "../models/task-model.ts";
import type { ModelSpec } from "../train/spec.ts";
import { ortTrainerFactory, type TaskTrainer, type TrainerFactory } from "../loop/trainer.ts";
import { loadFamily } from "../models/registry.ts";
import { faultsFor, parseFaults, withInjectedFaults } from "./fault-injection.ts";
import { answersToWire, type Job, type WireOutcome } from "../loop/job.ts";
import type { FromWorker } from "./protocol.ts";
import { snapshotOutcome, trainTask, type LoopOutcome } from "../loop/task-loop.ts";
import { TaskCheckpoints, type Loaded } from "../rundir/task-checkpoints.ts";
import { formatSize } from "../util/units.ts";

export interface WorkerDeps {
  family?: (name: string) => Promise<ModelFamily<ModelSpec>>;
  trainer?: TrainerFactory;
  now?: () => number;
  /** Faults to inject (default: from TTT_INJECT_FAULT). */
  faults?: string;
  /** False when the run that sent the job is gone (an orphaned worker writes no more checkpoints). */
  connected?: () => boolean;
}

const families = new Map<string, Promise<ModelFamily<ModelSpec>>>();
const wireLosses = (ls: readonly number[]) => ls.map((l) => (Number.isFinite(l) ? l : null));

/** Solve one job; every message goes to `send`, the last one is "done". Never throws. */
export async function runJob(
  job: Job,
  send: (m: FromWorker) => void,
  deps: WorkerDeps = {},
): Promise<WireOutcome> {
  const now = deps.now ?? (() => performance.now() / 1000);
  const start = now();
  resetPeakMemory();
  const baseline = process.memoryUsage.rss();
  const outcome: WireOutcome = {
    stop: "error",
    steps: 0,
    seconds: 0,
    setupSeconds: 0,
    losses: [],
    finalLoss: null,
    answers: [],
    chunks: 0,
  };
  const note = (level: "info" | "warn", message: string) =>
    send({ type: "note", id: job.id, level, message });
  let trainer: TaskTrainer | undefined;
  let prior = { loop: 0, setup: 0 };
  try {
    const faults = faultsFor(
      parseFaults(deps.faults ?? process.env.TTT_INJECT_FAULT),
      job.id,
      job.attempt ?? 1,
    );
    const load = deps.family ?? cachedFamily;
    const family = await load(job.family);
    const task = taskFromJson(job.id, {
      train: job.task.train,
      test: job.task.test.map((t) => ({ input: t.input })),
    });
    const model = family.build(task, { seed: job.plan.seed });
    outcome.memoryEstimateBytes = model.memoryEstimateBytes;
    const checkpoints = job.checkpoint
      ? new TaskCheckpoints({ ...job, checkpoint: job.checkpoint }, model, (m) => note("warn", m))
      : undefined;
    const loaded: Loaded = checkpoints?.load() ?? { problems: [] };
    if (loaded.problems.length) outcome.checkpointProblems = loaded.problems;
    for (const p of loaded.problems)
      note(
        "warn",
        `${p}; ${loaded.snapshot ? `going on from ${job.checkpoint!.label}/v${String(loaded.version).padStart(6, "0")}` : "passed over"}`,
      );
    const snap = loaded.snapshot;
    if (snap) {
      outcome.resumedFrom = { version: loaded.version!, step: snap.step };
      prior = { loop: snap.loopSeconds, setup: snap.setupSeconds };
      const answers = snapshotOutcome(snap).answers;
      send({
        type: "resumed",
        id: job.id,
        step: snap.step,
        losses: wireLosses(snap.losses),
        answers: answersToWire(answers),
        version: loaded.version!,
      });
    }
    let r: LoopOutcome;
    if (snap?.stop) {
      // A final checkpoint: the task had ended; its outcome is all there is to report.
      r = snapshotOutcome(snap);
    } else {
      const real = await (deps.trainer ?? ortTrainerFactory)(model, {
        ep: job.ep,
        threads: job.threads,
        chunk: job.plan.chunk,
        seed: job.plan.seed,
        ...(job.lrScale !== undefined ? { lrScale: job.lrScale } : {}),
      });
      trainer = withInjectedFaults(
        real,
        faults,
        job.maxMemoryBytes !== undefined ? { maxMemoryBytes: job.maxMemoryBytes } : {},
      );
      outcome.setupSeconds = now() - start;
      const timeLimit = job.timeLimit === null ? Infinity : job.timeLimit - (now() - start) - prior.setup;
      const connected = deps.connected ?? (() => true);
      r = await trainTask(job.plan, model, trainer, {
        timeLimit,
        now,
        setupSeconds: outcome.setupSeconds,
        ...(snap ? { resume: snap } : {}),
        ...(checkpoints
          ? {
              checkpoint: {
                every: job.checkpoint!.every,
                save: (s) => (connected() ? checkpoints.save(s) : undefined),
              },
            }
          : {}),
        ...(job.maxMemoryBytes !== undefined
          ? { memoryCheck: () => memoryOver(baseline, job.maxMemoryBytes!) }
          : {}),
        onChunk: (c) =>
          send({
            type: "chunk",
            id: job.id,
            step: c.step,
            steps: c.steps,
            loss: c.loss,
            losses: wireLosses(c.losses),
            seconds: now() - start,
            answers: answersToWire(c.answers),
          }),
      });
      const provider = await trainer.provider?.().catch(() => undefined);
      if (provider) outcome.provider = provider;
    }
    Object.assign(outcome, {
      stop: r.stop,
      steps: r.steps,
      losses: wireLosses(r.losses),
      finalLoss: r.finalLoss,
      answers: answersToWire(r.answers),
      chunks: r.chunks,
    });
    if (r.nonFiniteStep !== undefined) outcome.nonFiniteStep = r.nonFiniteStep;
    if (r.error !== undefined) outcome.error = r.error;
    if (checkpoints) outcome.checkpoints = checkpoints.written;
  } catch (e) {
    outcome.stop = "error";
    outcome.error = (e as Error)?.message ?? String(e);
  } finally {
    await trainer?.release().catch(() => {});
  }
  outcome.seconds = now() - start + prior.loop + prior.setup;
  outcome.setupSeconds += prior.setup;
  const peak = peakMemoryBytes();
  if (peak !== undefined) outcome.peakMemoryBytes = peak;
  send({ type: "done", id: job.id, outcome, ...(outcome.stop === "memory" ? { retire: true } : {}) });
  return outcome;
}

/**
 * The message when the task took more memory than `max`: the process's peak since the job started
 * less its memory when the job started (what the process held before is not the task's).
 */
function memoryOver(baseline: number, max: number): string | undefined {
  const peak = peakMemoryBytes();
  if (peak === undefined || peak - baseline <= max) return undefined;
  return `the task took ${formatSize(peak - baseline)} of memory (peak ${formatSize(peak)}), over --max-memory ${formatSize(max)}`;
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
