// Direction mixing for members with the direction axis: every direction slice receives a linear map
// of every (normalised) slice, out_o += sum_i strength(o, i) W[class(o, i)] z_i. The classes tie the
// weights of pairs that a symmetry maps onto each other (directions.ts), so the branch commutes with
// those symmetries. In the layout [ch, D, ...] channel and direction are adjacent, so the whole branch
// is one [8 ch, 8 ch] matrix built from the class table, applied by one MatMul.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { customGradient } from "../../autodiff/custom.ts";
import { DIRECTIONS, type Member } from "./members.ts";
import { mixingClasses, mixingStrength } from "./directions.ts";
import { type Ctx, normalise, widthOf, wname } from "./ops.ts";

/**
 * The [8 ch, 8 ch] mixing matrix of a member from its class table [classes, ch, ch]:
 * W[(o_ch, o), (i_ch, i)] = strength(o, i) * table[class(o, i), o_ch, i_ch], as one Gather of the flat
 * table by a constant index and one Mul by a constant strength matrix (ORT's Transpose of a small
 * [8, 8, ch, ch] tensor cost more than the whole product).
 */
function mixingMatrix(ctx: Ctx, table: Tensor, index: number[][], classes: number, ch: number): Tensor {
  const g = ctx.g;
  const n = ch * DIRECTIONS;
  const flatIndex: number[] = [];
  const strength: number[] = [];
  for (let oc = 0; oc < ch; oc++)
    for (let o = 0; o < DIRECTIONS; o++)
      for (let ic = 0; ic < ch; ic++)
        for (let i = 0; i < DIRECTIONS; i++) {
          flatIndex.push((index[o]![i]! * ch + oc) * ch + ic);
          strength.push(mixingStrength(o, i));
        }
  const s = g.constant(ctx.dtype, [n, n], strength);
  const w = G.mul(G.gather(G.reshape(table, [-1]), g.constant("int64", [n, n], flatIndex), 0), s);
  // dtable[c, o_ch, i_ch] = sum over the (o, i) of class c of strength(o, i) dW[(o_ch, o), (i_ch, i)]
  const hot = g.constant(
    ctx.dtype,
    [DIRECTIONS * DIRECTIONS, classes],
    index.flatMap((row) => row.flatMap((c) => Array.from({ length: classes }, (_, k) => (k === c ? 1 : 0)))),
  );
  return customGradient(w, [table], (dw) => {
    const blocks = G.transpose(G.reshape(G.mul(dw, s), [ch, DIRECTIONS, ch, DIRECTIONS]), [1, 3, 0, 2]);
    const summed = G.gemm(hot, G.reshape(blocks, [DIRECTIONS * DIRECTIONS, ch * ch]), undefined, {
      transA: true,
    });
    return [G.reshape(summed, [classes, ch, ch])];
  });
}

export function mixDirections(ctx: Ctx, x: Tensor, m: Member, blk: number): Tensor {
  if (!m.d) throw new Error(`direction mixing needs the direction axis; member ${m.name}`);
  return ctx.g.scope(`b${blk}_mix_${m.name}`, () => {
    const ch = widthOf(ctx, m);
    const { index, classes } = mixingClasses(m);
    const table = ctx.p.get(wname(blk, "mix", m), [classes, ch, ch], {
      kind: "normal",
      std: 1 / Math.sqrt(ch),
    });
    const w = mixingMatrix(ctx, table, index, classes, ch);
    const z = G.reshape(normalise(ctx, x), [ch * DIRECTIONS, -1]); // [ch, D * rest] -> [ch * D, rest]
    return G.add(x, G.reshape(G.matmul(w, z), [...x.shape]));
  });
}
