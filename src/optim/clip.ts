// Global-norm gradient clipping (PyTorch clip_grad_norm_): norm = sqrt(sum of all squared gradient
// entries); every gradient is scaled by min(1, maxNorm / (norm + 1e-6)).
import type { Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";

export const CLIP_EPS = 1e-6;

/** The global L2 norm of `grads` (a scalar of their dtype). */
export function globalNorm(grads: Tensor[]): Tensor {
  const g = grads[0]!.graph;
  return g.scope("global_norm", () => {
    const sums = grads.map((t) => G.reduceSum(G.mul(t, t)));
    return G.sqrt(sums.slice(1).reduce((a, b) => G.add(a, b), sums[0]!));
  });
}

/** Scale `grads` so their global norm is at most `maxNorm`; returns the clipped grads and the norm before. */
export function clipByGlobalNorm(grads: Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  const norm = globalNorm(grads);
  const coef = norm.graph.scope("clip", () => G.min(G.div(maxNorm, G.add(norm, CLIP_EPS)), 1));
  return { grads: grads.map((t) => G.mul(t, coef)), norm };
}
