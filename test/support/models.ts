// Small specs for tests: linear regression (analytic gradients in TypeScript) and a model with noise.
import * as G from "../../src/graph/index.ts";
import { StreamCursor } from "../../src/train/rng.ts";
import type { FloatDType, ModelSpec } from "../../src/train/spec.ts";

export const LR = { n: 5, i: 3, o: 4 };

/** loss = mean((x @ w + b - t)^2); w [3,4], b [4] (group "bias"); x [5,3], t [5,4]. */
export function linearSpec(opts: { fixed?: boolean; dtype?: FloatDType } = {}): ModelSpec {
  const dtype = opts.dtype ?? "float64";
  const rng = new StreamCursor(7);
  const arr = (n: number) => {
    const a = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal();
    return a;
  };
  return {
    key: "test-linear/v1",
    dtype,
    params: [
      { name: "w", shape: [LR.i, LR.o], init: arr(LR.i * LR.o) },
      { name: "b", shape: [LR.o], init: arr(LR.o), group: "bias" },
    ],
    batch: [
      { name: "x", dtype, shape: [LR.n, LR.i], fixed: opts.fixed ?? false },
      { name: "t", dtype, shape: [LR.n, LR.o], fixed: opts.fixed ?? false },
    ],
    forward(_g, p, b) {
      const y = G.add(G.matmul(b.x!, p.w!), p.b!);
      const d = G.sub(y, b.t!);
      return { loss: G.reduceMean(G.mul(d, d)), outputs: { y } };
    },
  };
}

/** Loss and gradients of linearSpec in float64. */
export function linearGrads(w: Float64Array, b: Float64Array, x: ArrayLike<number>, t: ArrayLike<number>) {
  const { n, i: I, o: O } = LR;
  const dw = new Float64Array(I * O);
  const db = new Float64Array(O);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < O; c++) {
      let y = b[c]!;
      for (let k = 0; k < I; k++) y += x[r * I + k]! * w[k * O + c]!;
      const d = y - t[r * O + c]!;
      loss += d * d;
      const gy = (2 * d) / (n * O);
      db[c] += gy;
      for (let k = 0; k < I; k++) dw[k * O + c] += x[r * I + k]! * gy;
    }
  }
  return { loss: loss / (n * O), grads: { w: dw, b: db } };
}

/** A model whose loss depends on per-step noise: loss = mean((w - z)^2), outputs z and w. */
export function noiseSpec(): ModelSpec {
  return {
    key: "test-noise/v1",
    dtype: "float32",
    params: [{ name: "w", shape: [6], init: new Float32Array(6) }],
    batch: [{ name: "scale", dtype: "float32", shape: [], fixed: true }],
    noise: [
      { name: "z", shape: [6] },
      { name: "u", shape: [2], dist: "uniform" },
    ],
    forward(_g, p, b, nz) {
      const d = G.sub(p.w!, G.mul(nz.z!, b.scale!));
      const loss = G.add(G.reduceMean(G.mul(d, d)), G.reduceSum(G.mul(nz.u!, 0)));
      return { loss, outputs: { z_out: nz.z!, u_out: nz.u!, w_out: p.w! } };
    },
  };
}
