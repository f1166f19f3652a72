// The directional branch of members with direction, x and y: in slice d of the direction axis, part of
// the channels get their running maximum along direction d (from the grid edge behind each cell up
// to it), the rest get moved one cell along d. ONNX has no cumulative max, so it is a log-step scan:
// max(t, t shifted by 1), then by 2, 4, ... (Pad with negative end pads shifts; the cut-off side is
// filled with -BIG). The eight slices are first flipped so that each moves along +x, +y or +x+y,
// which lets three groups (x: d 0, 4; y: d 2, 6; diagonal: d 1, 3, 5, 7) share one Pad/Max chain.
// Output per slice: the running max, the running max minus the line's max (zero once the largest
// value of the line has been passed; the line max is the larger of the two opposite running maxima)
// and the moved channels, zero off the grid, normalised and projected back.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { customGradient } from "../../autodiff/custom.ts";
import { AX, DIRECTIONS, type Member } from "./members.ts";
import { VECTORS } from "./directions.ts";
import { BIG, type Ctx, flat, linear, memo, negBig, normalise, view, widthOf, wname } from "./ops.ts";

const FAR = -(2 ** 31);

/** Slice d of the direction axis, flipped along x and/or y in the same Slice node. */
function pick(t: Tensor, d: number, flipX: boolean, flipY: boolean): Tensor {
  const starts = [d];
  const ends = [d + 1];
  const axes: number[] = [AX.d];
  const steps = [1];
  for (const [flip, axis] of [
    [flipX, AX.x],
    [flipY, AX.y],
  ] as const) {
    if (!flip) continue;
    starts.push(-1);
    ends.push(FAR);
    axes.push(axis);
    steps.push(-1);
  }
  return G.slice(t, starts, ends, axes, steps);
}

/** Flips that bring direction d onto (|dx|, |dy|). */
const flipsOf = (d: number): [boolean, boolean] => [VECTORS[d]![0] < 0, VECTORS[d]![1] < 0];

/** The direction slices of each group, in group order. */
export const GROUPS: readonly (readonly number[])[] = [
  [0, 4],
  [2, 6],
  [1, 3, 5, 7],
];

function shift(t: Tensor, axes: number[], k: number, value: number): Tensor {
  const pads = new Array<number>(2 * t.rank).fill(0);
  for (const a of axes) {
    pads[a] = k;
    pads[a + t.rank] = -k;
  }
  return G.pad(t, pads, value);
}

/** Running max along +axes (all of `axes` at once for the diagonal). */
function runningMax(t: Tensor, axes: number[]): Tensor {
  const len = Math.min(...axes.map((a) => t.shape[a]!));
  let r = t;
  for (let k = 1; k < len; k *= 2) r = G.max(r, shift(r, axes, k, -BIG));
  return r;
}

/**
 * The channels [0, cummax) and [cummax, end) of t, cut by one Split (its gradient is one Concat; two
 * Slices would each pad their gradient back to t's size).
 */
function byChannelUse(t: Tensor, cm: number, sh: number): { scanned?: Tensor; moved?: Tensor } {
  if (cm > 0 && sh > 0) {
    const [scanned, moved] = G.split(t, [cm, sh], AX.ch);
    return { scanned: scanned!, moved: moved! };
  }
  return cm > 0 ? { scanned: t } : { moved: t };
}

/** Channel split of the directional branch's inner tensor: [0, cummax) scanned, [cummax, end) moved. */
function groupOp(t: Tensor, axes: number[], cm: number, sh: number): Tensor {
  const { scanned, moved } = byChannelUse(t, cm, sh);
  const parts: Tensor[] = [];
  if (scanned) parts.push(runningMax(scanned, axes));
  if (moved) parts.push(shift(moved, axes, 1, 0));
  return G.concat(parts, AX.ch);
}

/** Slot j of the result: direction slice sources[j] of t, flipped as flipsOf(flipOf[j]) says. */
interface SliceMove {
  sources: readonly number[];
  flipOf: readonly number[];
}
const ORDER = GROUPS.flat();
const ALL = Array.from({ length: DIRECTIONS }, (_, d) => d);
/** The eight slices in group order, each flipped onto (|dx|, |dy|). */
const TO_GROUPS: SliceMove = { sources: ORDER, flipOf: ORDER };
/** Its inverse: every slice back to its direction, flipped back (flips are their own inverses). */
const FROM_GROUPS: SliceMove = { sources: ALL.map((d) => ORDER.indexOf(d)), flipOf: ALL };

const applyMove = (t: Tensor, mv: SliceMove): Tensor =>
  G.concat(
    mv.sources.map((s, j) => pick(t, s, ...flipsOf(mv.flipOf[j]!))),
    AX.d,
  );

/** A SliceMove, whose gradient is the inverse move (the elements go back; no zero-padded slices). */
function move(t: Tensor, mv: SliceMove, inverse: SliceMove): Tensor {
  const y = applyMove(t, mv);
  // dt = inverse(dy): a permutation's gradient is its inverse
  return customGradient(y, [t], (dy) => [applyMove(dy, inverse)]);
}

const GROUP_AXES = [[AX.x], [AX.y], [AX.x, AX.y]];

export function directional(ctx: Ctx, x: Tensor, m: Member, blk: number): Tensor {
  if (!(m.d && m.x && m.y)) throw new Error(`directional branch needs direction, x and y; member ${m.name}`);
  const cm = ctx.cfg.cummax;
  const sh = ctx.cfg.shift;
  return ctx.g.scope(`b${blk}_directional_${m.name}`, () => {
    const z = view(ctx, linear(ctx, x, wname(blk, "directional_in", m), cm + sh), m);
    // scanned channels get -BIG off the grid, moved channels 0
    const offGrid = memo(ctx, `offgrid/${cm}/${sh}`, () => {
      const which = ctx.g.constant(
        ctx.dtype,
        [1, cm + sh, 1, 1, 1, 1, 1],
        [...new Array(cm).fill(1), ...new Array(sh).fill(0)],
      );
      return G.mul(negBig(ctx), which);
    });
    const zm = G.add(G.mul(z, ctx.mask), offGrid);
    const grouped = G.split(
      move(zm, TO_GROUPS, FROM_GROUPS),
      GROUPS.map((dirs) => dirs.length),
      AX.d,
    );
    const framed = grouped.map((t, gi) => groupOp(t, GROUP_AXES[gi]!, cm, sh));
    const back = move(G.concat(framed, AX.d), FROM_GROUPS, TO_GROUPS);
    const { scanned: run, moved } = byChannelUse(back, cm, sh);
    const feats: Tensor[] = [];
    if (run) {
      const [ahead, behind] = G.split(run, [4, 4], AX.d);
      const opposite = G.concat([behind!, ahead!], AX.d); // direction d + 4
      feats.push(run, G.sub(run, G.max(run, opposite)));
    }
    if (moved) feats.push(moved);
    const y = normalise(ctx, flat(G.mul(G.concat(feats, AX.ch), ctx.mask)));
    return G.add(x, linear(ctx, y, wname(blk, "directional_out", m), widthOf(ctx, m)));
  });
}
