// The forward context and the small maps every layer uses: per-member channel projections,
// normalisation over all non-channel axes, masked means over the grid axes.
import type { Graph, Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { customGradient } from "../../autodiff/custom.ts";
import type { MultitensorConfig } from "./config.ts";
import { AX, type Member, type Sizes, shapeOf, weightOwner } from "./members.ts";
import type { Init, ParamSource } from "./params.ts";

/** Everything a layer needs while the forward graph is built. */
export interface Ctx {
  g: Graph;
  dtype: "float32" | "float64";
  cfg: MultitensorConfig;
  sizes: Sizes;
  members: Member[];
  p: ParamSource;
  /** Independent copies of the model carried on the leading axis of every tensor. */
  copies: number;
  /** [1, 1, 1, E, 1, X, Y]: 1 on the cells of an example (union of its input and output rectangles). */
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
export const wname = (blk: number | string, layer: string, m: Member): string =>
  `b${blk}_${layer}_${weightOwner(m)}`;

/**
 * Members flow between layers "flat", [copies, channels, cells] with the cells in [D, E, C, X, Y]
 * order ([channels, cells] at one copy, so that its channel maps are 2-D products ORT turns into Gemm
 * nodes), so channel maps (one batched MatMul for all copies) and normalisation are single nodes;
 * `view` gives the rank-7 layout where a layer needs the axes (broadcasting, reductions, shifts) and
 * `flat` returns to the flat form.
 */
export const view = (ctx: Ctx, x: Tensor, m: Member): Tensor =>
  G.reshape(x, [ctx.copies, ...shapeOf(m, ctx.sizes, channelsOf(x))]);
export const flat = (x: Tensor): Tensor => {
  const copies = x.shape[AX.r]!;
  return G.reshape(x, copies === 1 ? [x.shape[AX.ch]!, -1] : [copies, x.shape[AX.ch]!, -1]);
};
/** The channel count of a flat ([copies,] channels, cells) or rank-7 tensor. */
export const channelsOf = (x: Tensor): number => x.shape[x.rank <= 3 ? x.rank - 2 : AX.ch]!;

/**
 * Multiply the channel axis of a flat tensor by a weight [out, in] per copy (N(0, 1/in) initially);
 * the source hands out [copies, out, in], so one batched MatMul serves every copy.
 */
export function linear(ctx: Ctx, x: Tensor, name: string, out: number, init?: Init): Tensor {
  if (x.rank !== (ctx.copies === 1 ? 2 : 3))
    throw new Error(`multitensor linear ${name}: expected a flat [copies, channels, cells] tensor, got ${x}`);
  const inCh = channelsOf(x);
  const w = ctx.p.get(name, [out, inCh], init ?? { kind: "normal", std: 1 / Math.sqrt(inCh) });
  return G.matmul(w, x);
}

/**
 * A LayerNormalization scale of ones over `n` cells. Given in full, not as a broadcast [1]: ORT's CPU
 * kernel ran 2-8x slower with a scale it had to broadcast (45 against 20 us on [8, 2400]).
 */
export const unitScale = (ctx: Ctx, n: number): Tensor =>
  memo(ctx, `ones_${n}`, () => ctx.g.constant(ctx.dtype, [n], new Array<number>(n).fill(1)));

/** Per copy and channel: subtract the mean and divide by the RMS over every other axis. */
export function normalise(ctx: Ctx, x: Tensor): Tensor {
  const f = x.rank <= 3 ? x : flat(x);
  const y = G.layerNorm(f, unitScale(ctx, f.shape[f.rank - 1]!), null, f.rank - 1, 1e-6);
  return x.rank <= 3 ? y : G.reshape(y, [...x.shape]);
}

export const negBig = (ctx: Ctx): Tensor => memo(ctx, "negBig", () => G.mul(G.sub(ctx.mask, 1), BIG));

type Axes = { d: boolean; e: boolean; c: boolean; x: boolean; y: boolean };
const axesKey = (a: Axes, rowsOfGrid: boolean) =>
  `${a.d ? "D" : ""}${a.e ? "E" : ""}${a.c ? "C" : ""}${a.x ? "X" : ""}${a.y ? "Y" : ""}${rowsOfGrid ? "*" : ""}`;

/**
 * Weights (summing to one over the reduced axis, per example and remaining cell) that turn a sum into
 * a masked mean: "y" / "x": over y / x of a tensor with both grid axes (row / column means of the
 * example's cells); "rows" / "cols": over x / y of a tensor with only that axis (mean over the rows /
 * columns the example has); "rowcells": over x of row means, weighted by each row's cell count (so that
 * "y" then "rowcells" is exactly the mean over all the example's cells).
 */
function gridWeights(ctx: Ctx, kind: "x" | "y" | "rows" | "cols" | "rowcells"): Tensor {
  return memo(ctx, `w_${kind}`, () => {
    const m = ctx.mask;
    const norm = (base: Tensor, axis: number) => G.div(base, G.max(G.reduceSum(base, [axis], true), 1)); // counts: >= 1 unless empty
    if (kind === "y") return norm(m, AX.y);
    if (kind === "x") return norm(m, AX.x);
    if (kind === "rows") return norm(G.reduceMax(m, [AX.y], true), AX.x);
    if (kind === "cols") return norm(G.reduceMax(m, [AX.x], true), AX.y);
    return norm(G.reduceSum(m, [AX.y], true), AX.x);
  });
}

/**
 * sum over `axis` of t * w (w of size 1 wherever t's other axes are, full along `axis`), whose gradient
 * dt = dy * w is one broadcasting Mul (the Mul and ReduceSum rules would expand dy to t's shape first).
 */
function weightedSum(t: Tensor, w: Tensor, axis: number): Tensor {
  const y = G.reduceSum(G.mul(t, w), [axis], true);
  const fits = t.shape.every(
    (d, i) =>
      d === (i === axis ? w.shape[i] : y.shape[i]) && (i === axis || w.shape[i] === 1 || w.shape[i] === d),
  );
  if (!fits) return y;
  // dt = dy * w
  return customGradient(y, [t], (dy) => [G.mul(dy, w)]);
}

/**
 * Means of one member's tensor over the axes each target lacks (masked on the grid axes), built as a
 * chain of single-axis reductions whose intermediate results are shared between targets: direction
 * and colour first, then y, then x (grid means need the example axis), then the example axis.
 */
export class Reducer {
  private readonly cache = new Map<string, Tensor>();
  constructor(
    private readonly ctx: Ctx,
    private readonly from: Member,
    t: Tensor,
  ) {
    this.cache.set(axesKey(from, false), t);
  }

  to(target: Member): Tensor {
    let a: Axes = { d: this.from.d, e: this.from.e, c: this.from.c, x: this.from.x, y: this.from.y };
    let rows = false; // x-only tensor made of row means of the grid
    let t = this.cache.get(axesKey(a, rows))!;
    const step = (next: Axes, nextRows: boolean, make: () => Tensor) => {
      const k = axesKey(next, nextRows);
      let r = this.cache.get(k);
      if (!r) {
        r = make();
        this.cache.set(k, r);
      }
      a = next;
      rows = nextRows;
      t = r;
    };
    const ctx = this.ctx;
    const masked = (kind: Parameters<typeof gridWeights>[1], axis: number) => () =>
      weightedSum(t, gridWeights(ctx, kind), axis);
    if (a.d && !target.d) step({ ...a, d: false }, rows, () => G.reduceMean(t, [AX.d], true));
    if (a.c && !target.c) step({ ...a, c: false }, rows, () => G.reduceMean(t, [AX.c], true));
    if (a.y && !target.y) step({ ...a, y: false }, a.x, a.x ? masked("y", AX.y) : masked("cols", AX.y));
    if (a.x && !target.x)
      step(
        { ...a, x: false },
        false,
        a.y ? masked("x", AX.x) : rows ? masked("rowcells", AX.x) : masked("rows", AX.x),
      );
    if (a.e && !target.e) step({ ...a, e: false }, false, () => G.reduceMean(t, [AX.e], true));
    return t;
  }
}

/** Sum of tensors that broadcast to one shape, combining the pair with the smallest result first. */
export function sumAll(ts: Tensor[]): Tensor {
  const pool = [...ts];
  const bsize = (a: Tensor, b: Tensor) => a.shape.reduce((p, d, i) => p * Math.max(d, b.shape[i]!), 1);
  while (pool.length > 1) {
    let best = [0, 1];
    let bestSize = Infinity;
    for (let i = 0; i < pool.length; i++)
      for (let j = i + 1; j < pool.length; j++) {
        const s = bsize(pool[i]!, pool[j]!) * 4 + pool[i]!.size + pool[j]!.size;
        if (s < bestSize) {
          bestSize = s;
          best = [i, j];
        }
      }
    const [i, j] = best as [number, number];
    const sum = G.add(pool[i]!, pool[j]!);
    pool.splice(j, 1);
    pool.splice(i, 1, sum);
  }
  return pool[0]!;
}
