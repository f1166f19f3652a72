// A loop snapshot as checkpoint files: state.bin (the float arrays, bit for bit) and loop.json (the rest).
import type { LoopSnapshot } from "../loop/snapshot.ts";
import type { TrainerState } from "../train/trainer.ts";
import { decodeTensors, encodeTensors, type FloatData } from "./tensor-file.ts";

import { LOOP_FILE, STATE_FILE } from "./formats/index.ts";

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
  if (losses.length !== loop.step || trainer.step !== loop.step - (loop.restartStep ?? 0))
    throw new Error(
      `${LOOP_FILE} step ${loop.step} (copies started at ${loop.restartStep ?? 0}) disagrees with the trainer step ${trainer.step} or the ${losses.length} losses`,
    );
  return { ...rest, losses, trainer, ema: { decay: ema.decay, updates: ema.updates, values } };
}
