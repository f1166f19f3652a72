// A counter-based random generator: every value is a pure function of (seed, step, stream, index), so
// a one-step run and a K-step Loop run (which takes the same noise stacked per step) see the same
// numbers, and a resumed run regenerates exactly what it would have seen.
import { hashString } from "../arc/random.ts";

/** 32-bit avalanche mix (xor-shift / multiply rounds). */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Fold a non-negative integer up to 2^53 into two 32-bit words mixed into the state. */
function absorb(h: number, v: number): number {
  const lo = v >>> 0;
  const hi = Math.floor(v / 4294967296) >>> 0;
  h = mix((h ^ lo) + 0x9e3779b9);
  return mix((h ^ hi) + 0x7f4a7c15);
}

/** The key for one (seed, step, stream): hash once, then vary only the element index. */
export function streamKey(seed: number, step: number, stream: number): number {
  return absorb(absorb(absorb(0x243f6a88, seed), step), stream);
}

/** Uniform uint32 for element `i` and lane `lane` of the stream keyed by `key`. */
export function bits(key: number, i: number, lane = 0): number {
  return mix(absorb(key ^ Math.imul(lane + 1, 0x632be5ab), i));
}

/** U[0, 1) with 24 random bits (exact in float32). */
export const uniformAt = (key: number, i: number, lane = 0): number => (bits(key, i, lane) >>> 8) / 16777216;

/** N(0, 1) by Box-Muller from two independent lanes. */
export function normalAt(key: number, i: number): number {
  const u1 = ((bits(key, i, 0) >>> 8) + 1) / 16777216; // (0, 1]
  const u2 = (bits(key, i, 1) >>> 8) / 16777216;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Fill `out` with the noise of (seed, step, stream). */
export function fillNoise(
  out: Float32Array | Float64Array,
  seed: number,
  step: number,
  stream: number,
  dist: "normal" | "uniform" = "normal",
): void {
  const key = streamKey(seed, step, stream);
  if (dist === "uniform") for (let i = 0; i < out.length; i++) out[i] = uniformAt(key, i);
  else for (let i = 0; i < out.length; i++) out[i] = normalAt(key, i);
}

/** One stream of the counter-based generator read value after value (initial weights, toy data); the
 * sequential generator for task-level choices is src/arc/random.ts's Rng. */
export class StreamCursor {
  private readonly key: number;
  private i = 0;
  constructor(seed: number, stream = 0) {
    this.key = streamKey(seed, 0xffffffff, stream);
  }
  uniform(): number {
    return uniformAt(this.key, this.i++);
  }
  normal(): number {
    return normalAt(this.key, this.i++);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

/**
 * The seed of copy j of a model trained as several independent copies (initial weights and noise):
 * copy 0 keeps the task's seed, so a one-copy model is the model of that seed; later copies (and the
 * fresh copies of restarts, numbered on) get seeds hashed from it.
 */
export function copySeed(seed: number, j: number): number {
  return j === 0 ? seed >>> 0 : hashString(`${seed >>> 0}/copy/${j}`);
}
