// The training loop for one task: chunks of K optimizer steps; after each chunk inference, the EMA of
// the outputs, candidates decoded from both, and the anytime selection updated. Stops at the step
// budget, the time limit (when the next chunk would not fit), stable answers, or a NaN/Inf loss (the
// answers from before it are kept). Errors are caught: the answers so far survive them.
import type { TaskModel } from "../models/task-model.ts";
import { OutputEma } from "./ema.ts";
import type { TaskTrainer } from "./engine.ts";
import type { TaskPlan } from "./plan.ts";
import { AnswerSelector, type TestAnswer } from "./select.ts";
import { StabilityTracker } from "./stability.ts";

/** Why a task's training stopped. */
export type StopReason = "steps" | "time" | "stable" | "nonfinite" | "error";

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
}

/** Run the loop for one task until a stop condition; never throws. */
export async function trainTask(plan: TaskPlan, model: TaskModel<unknown>, trainer: TaskTrainer, o: LoopOptions = {}): Promise<LoopOutcome> {
  const now = o.now ?? (() => performance.now() / 1000);
  const start = now();
  const limit = o.timeLimit ?? Infinity;
  const selector = new AnswerSelector(plan.testInputs, { warmupSteps: o.warmupSteps ?? plan.chunk });
  const ema = new OutputEma(o.emaDecay);
  const stability = new StabilityTracker(plan.patience);
  const losses: number[] = [];
  let steps = 0;
  let chunks = 0;
  let lastChunkSeconds = 0;
  let stop: StopReason = "steps";
  let nonFiniteStep: number | undefined;
  let error: string | undefined;

  try {
    while (steps < plan.steps) {
      const k = Math.min(plan.chunk, plan.steps - steps);
      const elapsed = now() - start;
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
      steps += k;
      const outputs = await trainer.infer();
      selector.add(model.decode(outputs), steps);
      const averaged = ema.update(outputs, k);
      if (ema.updates > 1) selector.add(model.decode(averaged), steps);
      chunks++;
      lastChunkSeconds = now() - t0;
      const answers = selector.answers();
      o.onChunk?.({ step: steps, steps: plan.steps, loss: mean(chunkLosses), losses: chunkLosses, seconds: now() - start, answers });
      if (selector.complete() && stability.observe(selector.signature(), steps)) {
        stop = "stable";
        break;
      }
    }
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
    ...(error !== undefined ? { error } : {}),
  };
}

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
