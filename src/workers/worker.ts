// Solving one job: build the task's model with the family, go on from the task's newest good checkpoint
// when there is one, open a trainer, run the loop (checkpoints every N steps and at the end, the
// memory limit checked after every chunk), report progress after every chunk and the outcome at the
// end. The same code runs in a worker process (worker-entry.ts) and in the run's own process (the
// inline executor).
import { readFileSync, writeFileSync } from "node:fs";
import { taskFromJson } from "../arc/index.ts";
import type { ModelFamily, TaskModel } from "../models/task-model.ts";
import type { ModelSpec } from "../train/spec.ts";
import { ortTrainerFactory, type TaskTrainer, type TrainerFactory } from "../loop/trainer.ts";
import { loadFamily } from "../models/registry.ts";
import { faultsFor, type InjectedFault, parseFaults, withInjectedFaults } from "./fault-injection.ts";
import { answersToWire, type Job, type WireOutcome } from "../loop/job.ts";
import type { FromWorker } from "./protocol.ts";
import type { LoopSnapshot } from "../loop/snapshot.ts";
import { snapshotOutcome, trainTask, type LoopOutcome } from "../loop/task-loop.ts";
import { TaskCheckpoints, type Loaded } from "../rundir/task-checkpoints.ts";
import { formatSize } from "../util/units.ts";
import { readPriorFile } from "../rundir/prior-file.ts";
import type { Prior } from "../models/prior.ts";

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

/**
 * A job's time, on one clock: seconds since the job arrived, and what the earlier sessions of the task
 * used (from the checkpoint it goes on from), which count towards its time limit and its outcome.
 */
class JobClock {
  readonly start: number;
  /** Loop and set-up seconds of the earlier sessions. */
  prior = { loop: 0, setup: 0 };

  constructor(readonly now: () => number) {
    this.start = now();
  }

  /** Seconds since the job arrived. */
  elapsed(): number {
    return this.now() - this.start;
  }

  /** Seconds the loop may still train: the job's limit less the set-up of this and earlier sessions. */
  trainLimit(limit: number | null): number {
    return limit === null ? Infinity : limit - this.elapsed() - this.prior.setup;
  }

  /** The task's seconds in all: this session's and the earlier ones'. */
  total(): number {
    return this.elapsed() + this.prior.loop + this.prior.setup;
  }
}

/** Solve one job; every message goes to `send`, the last one is "done". Never throws. */
export async function runJob(
  job: Job,
  send: (m: FromWorker) => void,
  deps: WorkerDeps = {},
): Promise<WireOutcome> {
  const session = new JobSession(job, send, deps);
  const outcome = await session.run();
  send({ type: "done", id: job.id, outcome, ...(outcome.stop === "memory" ? { retire: true } : {}) });
  return outcome;
}

/** One job in this process: its clock, the outcome as it fills in, the trainer to release at the end. */
class JobSession {
  private readonly clock: JobClock;
  /** The process's memory when the job arrived (what it held before is not the task's). */
  private readonly baseline: number;
  private readonly outcome: WireOutcome = {
    stop: "error",
    steps: 0,
    seconds: 0,
    setupSeconds: 0,
    losses: [],
    finalLoss: null,
    answers: [],
    chunks: 0,
  };
  private trainer: TaskTrainer | undefined;

  constructor(
    private readonly job: Job,
    private readonly send: (m: FromWorker) => void,
    private readonly deps: WorkerDeps,
  ) {
    this.clock = new JobClock(deps.now ?? (() => performance.now() / 1000));
    resetPeakMemory();
    this.baseline = process.memoryUsage.rss();
  }

  /** The job's outcome; an error anywhere ends it with stop "error". */
  async run(): Promise<WireOutcome> {
    const outcome = this.outcome;
    try {
      this.setResult(await this.solve());
    } catch (e) {
      outcome.stop = "error";
      outcome.error = (e as Error)?.message ?? String(e);
    } finally {
      await this.trainer?.release().catch(() => {});
    }
    outcome.seconds = this.clock.total();
    outcome.setupSeconds += this.clock.prior.setup;
    const peak = peakMemoryBytes();
    if (peak !== undefined) outcome.peakMemoryBytes = peak;
    return outcome;
  }

  private note(level: "info" | "warn", message: string): void {
    this.send({ type: "note", id: this.job.id, level, message });
  }

  /** Build the model, go on from the newest good checkpoint, train (unless the task had ended). */
  private async solve(): Promise<LoopOutcome> {
    const job = this.job;
    const faults = faultsFor(
      parseFaults(this.deps.faults ?? process.env.TTT_INJECT_FAULT),
      job.id,
      job.try ?? 1,
    );
    const family = await (this.deps.family ?? cachedFamily)(job.family);
    const task = taskFromJson(job.id, {
      train: job.task.train,
      test: job.task.test.map((t) => ({ input: t.input })),
    });
    const prior = job.prior ? cachedPrior(job.prior) : undefined;
    const model = family.build(task, {
      seed: job.plan.seed,
      copies: job.plan.copies,
      ...(prior ? { prior } : {}),
    });
    this.outcome.memoryEstimateBytes = model.memoryEstimateBytes;
    const checkpoints = job.checkpoint
      ? new TaskCheckpoints({ ...job, checkpoint: job.checkpoint }, model, (m) => this.note("warn", m))
      : undefined;
    const snap = this.resume(checkpoints);
    // A final checkpoint: the task had ended; its outcome is all there is to report.
    const r = snap?.stop
      ? snapshotOutcome(snap, model.copies ?? 1)
      : await this.train(model, faults, checkpoints, snap);
    if (checkpoints) this.outcome.checkpoints = checkpoints.written;
    return r;
  }

  /** The snapshot to go on from (damaged versions named and passed over), announced to the run. */
  private resume(checkpoints: TaskCheckpoints | undefined): LoopSnapshot | undefined {
    const loaded: Loaded = checkpoints?.load() ?? { problems: [] };
    if (loaded.problems.length) this.outcome.checkpointProblems = loaded.problems;
    const going = loaded.snapshot
      ? `going on from ${this.job.checkpoint!.label}/v${String(loaded.version).padStart(6, "0")}`
      : "passed over";
    for (const p of loaded.problems) this.note("warn", `${p}; ${going}`);
    const snap = loaded.snapshot;
    if (!snap) return undefined;
    this.outcome.resumedFrom = { version: loaded.version!, step: snap.step };
    this.clock.prior = { loop: snap.loopSeconds, setup: snap.setupSeconds };
    this.send({
      type: "resumed",
      id: this.job.id,
      step: snap.step,
      losses: wireLosses(snap.losses),
      answers: answersToWire(snapshotOutcome(snap).answers),
      version: loaded.version!,
    });
    return snap;
  }

  /** Open a trainer (with the injected faults) and run the loop, progress after every chunk. */
  private async train(
    model: TaskModel<ModelSpec>,
    faults: InjectedFault[],
    checkpoints: TaskCheckpoints | undefined,
    snap: LoopSnapshot | undefined,
  ): Promise<LoopOutcome> {
    const { job, clock, outcome } = this;
    const max = job.maxMemoryBytes;
    const real = await (this.deps.trainer ?? ortTrainerFactory)(model, {
      ep: job.ep,
      threads: job.threads,
      chunk: job.plan.chunk,
      seed: job.plan.seed,
      ...(job.lrScale !== undefined ? { lrScale: job.lrScale } : {}),
    });
    this.trainer = withInjectedFaults(real, faults, max !== undefined ? { maxMemoryBytes: max } : {});
    outcome.setupSeconds = clock.elapsed();
    const connected = this.deps.connected ?? (() => true);
    const r = await trainTask(job.plan, model, this.trainer, {
      timeLimit: clock.trainLimit(job.timeLimit),
      restarts: job.plan.restarts,
      now: clock.now,
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
      ...(max !== undefined ? { memoryCheck: () => memoryOver(this.baseline, max) } : {}),
      onChunk: (c) =>
        this.send({
          type: "chunk",
          id: job.id,
          step: c.step,
          steps: c.steps,
          loss: c.loss,
          losses: wireLosses(c.losses),
          seconds: clock.elapsed(),
          answers: answersToWire(c.answers),
        }),
    });
    const provider = await this.trainer.provider?.().catch(() => undefined);
    if (provider) outcome.provider = provider;
    return r;
  }

  /** The loop's outcome on the wire. */
  private setResult(r: LoopOutcome): void {
    Object.assign(this.outcome, {
      stop: r.stop,
      steps: r.steps,
      losses: wireLosses(r.losses),
      finalLoss: r.finalLoss,
      answers: answersToWire(r.answers),
      chunks: r.chunks,
      copies: r.copiesTrained,
      restarts: r.restarts,
    });
    if (r.nonFiniteStep !== undefined) this.outcome.nonFiniteStep = r.nonFiniteStep;
    if (r.error !== undefined) this.outcome.error = r.error;
  }
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

const priors = new Map<string, Prior>();

/** The job's prior, read once per process and checked against the sha256 the run recorded. */
function cachedPrior(ref: NonNullable<Job["prior"]>): Prior {
  const key = `${ref.sha256}:${ref.path}`;
  let p = priors.get(key);
  if (!p) {
    const file = readPriorFile(ref.path);
    if (file.fileSha256 !== ref.sha256)
      throw new Error(
        `prior ${ref.path}: its sha256 is ${file.fileSha256.slice(0, 12)}..., the run started with ${ref.sha256.slice(0, 12)}... (the file was replaced)`,
      );
    p = file.prior;
    priors.clear(); // one prior at a time (pretraining writes a new one every round)
    priors.set(key, p);
  }
  return p;
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
