// The forward context and the small maps every layer uses: per-member channel projections,
// normalisation over all non-channel axes, masked means over the grid axes.
import type { Graph, Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import type { MultitensorConfig } from "./config.ts";
import { AX, type Member, RANK, type Sizes, shapeOf, weightOwner } from "./members.ts";
import type { Init, ParamSource } from "./params.ts";

/** Everything a layer needs while the forward graph is built. */
export interface Ctx {
  g: Graph;
  dtype: "float32" | "float64";
  cfg: MultitensorConfig;
  sizes: Sizes;
  members: Member[];
  p: ParamSource;
  /** [1, 1, E, 1, X, Y]: 1 on the cells of an example (union of its input and output rectangles). */
  mask: Tensor;
  /** Tensors derived from the mask, built once per forward. */
  memo: Map<string, Tensor>;
}

/** A value used for "minus infinity" on masked cells (activations stay far smaller). */
export const BIG = 1e4;

export function memo(ctx: Ctx, key: string, make: () => Tensor): Tensor {
  let t = ctx.memo.get(key);
  if (!t) {
    t = make();
    ctx.memo.set(key, t);
  }
  return t;
}

export const widthOf = (ctx: Ctx, m: Member): number => (m.d ? ctx.cfg.widthDir : ctx.cfg.width);

/** Weight-name prefix of a member's layer in block `blk` (x/y partners share it). */
export const wname = (blk: number | string, layer: string, m: Member): string => `b${blk}_${layer}_${weightOwner(m)}`;

/**
 * Members flow between layers "flat", [channels, cells] with the cells in [D, E, C, X, Y] order, so
 * channel maps and normalisation are single nodes; `view` gives the rank-6 layout where a layer needs
 * the axes (broadcasting, reductions, shifts) and `flat` returns to the flat form.
 */
export const view = (ctx: Ctx, x: Tensor, m: Member): Tensor => G.reshape(x, shapeOf(m, ctx.sizes, x.shape[0]!));
export const flat = (x: Tensor): Tensor => G.reshape(x, [x.shape[0]!, -1]);

/** Multiply the channel axis of a flat tensor by a weight [out, in] (N(0, 1/in) initially). */
export function linear(ctx: Ctx, x: Tensor, name: string, out: number, init?: Init): Tensor {
  if (x.rank !== 2) throw new Error(`multitensor linear ${name}: expected a flat [channels, cells] tensor, got ${x}`);
  const inCh = x.shape[0]!;
  const w = ctx.p.get(name, [out, inCh], init ?? { kind: "normal", std: 1 / Math.sqrt(inCh) });
  return G.matmul(w, x);
}

/** Per channel: subtract the mean and divide by the RMS over every other axis. */
export function normalise(ctx: Ctx, x: Tensor): Tensor {
  const one = ctx.g.constant(ctx.dtype, [1], [1]);
  return x.rank === 2 ? G.layerNorm(x, one, null, 1, 1e-6) : G.reshape(G.layerNorm(flat(x), one, null, 1, 1e-6), [...x.shape]);
}

export const negBig = (ctx: Ctx): Tensor => memo(ctx, "negBig", () => G.mul(G.sub(ctx.mask, 1), BIG));

/**
 * Weights w (summing to one over the reduced grid axes of each example) that turn a sum over those
 * axes into a masked mean: "xy" for members with both axes reduced to neither, "x"/"y" for one of
 * them, "rows"/"cols" for members with only x / only y.
 */
function gridWeights(ctx: Ctx, kind: "xy" | "x" | "y" | "rows" | "cols"): Tensor {
  return memo(ctx, `w_${kind}`, () => {
    const m = ctx.mask;
    let base = m;
    let axes: number[];
    if (kind === "rows") {
      base = G.reduceMax(m, [AX.y], true);
      axes = [AX.x];
    } else if (kind === "cols") {
      base = G.reduceMax(m, [AX.x], true);
      axes = [AX.y];
    } else axes = kind === "xy" ? [AX.x, AX.y] : kind === "x" ? [AX.x] : [AX.y];
    return G.div(base, G.add(G.reduceSum(base, axes, true), 1e-4));
  });
}

/** Mean of a member's tensor over the axes it has and `to` lacks; masked on the grid axes. */
export function reduceTo(ctx: Ctx, t: Tensor, from: Member, to: Member): Tensor {
  const drop = (has: boolean, keep: boolean) => has && !keep;
  const plain: number[] = [];
  if (drop(from.d, to.d)) plain.push(AX.d);
  if (drop(from.e, to.e)) plain.push(AX.e);
  if (drop(from.c, to.c)) plain.push(AX.c);
  const dx = drop(from.x, to.x);
  const dy = drop(from.y, to.y);
  if (!dx && !dy) return plain.length ? G.reduceMean(t, plain, true) : t;
  const kind = dx && dy ? "xy" : from.x && from.y ? (dx ? "x" : "y") : dx ? "rows" : "cols";
  const n = plain.reduce((p, a) => p * t.shape[a]!, 1);
  const w = n === 1 ? gridWeights(ctx, kind) : memo(ctx, `w_${kind}/${n}`, () => G.div(gridWeights(ctx, kind), n));
  const axes = [...plain, ...(dx ? [AX.x] : []), ...(dy ? [AX.y] : [])];
  return G.reduceSum(G.mul(t, w), axes, true);
}

/** Sum of tensors that broadcast to one shape, smallest first. */
export function sumAll(ts: Tensor[]): Tensor {
  const sorted = [...ts].sort((a, b) => a.size - b.size);
  return sorted.slice(1).reduce((acc, t) => G.add(acc, t), sorted[0]!);
}

export function assertLayout(t: Tensor): void {
  if (t.rank !== RANK) throw new Error(`multitensor: ${t} is not in the rank-${RANK} layout`);
}
