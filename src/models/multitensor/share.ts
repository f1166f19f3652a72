// Communication between members. Up: every member receives the sum of the (projected) members on a
// subset of its axes, broadcast over the axes they lack. Down: every member receives the means of the
// members on a superset of its axes over the axes it lacks (masked to the grid cells on x and y).
// Both are residual branches: project down per source, combine, normalise, project up per target.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { type Member, isSubset } from "./members.ts";
import { type Ctx, Reducer, flat, linear, normalise, sumAll, view, widthOf, wname } from "./ops.ts";

export type Stream = Map<string, Tensor>;

/** Members in `targets` get the branch; the others pass through (and must not be read again). */
function share(ctx: Ctx, xs: Stream, blk: number, up: boolean, targets: readonly Member[]): Stream {
  const layer = up ? "up" : "down";
  const dim = up ? ctx.cfg.shareUp : ctx.cfg.shareDown;
  return ctx.g.scope(`b${blk}_share_${layer}`, () => {
    const sources = ctx.members.filter((s) => targets.some((t) => (up ? isSubset(s, t) : isSubset(t, s))));
    // Up: a source projects once per channel count its targets use (direction targets may use fewer).
    const upDim = (t: Member) => (t.d ? ctx.cfg.shareUpDir : ctx.cfg.shareUp);
    const proj = new Map<string, Tensor>();
    const project = (s: Member, d: number) => {
      const k = `${s.name}/${d}`;
      let p = proj.get(k);
      if (!p) {
        const name = wname(blk, `share${layer}_in${up && d !== ctx.cfg.shareUp ? `${d}` : ""}`, s);
        p = view(ctx, linear(ctx, xs.get(s.name)!, name, d), s);
        proj.set(k, p);
      }
      return p;
    };
    const reducers = new Map<string, Reducer>();
    const reducer = (s: Member) => {
      let r = reducers.get(s.name);
      if (!r) {
        r = new Reducer(ctx, s, project(s, dim));
        reducers.set(s.name, r);
      }
      return r;
    };
    const out: Stream = new Map(xs);
    for (const t of targets) {
      const parts = up
        ? sources.filter((s) => isSubset(s, t)).map((s) => project(s, upDim(t)))
        : sources.filter((s) => isSubset(t, s)).map((s) => reducer(s).to(t));
      const summed = flat(sumAll(parts));
      const y = linear(ctx, normalise(ctx, summed), wname(blk, `share${layer}_out`, t), widthOf(ctx, t));
      out.set(t.name, G.add(xs.get(t.name)!, y));
    }
    return out;
  });
}

export const shareUp = (
  ctx: Ctx,
  xs: Stream,
  blk: number,
  targets: readonly Member[] = ctx.members,
): Stream => share(ctx, xs, blk, true, targets);
export const shareDown = (
  ctx: Ctx,
  xs: Stream,
  blk: number,
  targets: readonly Member[] = ctx.members,
): Stream => share(ctx, xs, blk, false, targets);
