// Custom gradient rules for composite functions: `customGradient(y, inputs, grad)` declares that the
// gradient of y with respect to `inputs` is `grad(dY)`, so the driver hands it to those inputs directly
// instead of walking the nodes between them (fewer, cheaper backward nodes where the composite's
// derivative is simpler than the sum of its parts', e.g. a softmax). The rule must be the exact
// derivative of y through every path from the inputs; other consumers of tensors inside the
// composite still get their own gradients as usual.
import type { Graph, Tensor } from "../graph/graph.ts";

export interface CustomRule {
  inputs: readonly Tensor[];
  /** One gradient per input (null where none), each of the input's shape or broadcasting to it. */
  grad: (dY: Tensor) => (Tensor | null)[];
}

const rules = new WeakMap<Graph, Map<string, CustomRule>>();

/** Declare `grad` as the gradient rule of `y` (the output of a single-output node); returns y. */
export function customGradient(
  y: Tensor,
  inputs: readonly Tensor[],
  grad: (dY: Tensor) => (Tensor | null)[],
): Tensor {
  const g = y.graph;
  const producer = g.producer.get(y.name);
  if (producer?.outputs.length !== 1)
    throw new Error(`customGradient: ${y} must be the only output of a node`);
  for (const x of inputs)
    if (x.graph !== g) throw new Error(`customGradient: ${x} is not in the graph of ${y}`);
  let m = rules.get(g);
  if (!m) {
    m = new Map();
    rules.set(g, m);
  }
  if (m.has(y.name)) throw new Error(`customGradient: ${y} already has a custom rule`);
  m.set(y.name, { inputs: [...inputs], grad });
  return y;
}

/** The custom rule declared for tensor `name` of graph `g`, if any. */
export function customRuleOf(g: Graph, name: string): CustomRule | undefined {
  return rules.get(g)?.get(name);
}
