// Direction mixing for members with the direction axis: every direction slice receives a linear map
// of every (normalised) slice, out_o += sum_i strength(o, i) W[class(o, i)] z_i. The classes tie the
// weights of pairs that a symmetry maps onto each other (directions.ts), so the branch commutes with
// those symmetries. In the layout [ch, D, ...] channel and direction are adjacent, so the whole branch
// is one [8 ch, 8 ch] matrix per copy built from the class table, applied by one batched MatMul.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { DIRECTIONS, type Member } from "./members.ts";
import { mixingClasses, mixingStrength } from "./directions.ts";
import { type Ctx, normalise, widthOf, wname } from "./ops.ts";
import { withCopies } from "./params.ts";

export function mixDirections(ctx: Ctx, x: Tensor, m: Member, blk: number): Tensor {
  if (!m.d) throw new Error(`direction mixing needs the direction axis; member ${m.name}`);
  return ctx.g.scope(`b${blk}_mix_${m.name}`, () => {
    const ch = widthOf(ctx, m);
    const { index, classes } = mixingClasses(m);
    const table = ctx.p.get(wname(blk, "mix", m), [classes, ch, ch], {
      kind: "normal",
      std: 1 / Math.sqrt(ch),
    });
    const g = ctx.g;
    const idx = g.constant("int64", [DIRECTIONS, DIRECTIONS], index.flat());
    const strength = g.constant(
      ctx.dtype,
      [DIRECTIONS, DIRECTIONS, 1, 1],
      index.flatMap((row, o) => row.map((_, i) => mixingStrength(o, i))),
    );
    const R = ctx.copies;
    const one = R === 1; // no copy axis (params.ts)
    const blocks = G.mul(G.gather(table, idx, one ? 0 : 1), strength); // [copy, o dir, i dir, o ch, i ch]
    const perm = one ? [2, 0, 3, 1] : [0, 3, 1, 4, 2];
    const w = G.reshape(G.transpose(blocks, perm), withCopies(R, [ch * DIRECTIONS, ch * DIRECTIONS]));
    const z = G.reshape(normalise(ctx, x), withCopies(R, [ch * DIRECTIONS, -1])); // [R, ch, D * rest] -> [R, ch * D, rest]
    return G.add(x, G.reshape(G.matmul(w, z), [...x.shape]));
  });
}
