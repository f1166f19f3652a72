// Output heads, per copy. Colour: the ECXY member projected to two logits per colour and cell (slot 0: the
// example's input grid, slot 1: its output grid), black's logit fixed at zero. Size (only for the
// "learned" shape rule): the EX and EY members projected to one value per row / column, m_i; the
// log-probability of height h is log_softmax_h(sum_{i<h} m_i - sum_{i>=h} m_i) (the grid sits at
// the canvas's top-left corner), computed with one CumSum.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { AX } from "./members.ts";
import { type Ctx, channelsOf, linear } from "./ops.ts";

/** [copies, 2, E, K, X, Y] logits, K = colours including black (index 0). */
export function colourLogits(ctx: Ctx, xc: Tensor): Tensor {
  return ctx.g.scope("head_colour", () => {
    const { E, C, X, Y } = ctx.sizes;
    const width = channelsOf(xc);
    const b = ctx.p.get("head_colour_bias", [2, 1, 1, 1, 1], { kind: "zeros" });
    const logits = G.add(
      G.reshape(linear(ctx, xc, "head_colour", 2, { kind: "equalRows", std: 1 / Math.sqrt(width) }), [
        ctx.copies,
        2,
        E,
        C,
        X,
        Y,
      ]),
      G.mul(b, ctx.cfg.headBiasScale),
    );
    return G.pad(logits, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 0);
  });
}

/** Sum over the known cells (and the copies) of the colour cross-entropy. */
export function colourCrossEntropy(logits: Tensor, target: Tensor, cells: Tensor): Tensor {
  return logits.graph.scope("colour_ce", () => {
    const lse = G.logSumExp(logits, [3], true);
    return G.sub(
      G.reduceSum(G.mul(lse, cells), undefined, false),
      G.reduceSum(G.mul(logits, target), undefined, false),
    );
  });
}

/** [copies, E, L] one value m per row (or column) from a member with one grid axis (EX or EY). */
export function lineValues(ctx: Ctx, xs: Tensor): Tensor {
  const bias = ctx.p.get("head_size_bias", [1, 1], { kind: "zeros" });
  return G.reshape(G.add(linear(ctx, xs, "head_size", 1), bias), [ctx.copies, ctx.sizes.E, -1]);
}

/** [copies, E, L] log-probabilities of each length from a member with one grid axis (EX or EY). */
export function sizeLogProbs(ctx: Ctx, xs: Tensor, axis: number): Tensor {
  return ctx.g.scope(`head_size_${axis === AX.x ? "x" : "y"}`, () => {
    const m = lineValues(ctx, xs);
    const score = G.sub(G.mul(G.cumSum(m, 2), 2), G.reduceSum(m, [2], true));
    return G.logSoftmax(score, 2);
  });
}
