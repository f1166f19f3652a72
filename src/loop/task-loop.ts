// The training loop for one task: chunks of K optimizer steps; after each chunk inference, the EMA of
// the outputs, candidates decoded from both (every copy's, when the model trains several), and the
// anytime selection updated. Stops at the step budget, the time limit (when the next chunk would not
// fit), stable answers, a NaN/Inf loss (the answers from before it are kept) or memory over the limit.
// With restarts, stable answers do not stop the task while steps and time for another settling are
// left: fresh copies (new seeds) replace the settled ones and their candidates join the same selection.
// Errors are caught: the answers so far survive them. With checkpoints, a snapshot of the whole loop is saved every N steps and at the end,
// and a loop started from one goes on exactly as if it had never stopped.
import type { TaskModel } from "../models/task-model.ts";
import { copySeed } from "../train/rng.ts";
import { OutputEma } from "./ema.ts";
import type { TaskTrainer } from "./trainer.ts";
import { restoreParts, type LoopSnapshot } from "./snapshot.ts";
import type { TaskPlan } from "./plan.ts";
import { AnswerSelector, type TestAnswer } from "./select.ts";
import { StabilityTracker } from "./stability.ts";

/** Why a task's training stopped. */
export type StopReason = "steps" | "time" | "stable" | "nonfinite" | "memory" | "error";

export interface ChunkReport {
  step: number;
  steps: number;
  /** Mean loss of the chunk. */
  loss: number;
  /** The chunk's per-step losses. */
  losses: number[];
  seconds: number;
  answers: TestAnswer[];
}

export interface LoopOutcome {
  stop: StopReason;
  steps: number;
  /** Seconds in the loop (training, inference, decoding). */
  seconds: number;
  /** Every step's loss, in order (NaN/Inf included where they happened). */
  losses: number[];
  /** The last finite loss, or null. */
  finalLoss: number | null;
  /** The step (1-based) whose loss was first NaN/Inf. */
  nonFiniteStep?: number;
  answers: TestAnswer[];
  chunks: number;
  /** Copies trained in all: the model's copies x (restarts + 1). */
  copiesTrained: number;
  restarts: number;
  error?: string;
}

export interface LoopOptions {
  /** Seconds the loop may use from its start; Infinity for none. */
  timeLimit?: number;
  /** Early observations weigh less (see AnswerSelector); default: one chunk's worth of steps. */
  warmupSteps?: number;
  /** Per-step EMA decay (default 0.97). */
  emaDecay?: number;
  /** Clock in seconds (tests replace it). */
  now?: () => number;
  onChunk?: (r: ChunkReport) => void;
  /** Go on from this snapshot (a checkpoint) instead of step 0; the trainer's state is set from it. */
  resume?: LoopSnapshot;
  /** Save a snapshot after the chunk that passes each multiple of `every` steps (0: none) and at the end. */
  checkpoint?: { every: number; save(s: LoopSnapshot): void | Promise<void> };
  /** Seconds of set-up before this loop, kept in snapshots. */
  setupSeconds?: number;
  /** Checked after every chunk: a message stops the task (stop "memory"), its answers kept. */
  memoryCheck?: () => string | undefined;
  /**
   * Stable answers with at least `patience` steps (by the budget and, at the last chunk's pace, by
   * the time limit) left start fresh copies instead of stopping (default false).
   */
  restarts?: boolean;
}

/** Run the loop for one task until a stop condition; never throws. */
export async function trainTask(
  plan: TaskPlan,
  model: TaskModel<unknown>,
  trainer: TaskTrainer,
  o: LoopOptions = {},
): Promise<LoopOutcome> {
  const now = o.now ?? (() => performance.now() / 1000);
  const start = now();
  const limit = o.timeLimit ?? Infinity;
  const r = o.resume;
  if (r?.stop) return snapshotOutcome(r, model.copies ?? 1);
  const copies = model.copies ?? 1;
  const T = plan.testInputs;
  let restarts = r?.restarts ?? 0;
  let restartStep = r?.restartStep ?? 0;
  let { selector, ema, stability } = r
    ? restoreParts(r)
    : {
        selector: new AnswerSelector(plan.testInputs, { warmupSteps: o.warmupSteps ?? plan.chunk }),
        ema: new OutputEma(o.emaDecay),
        stability: new StabilityTracker(plan.patience),
      };
  const losses: number[] = r ? [...r.losses] : [];
  let steps = r?.step ?? 0;
  let chunks = r?.chunks ?? 0;
  let lastChunkSeconds = r?.lastChunkSeconds ?? 0;
  let stop: StopReason = "steps";
  let nonFiniteStep: number | undefined;
  let error: string | undefined;
  const every = o.checkpoint?.every ?? 0;
  const snapshot = (final: StopReason | null): LoopSnapshot | undefined => {
    const state = trainer.getState?.();
    if (!state) return undefined;
    const loopSeconds = (r?.loopSeconds ?? 0) + (now() - start);
    const setupSeconds = (r?.setupSeconds ?? 0) + (o.setupSeconds ?? 0);
    return {
      step: steps,
      restarts,
      restartStep,
      chunks,
      losses: [...losses],
      lastChunkSeconds,
      loopSeconds,
      setupSeconds,
      trainer: state,
      selector: selector.toState(),
      ema: ema.toState(),
      stability: stability.toState(),
      stop: final,
    };
  };
  const save = async (final: StopReason | null) => {
    const s = o.checkpoint && snapshot(final);
    if (s) await o.checkpoint!.save(s);
  };

  try {
    if (r) {
      if (!trainer.setState) throw new Error("this trainer cannot be resumed from a checkpoint");
      trainer.setState(r.trainer);
      // the copies training now: copy j's seed is copySeed(task seed, j), as the model seeds them
      if (restarts > 0)
        trainer.setCopySeeds?.(
          Array.from({ length: copies }, (_, c) => copySeed(plan.seed, restarts * copies + c)),
        );
    }
    /** Every copy's candidates into the selection (copies numbered over restarts). */
    const addCandidates = (outputs: Record<string, Float32Array>) => {
      const all = model.decode(outputs);
      for (let c = 0; c < copies; c++)
        selector.add(all.slice(c * T, (c + 1) * T), steps, restarts * copies + c, steps - restartStep);
    };
    const canRestart = () => {
      if (!o.restarts || !model.initialParams || !trainer.setState || !trainer.setCopySeeds) return false;
      const elapsed = now() - start + (r?.loopSeconds ?? 0);
      const perStep = lastChunkSeconds / plan.chunk;
      const byTime = perStep > 0 ? (limit - elapsed) / perStep : Infinity;
      return Math.min(plan.steps - steps, byTime) >= Math.max(plan.patience, plan.chunk);
    };
    const restart = () => {
      restarts++;
      restartStep = steps;
      const fresh = model.initialParams!(restarts * copies);
      const each = (f: (a: Float32Array | Float64Array) => Float32Array | Float64Array) =>
        Object.fromEntries(fresh.params.map((p) => [p.name, f(p.init)]));
      // fresh copies: their initial weights, zero Adam moments, step 0
      trainer.setState!({ step: 0, params: each((a) => a.slice()), m: each(zerosLike), v: each(zerosLike) });
      trainer.setCopySeeds!(fresh.seeds);
      ema = new OutputEma(ema.decay);
      stability = new StabilityTracker(plan.patience);
    };
    while (steps < plan.steps) {
      const k = Math.min(plan.chunk, plan.steps - steps);
      const elapsed = now() - start + (r?.loopSeconds ?? 0);
      // Start the next chunk only when it is expected to end in time (the last chunk's duration is the
      // guess). The first chunk always runs: an answer is worth the overrun (the run's hard limit,
      // a little past the task's time, still holds).
      if (chunks > 0 && (elapsed >= limit || elapsed + lastChunkSeconds * (k / plan.chunk) > limit)) {
        stop = "time";
        break;
      }
      const t0 = now();
      const chunkLosses = Array.from(await trainer.step(k), Number);
      losses.push(...chunkLosses);
      const bad = chunkLosses.findIndex((l) => !Number.isFinite(l));
      if (bad >= 0) {
        nonFiniteStep = steps + bad + 1;
        steps += k;
        stop = "nonfinite";
        break;
      }
      const before = steps;
      steps += k;
      const outputs = await trainer.infer();
      addCandidates(outputs);
      const averaged = ema.update(outputs, k);
      if (ema.updates > 1) addCandidates(averaged);
      chunks++;
      lastChunkSeconds = now() - t0;
      const answers = selector.answers();
      o.onChunk?.({
        step: steps,
        steps: plan.steps,
        loss: mean(chunkLosses),
        losses: chunkLosses,
        seconds: now() - start,
        answers,
      });
      const overMemory = o.memoryCheck?.();
      if (overMemory !== undefined) {
        stop = "memory";
        error = overMemory;
        break;
      }
      if (selector.complete() && stability.observe(selector.signature(), steps)) {
        if (!canRestart()) {
          stop = "stable";
          break;
        }
        restart();
      }
      if (every > 0 && steps < plan.steps && Math.floor(steps / every) > Math.floor(before / every))
        await save(null);
    }
    if (stop === "steps" || stop === "stable" || stop === "time") await save(stop);
  } catch (e) {
    stop = "error";
    error = (e as Error)?.message ?? String(e);
  }
  const finite = losses.filter(Number.isFinite);
  return {
    stop,
    steps,
    seconds: now() - start,
    losses,
    finalLoss: finite.length ? finite[finite.length - 1]! : null,
    ...(nonFiniteStep !== undefined ? { nonFiniteStep } : {}),
    answers: selector.answers(),
    chunks,
    copiesTrained: copies * (restarts + 1),
    restarts,
    ...(error !== undefined ? { error } : {}),
  };
}

/** The outcome recorded in a final snapshot (nothing left to train). */
export function snapshotOutcome(s: LoopSnapshot, copies = 1): LoopOutcome {
  const finite = s.losses.filter(Number.isFinite);
  return {
    stop: s.stop ?? "steps",
    steps: s.step,
    seconds: 0,
    losses: [...s.losses],
    finalLoss: finite.length ? finite[finite.length - 1]! : null,
    answers: restoreParts(s).selector.answers(),
    chunks: s.chunks,
    copiesTrained: copies * ((s.restarts ?? 0) + 1),
    restarts: s.restarts ?? 0,
  };
}

const zerosLike = (a: Float32Array | Float64Array) =>
  a instanceof Float64Array ? new Float64Array(a.length) : new Float32Array(a.length);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * Up to `points` [step, loss] pairs from a per-step loss list: evenly spaced, always with the first and
 * the last step; non-finite losses become null.
 */
export function subsampleLosses(losses: readonly number[], points = 200): [number, number | null][] {
  const n = losses.length;
  if (n === 0) return [];
  const out: [number, number | null][] = [];
  const take = (i: number) => out.push([i + 1, Number.isFinite(losses[i]!) ? losses[i]! : null]);
  if (n <= points) {
    for (let i = 0; i < n; i++) take(i);
    return out;
  }
  let last = -1;
  for (let j = 0; j < points; j++) {
    const i = Math.round((j * (n - 1)) / (points - 1));
    if (i !== last) take(i);
    last = i;
  }
  return out;
}
