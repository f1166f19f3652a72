// Communication between members. Up: every member receives the sum of the (projected) members on a
// subset of its axes, broadcast over the axes they lack. Down: every member receives the means of the
// members on a superset of its axes over the axes it lacks (masked to the grid cells on x and y).
// Both are residual branches: project down per source, combine, normalise, project up per target.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { type Member, isSubset } from "./members.ts";
import { type Ctx, flat, linear, normalise, reduceTo, sumAll, view, widthOf, wname } from "./ops.ts";

export type Stream = Map<string, Tensor>;

/** Members in `targets` get the branch; the others pass through (and must not be read again). */
function share(ctx: Ctx, xs: Stream, blk: number, up: boolean, targets: readonly Member[]): Stream {
  const layer = up ? "up" : "down";
  const dim = up ? ctx.cfg.shareUp : ctx.cfg.shareDown;
  return ctx.g.scope(`b${blk}_share_${layer}`, () => {
    const sources = ctx.members.filter((s) => targets.some((t) => (up ? isSubset(s, t) : isSubset(t, s))));
    const proj = new Map(sources.map((m) => [m.name, view(ctx, linear(ctx, xs.get(m.name)!, wname(blk, `share${layer}_in`, m), dim), m)]));
    const out: Stream = new Map(xs);
    for (const t of targets) {
      const parts = up
        ? sources.filter((s) => isSubset(s, t)).map((s) => proj.get(s.name)!)
        : sources.filter((s) => isSubset(t, s)).map((s) => reduceTo(ctx, proj.get(s.name)!, s, t));
      const summed = flat(sumAll(parts));
      const y = linear(ctx, normalise(ctx, summed), wname(blk, `share${layer}_out`, t), widthOf(ctx, t));
      out.set(t.name, G.add(xs.get(t.name)!, y));
    }
    return out;
  });
}

export const shareUp = (ctx: Ctx, xs: Stream, blk: number, targets: readonly Member[] = ctx.members): Stream => share(ctx, xs, blk, true, targets);
export const shareDown = (ctx: Ctx, xs: Stream, blk: number, targets: readonly Member[] = ctx.members): Stream => share(ctx, xs, blk, false, targets);
