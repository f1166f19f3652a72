// Gradient rules for shape and indexing ops: the gradient goes back to where each element came from.
import * as G from "../../graph/index.ts";
import { GraphError } from "../../graph/graph.ts";
import { type GradContext, defineGrad } from "../registry.ts";

// dX = reshape(dY, shape of X)   (Reshape, Squeeze, Unsqueeze only move axes of size 1 or regroup)
const reshapeBack = {
  nondiff: [1],
  grad: ({ dY, inputs: [x] }: GradContext) => [G.reshape(dY[0]!, [...x!.shape])],
};
defineGrad("Reshape", reshapeBack);
defineGrad("Squeeze", reshapeBack);
defineGrad("Unsqueeze", reshapeBack);
// dX = transpose(dY, inverse permutation)
defineGrad("Transpose", {
  grad: (c) => {
    const perm = c.intsAttr("perm") ?? c.inputs[0]!.shape.map((_, i, a) => a.length - 1 - i);
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [G.transpose(c.dY[0]!, inv)];
  },
});
// dX = dY (the driver sums the broadcast axes away)
defineGrad("Expand", { nondiff: [1], grad: ({ dY }) => [dY[0]] });
// dX_i = the slice of dY that X_i filled (all of them cut by one Split node)
defineGrad("Concat", {
  grad: (c) => {
    const raw = c.intAttr("axis", 0);
    const axis = raw < 0 ? raw + c.outputs[0]!.rank : raw;
    const pieces = G.split(
      c.dY[0]!,
      c.inputs.map((x) => x!.shape[axis]!),
      axis,
    );
    return pieces.map((p, i) => (c.needs(i) ? p : null));
  },
});
/** Put k-1 zeros between neighbours along `axis`: [a, b, c] -> [a, 0, b, 0, c] for k = 2. */
function spread(d: G.Tensor, axis: number, k: number): G.Tensor {
  const len = d.shape[axis]!;
  const u = G.unsqueeze(d, [axis + 1]);
  const pads = new Array(2 * u.rank).fill(0);
  pads[axis + 1 + u.rank] = k - 1;
  const wide = G.reshape(
    G.pad(u, pads, 0),
    d.shape.map((n, i) => (i === axis ? len * k : n)),
  );
  return G.slice(wide, [0], [(len - 1) * k + 1], [axis], [1]);
}
// dX = dY placed back at the indices it was taken from, zeros elsewhere: a reversed slice is flipped
// back, a step of k spreads it with k-1 zeros between neighbours, then Pad puts it in place
defineGrad("Slice", {
  nondiff: [1, 2, 3, 4],
  grad: (c) => {
    const x = c.inputs[0]!;
    const starts = c.constInts(1);
    const axes = c.inputs[3] ? c.constInts(3) : starts.map((_, i) => i);
    const steps = c.inputs[4] ? c.constInts(4) : starts.map(() => 1);
    let d = c.dY[0]!;
    const pads = new Array(2 * x.rank).fill(0);
    axes.forEach((axRaw, i) => {
      const ax = axRaw < 0 ? axRaw + x.rank : axRaw;
      const dim = x.shape[ax]!;
      const step = steps[i]!;
      const k = Math.abs(step);
      const len = d.shape[ax]!;
      if (len === 0) {
        pads[ax + x.rank] = dim;
        return;
      }
      const s0 = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
      let low = step > 0 ? Math.min(Math.max(s0, 0), dim) : Math.min(Math.max(s0, 0), dim - 1);
      if (step < 0) {
        d = G.flip(d, ax);
        low -= (len - 1) * k; // the lowest index taken
      }
      if (k > 1 && len > 1) d = spread(d, ax, k);
      pads[ax] = low;
      pads[ax + x.rank] = dim - low - d.shape[ax]!;
    });
    return [G.pad(d, pads, 0)];
  },
});
// dX = Concat(dY_1, ..., dY_n) along the split axis, zeros for pieces that do not reach the loss
defineGrad("Split", {
  nondiff: [1],
  grad: (c) => {
    const axis = c.intAttr("axis", 0);
    const parts = c.outputs.map((y, i) => c.dY[i] ?? G.expand(c.g.constant(y.dtype, [], [0]), [...y.shape]));
    return [G.concat(parts, axis)];
  },
});
// dX = Pad(dY, -pads): what was added is cut, what was cut is zero-filled
defineGrad("Pad", {
  nondiff: [1, 2, 3],
  grad: (c) => {
    const mode = c.stringAttr("mode") ?? "constant";
    if (mode !== "constant")
      throw new GraphError(`autodiff: Pad mode ${mode} has no gradient rule (node ${c.node.name})`);
    return [
      G.pad(
        c.dY[0]!,
        c.constInts(1).map((p) => -p),
        0,
      ),
    ];
  },
});
// dX[j] = sum of dY at positions whose index is j: a one-hot contraction (no ScatterND needed)
defineGrad("Gather", {
  nondiff: [1],
  grad: (c) => {
    const [x, idx] = c.inputs as [G.Tensor, G.Tensor];
    const axis = c.intAttr("axis", 0);
    const a = axis < 0 ? axis + x.rank : axis;
    const n = idx.size;
    const pre = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
    const post = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
    const dim = x.shape[a]!;
    const flat = G.cast(G.reshape(idx, [n, 1]), "int64");
    const wrapped = G.where(G.less(flat, 0), G.add(flat, dim), flat); // negative indices count from the end
    const range = c.g.constant(
      "int64",
      [dim],
      Array.from({ length: dim }, (_, i) => i),
    );
    const hot = G.cast(G.equal(wrapped, range), x.dtype); // [n, dim] one-hot, any float dtype

    if (pre === 1) {
      // [dim, n] @ [n, post] as one Gemm with the (small) one-hot transposed: ORT's Einsum is ~20x slower here
      return [
        G.reshape(G.gemm(hot, G.reshape(c.dY[0]!, [n, post]), undefined, { transA: true }), [...x.shape]),
      ];
    }
    const dy = G.reshape(c.dY[0]!, [pre, n, post]);
    return [G.reshape(G.einsum("pnq,nd->pdq", dy, hot), [...x.shape])];
  },
});
// dX = reverse cumulative sum of dY (same exclusivity)
defineGrad("CumSum", {
  nondiff: [1],
  grad: (c) => [
    G.cumSum(c.dY[0]!, c.constInts(1)[0]!, {
      exclusive: !!c.intAttr("exclusive", 0),
      reverse: !c.intAttr("reverse", 0),
    }),
  ],
});
// dX = sum over the repeats of dY
defineGrad("Tile", {
  nondiff: [1],
  grad: (c) => {
    const x = c.inputs[0]!;
    const reps = c.constInts(1);
    const split = x.shape.flatMap((d, i) => [reps[i]!, d]);
    const axes = x.shape.map((_, i) => 2 * i);
    return [G.reshape(G.reduceSum(G.reshape(c.dY[0]!, split), axes), [...x.shape])];
  },
});
