// Test support: graphs shared by the driver and checker tests.
import * as G from "../../src/graph/index.ts";
import { Graph } from "../../src/graph/index.ts";
import { gradients } from "../../src/autodiff/index.ts";

/**
 * K steps of gradient descent in one ONNX Loop: linear regression w <- w - lr * d/dw mean((X w - Y)^2),
 * with X and Y read from the enclosing graph and the gradient built by `gradients` inside the body.
 * Outputs: w (after K steps) and losses [K] (the loss before each step).
 */
export function sgdLoopGraph(K = 3, lr = 0.1, dtype: "float32" | "float64" = "float64"): Graph {
  const g = new Graph("sgd_loop");
  const x = g.input("X", dtype, [4, 2]);
  const y = g.input("Y", dtype, [4, 1]);
  const w0 = g.input("w0", dtype, [2, 1]);
  const { carried, scans } = G.loop(g, K, [w0], (_i, [w]) => {
    const err = G.sub(G.matmul(x, w!), y);
    const loss = G.reduceMean(G.mul(err, err));
    const [dw] = gradients(loss, [w!]);
    return { carried: [G.sub(w!, G.mul(dw!, lr))], scans: [loss] };
  });
  g.output(carried[0]!, "w");
  g.output(scans[0]!, "losses");
  return g;
}

/** The same K steps in plain JS, for the expected numbers. */
export function sgdReference(
  X: number[],
  Y: number[],
  w0: number[],
  K = 3,
  lr = 0.1,
): { w: number[]; losses: number[] } {
  let w = w0.slice();
  const losses: number[] = [];
  for (let k = 0; k < K; k++) {
    const err = [0, 1, 2, 3].map((r) => X[2 * r]! * w[0]! + X[2 * r + 1]! * w[1]! - Y[r]!);
    losses.push(err.reduce((s, e) => s + e * e, 0) / 4);
    const grad = [0, 1].map((c) => (2 / 4) * err.reduce((s, e, r) => s + e * X[2 * r + c]!, 0));
    w = w.map((v, c) => v - lr * grad[c]!);
  }
  return { w, losses };
}

/** A float32 forward + backward graph through most differentiable ops (Erf included: float32 only in ORT). */
export function compositeGradGraph(): Graph {
  const g = new Graph("composite_grad");
  const x = g.input("x", "float32", [2, 3]);
  const w = g.input("w", "float32", [3, 4]);
  const b = g.input("b", "float32", [4]);
  const scale = g.input("scale", "float32", [4]);
  const h = G.gelu(G.add(G.matmul(x, w), b));
  const n = G.layerNorm(G.silu(h), scale, null);
  const p = G.softmax(G.concat([n, G.flip(G.pad(h, [0, 1, 0, -1]), 1)], 0), 0);
  const e = G.einsum("ij,jk->ik", G.gather(x, g.int64s([1, 0, 1]), 0), w);
  const m = G.reduceMax(G.cumSum(G.tile(e, [1, 2]), 1, { reverse: true }), [1]);
  const loss = G.add(
    G.reduceMean(G.mul(p, p)),
    G.reduceSum(G.logSumExp(G.sub(m, G.sqrt(G.exp(m))), [0], true)),
  );
  g.output(loss, "loss");
  for (const t of gradients(loss, [x, w, b, scale])) g.output(t);
  return g;
}
