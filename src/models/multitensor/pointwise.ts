// Two residual branches that act within one member: the subset softmax (a softmax of the projected
// tensor over every non-empty subset of its axes other than example and channel) and the SiLU MLP.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { customGradient } from "../../autodiff/custom.ts";
import { AX, type Member, nonExampleAxes } from "./members.ts";
import { type Ctx, flat, linear, view, widthOf, wname } from "./ops.ts";

/**
 * The axis subsets a member's softmax runs over, grouped into orbits of the x/y exchange: a member
 * with both x and y sums the outputs of S and of S with x and y exchanged before projecting them up,
 * which ties their weights (the model stays equivariant to transposition).
 */
export function softmaxOrbits(m: Member): number[][][] {
  const axes = nonExampleAxes(m);
  const subsets: number[][] = [];
  for (let bits = 1; bits < 1 << axes.length; bits++) subsets.push(axes.filter((_, i) => bits & (1 << i)));
  const swap = (s: number[]) =>
    s.map((a) => (a === AX.x ? AX.y : a === AX.y ? AX.x : a)).sort((a, b) => a - b);
  const key = (s: number[]) => s.join(",");
  const orbits = new Map<string, number[][]>();
  for (const s of subsets) {
    const k = [key(s), key(swap(s))].sort()[0]!;
    const o = orbits.get(k);
    if (o) {
      if (!o.some((t) => key(t) === key(s))) o.push(s);
    } else orbits.set(k, [s]);
  }
  return [...orbits.values()];
}

export function subsetSoftmax(ctx: Ctx, x: Tensor, m: Member, blk: number): Tensor {
  return ctx.g.scope(`b${blk}_softmax_${m.name}`, () => {
    const z = view(ctx, linear(ctx, x, wname(blk, "softmax_in", m), ctx.cfg.softmax), m);
    // A subset of one axis is one Softmax node (its rule: dz = y (dy - sum(dy y))). Larger subsets share
    // one exponential: exp(z - c) with c the floor of the example's maximum (constant within every
    // softmax, so the result is exact; Floor passes no gradient, and none is due); each then costs a sum
    // and a division, the sum kept off zero so that a range of more than ~87 within an example (float32
    // underflow) gives zeros, not NaN.
    let shared: Tensor | undefined;
    const exp = () => {
      shared ??= G.exp(G.sub(z, G.floor(G.reduceMax(z, [AX.d, AX.c, AX.x, AX.y], true))));
      return shared;
    };
    // Backward: each larger subset's output is softmax_S(z), so one custom rule per subset takes the
    // gradient straight to z (4 nodes instead of ~10 for the Div, Max and ReduceSum rules and the Exp).
    const softmaxOver = (axes: number[]) => {
      if (axes.length === 1) return G.softmax(z, axes[0]!);
      const e = exp();
      const y = G.div(e, G.max(G.reduceSum(e, axes, true), 1e-30));
      // dz = y * (dy - sum_S(dy * y)) (exact where the sum is above the 1e-30 floor)
      return customGradient(y, [z], (dy) => [G.mul(y, G.sub(dy, G.reduceSum(G.mul(dy, y), axes, true)))]);
    };
    const feats = softmaxOrbits(m).map((orbit) => {
      const parts = orbit.map(softmaxOver);
      return parts.length === 1 ? parts[0]! : G.add(parts[0]!, parts[1]!);
    });
    const y = linear(ctx, flat(G.concat(feats, AX.ch)), wname(blk, "softmax_out", m), widthOf(ctx, m));
    return G.add(x, y);
  });
}

/** SiLU x * sigmoid(x) with one backward rule (4 nodes instead of the Mul and Sigmoid rules' 6). */
function silu(x: Tensor): Tensor {
  const s = G.sigmoid(x);
  const y = G.mul(x, s);
  // dx = dy * (s + y * (1 - s))
  return customGradient(y, [x], (dy) => [G.mul(dy, G.add(s, G.mul(y, G.sub(1, s))))]);
}

export function mlp(ctx: Ctx, x: Tensor, m: Member, blk: number): Tensor {
  return ctx.g.scope(`b${blk}_mlp_${m.name}`, () => {
    const h = silu(linear(ctx, x, wname(blk, "mlp_in", m), ctx.cfg.mlp));
    return G.add(x, linear(ctx, h, wname(blk, "mlp_out", m), widthOf(ctx, m)));
  });
}
