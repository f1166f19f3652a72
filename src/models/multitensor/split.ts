// ONNX Split (one node, many outputs) and its gradient rule (one Concat of the outputs' gradients,
// zeros for outputs that do not reach the loss). The model keeps all its parameters in one flat
// vector and splits it once per step: the optimizer then updates one tensor instead of hundreds,
// which removes thousands of nodes from the training graph.
// TODO(autodiff/graph owners): this op builder and rule belong in src/graph and src/autodiff; the rule is
// registered here only while src/autodiff has none.
import { gradRule, defineGrad } from "../../autodiff/index.ts";
import { GraphError, type Tensor, attr } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";

export function split(x: Tensor, sizes: number[], axis = 0): Tensor[] {
  const a = axis < 0 ? axis + x.rank : axis;
  const total = sizes.reduce((s, n) => s + n, 0);
  if (total !== x.shape[a]) throw new GraphError(`Split: sizes [${sizes}] do not add up to axis ${a} of ${x}`);
  if (sizes.length === 1) return [x];
  const outs = sizes.map((n) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? n : d)) }));
  return x.graph.node("Split", [x, x.graph.int64s(sizes)], outs, { axis: attr.int(a) });
}

if (!gradRule("Split")) {
  defineGrad("Split", {
    nondiff: [1],
    grad: (c) => {
      const axis = c.intAttr("axis", 0);
      const parts = c.dY.map((d, i) => d ?? G.expand(c.g.constant(c.outputs[i]!.dtype, [], [0]), [...c.outputs[i]!.shape]));
      return [G.concat(parts, axis), null];
    },
  });
}
