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
  if (flipX) starts.push(-1), ends.push(FAR), axes.push(AX.x), steps.push(-1);
  if (flipY) starts.push(-1), ends.push(FAR), axes.push(AX.y), steps.push(-1);
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

/** Channel split of the directional branch's inner tensor: [0, cummax) scanned, [cummax, end) moved. */
function groupOp(t: Tensor, axes: number[], cm: number, sh: number): Tensor {
  const parts: Tensor[] = [];
  if (cm > 0) parts.push(runningMax(sh > 0 ? G.slice(t, [0], [cm], [AX.ch]) : t, axes));
  if (sh > 0) parts.push(shift(cm > 0 ? G.slice(t, [cm], [cm + sh], [AX.ch]) : t, axes, 1, 0));
  return G.concat(parts, AX.ch);
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
        [cm + sh, 1, 1, 1, 1, 1],
        [...new Array(cm).fill(1), ...new Array(sh).fill(0)],
      );
      return G.mul(negBig(ctx), which);
    });
    const zm = G.add(G.mul(z, ctx.mask), offGrid);
    const framed = GROUPS.map((dirs, gi) =>
      groupOp(
        G.concat(
          dirs.map((d) => pick(zm, d, ...flipsOf(d))),
          AX.d,
        ),
        GROUP_AXES[gi]!,
        cm,
        sh,
      ),
    );
    const r = G.concat(framed, AX.d); // directions in group order
    const order = GROUPS.flat();
    const back = G.concat(
      Array.from({ length: DIRECTIONS }, (_, d) => pick(r, order.indexOf(d), ...flipsOf(d))),
      AX.d,
    );
    const feats: Tensor[] = [];
    if (cm > 0) {
      const run = sh > 0 ? G.slice(back, [0], [cm], [AX.ch]) : back;
      const opposite = G.concat([G.slice(run, [4], [8], [AX.d]), G.slice(run, [0], [4], [AX.d])], AX.d);
      feats.push(run, G.sub(run, G.max(run, opposite)));
    }
    if (sh > 0) feats.push(cm > 0 ? G.slice(back, [cm], [cm + sh], [AX.ch]) : back);
    const y = normalise(ctx, flat(G.mul(G.concat(feats, AX.ch), ctx.mask)));
    return G.add(x, linear(ctx, y, wname(blk, "directional_out", m), widthOf(ctx, m)));
  });
}
