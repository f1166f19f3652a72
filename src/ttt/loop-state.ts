// Everything the training loop needs to go on exactly where it was: the trainer's state (parameters,
// optimizer moments, step), the answer selection, the output EMA, the stability tracker, the loss
// history and counters. As checkpoint files: state.bin (the float arrays, bit for bit) and loop.json.
import type { TrainerState } from "../train/trainer.ts";
import { OutputEma } from "./ema.ts";
import { AnswerSelector } from "./select.ts";
import type { StopReason } from "./solve-task.ts";
import { StabilityTracker } from "./stability.ts";
import { decodeTensors, encodeTensors, type FloatData } from "./tensor-file.ts";

export const STATE_FILE = "state.bin";
export const LOOP_FILE = "loop.json";

export interface LoopSnapshot {
  /** Optimizer steps done (the trainer's step). */
  step: number;
  chunks: number;
  /** Every step's loss so far. */
  losses: number[];
  lastChunkSeconds: number;
  /** Seconds spent in the loop and in set-up, over every session of this task so far. */
  loopSeconds: number;
  setupSeconds: number;
  trainer: TrainerState;
  selector: ReturnType<AnswerSelector["toState"]>;
  ema: ReturnType<OutputEma["toState"]>;
  stability: ReturnType<StabilityTracker["toState"]>;
  /** Set in a final snapshot: why training stopped. */
  stop: StopReason | null;
}

/** The live objects of a loop, rebuilt from a snapshot. */
export function restoreParts(s: LoopSnapshot): {
  selector: AnswerSelector;
  ema: OutputEma;
  stability: StabilityTracker;
} {
  return {
    selector: AnswerSelector.fromState(s.selector),
    ema: OutputEma.fromState(s.ema),
    stability: StabilityTracker.fromState(s.stability),
  };
}

interface LoopJson extends Omit<LoopSnapshot, "losses" | "trainer" | "ema"> {
  trainerStep: number;
  params: string[];
  ema: { decay: number; updates: number; names: string[] | null };
}

/** The snapshot as checkpoint files. */
export function snapshotFiles(s: LoopSnapshot): Record<string, Uint8Array> {
  const arrays: Record<string, FloatData> = { losses: Float64Array.from(s.losses) };
  const params = Object.keys(s.trainer.params);
  for (const p of params) {
    arrays[`params/${p}`] = s.trainer.params[p]!;
    arrays[`m/${p}`] = s.trainer.m[p]!;
    arrays[`v/${p}`] = s.trainer.v[p]!;
  }
  const emaNames = s.ema.values ? Object.keys(s.ema.values) : null;
  for (const n of emaNames ?? []) arrays[`ema/${n}`] = s.ema.values![n]!;
  const { losses: _l, trainer, ema, ...rest } = s;
  const loop: LoopJson = {
    ...rest,
    trainerStep: trainer.step,
    params,
    ema: { decay: ema.decay, updates: ema.updates, names: emaNames },
  };
  return { [STATE_FILE]: encodeTensors(arrays), [LOOP_FILE]: new TextEncoder().encode(JSON.stringify(loop)) };
}

/** A snapshot from checkpoint files (already checked against their manifest); throws when incomplete. */
export function snapshotFromFiles(files: Record<string, Uint8Array>): LoopSnapshot {
  const stateBytes = files[STATE_FILE];
  const loopBytes = files[LOOP_FILE];
  if (!stateBytes || !loopBytes) throw new Error(`needs ${STATE_FILE} and ${LOOP_FILE}`);
  const arrays = decodeTensors(stateBytes);
  const loop = JSON.parse(new TextDecoder().decode(loopBytes)) as LoopJson;
  const get = (name: string): FloatData => {
    const a = arrays[name];
    if (!a) throw new Error(`${STATE_FILE} has no array ${name}`);
    return a;
  };
  const trainer: TrainerState = { step: loop.trainerStep, params: {}, m: {}, v: {} };
  for (const p of loop.params) {
    trainer.params[p] = get(`params/${p}`);
    trainer.m[p] = get(`m/${p}`);
    trainer.v[p] = get(`v/${p}`);
  }
  const values = loop.ema.names
    ? Object.fromEntries(loop.ema.names.map((n) => [n, get(`ema/${n}`) as Float32Array]))
    : null;
  const { trainerStep: _t, params: _p, ema, ...rest } = loop;
  const losses = Array.from(get("losses"));
  if (losses.length !== loop.step || trainer.step !== loop.step)
    throw new Error(
      `${LOOP_FILE} step ${loop.step} disagrees with the trainer step ${trainer.step} or the ${losses.length} losses`,
    );
  return { ...rest, losses, trainer, ema: { decay: ema.decay, updates: ema.updates, values } };
}
