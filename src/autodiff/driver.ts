// Reverse-mode driver: walks back from a scalar loss through the nodes that connect it to the chosen
// inputs, calls each op's rule, reduces broadcast gradients, and sums contributions. Gradients are
// named `<tensor>_grad`; helper nodes live under the scope `<node>_Grad`.
import { type Graph, GraphError, type Node, type Tensor } from "../graph/graph.ts";
import { add, expand } from "../graph/index.ts";
import { isFloat } from "../graph/dtype.ts";
import { type GradContext, gradRule, hasNoGrad } from "./registry.ts";
import { reduceToShape } from "./reduce-to.ts";
import "./rules/index.ts";

export interface GradientOptions {
  /** Tensors treated as constants: no gradient flows through them. */
  stop?: Tensor[];
  /** Gradient of the loss itself (default: ones). */
  seed?: Tensor;
}

function constIntsOf(g: Graph, name: string): number[] {
  for (let gr: Graph | undefined = g; gr; gr = gr.parent) {
    const c = gr.initializers.find((i) => i.name === name);
    if (c) return Array.from(c.data as ArrayLike<number | bigint>, Number);
  }
  throw new GraphError(`autodiff: ${name} is not a constant; its op needs a constant here`);
}

type AttrValues = { int: number; ints: number[]; float: number; string: string };

/** The value of a node's attribute when it has the expected kind. */
function attrValue<K extends keyof AttrValues>(node: Node, name: string, kind: K): AttrValues[K] | undefined {
  const a = node.attrs[name];
  return a && a.kind === kind ? (a.value as AttrValues[K]) : undefined;
}

function contextFor(g: Graph, node: Node, dY: (Tensor | null)[], needs: (i: number) => boolean): GradContext {
  return {
    g,
    node,
    inputs: node.inputs.map((n) => (n ? g.get(n) : null)),
    outputs: node.outputs.map((n) => g.get(n)),
    dY,
    needs,
    constInts: (i) => constIntsOf(g, node.inputs[i]!),
    intAttr: (name, d) => attrValue(node, name, "int") ?? d,
    intsAttr: (name) => attrValue(node, name, "ints"),
    floatAttr: (name, d) => attrValue(node, name, "float") ?? d,
    stringAttr: (name) => attrValue(node, name, "string"),
  };
}

/** d loss / d x for every x in `wrt` (same order); a tensor the loss does not depend on gets zeros. */
export function gradients(loss: Tensor, wrt: Tensor[], opts: GradientOptions = {}): Tensor[] {
  const g = loss.graph;
  if (loss.size !== 1) throw new GraphError(`autodiff: the loss must be a scalar, got ${loss}`);
  if (!isFloat(loss.dtype)) throw new GraphError(`autodiff: the loss must be a float tensor, got ${loss}`);
  for (const t of wrt) {
    if (!isFloat(t.dtype))
      throw new GraphError(`autodiff: cannot differentiate with respect to ${t}: not a float tensor`);
  }
  const stop = new Set((opts.stop ?? []).map((t) => t.name));

  // Backward reach: the tensors the loss is computed from (only their producers matter below).
  const feedsLoss = new Set([loss.name]);
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const node = g.nodes[k]!;
    if (node.outputs.some((o) => feedsLoss.has(o))) for (const n of node.inputs) if (n) feedsLoss.add(n);
  }

  // Forward: which tensors depend on a wrt tensor through differentiable inputs. A node without a
  // rule is an error only when it lies between a wrt tensor and the loss.
  const live = new Set(wrt.map((t) => t.name));
  for (const node of g.nodes) {
    if (hasNoGrad(node.opType)) continue;
    if (!node.outputs.some((o) => feedsLoss.has(o))) continue;
    const rule = gradRule(node.opType);
    const reaches = node.inputs.some(
      (n, i) => n && live.has(n) && !stop.has(n) && !rule?.nondiff?.includes(i),
    );
    if (!reaches) continue;
    if (!rule) throw new GraphError(`autodiff: no gradient rule for ${node.opType} (node ${node.name})`);
    for (const o of node.outputs) if (isFloat(g.get(o).dtype)) live.add(o);
  }

  // Backward: contributions per tensor, finalised when the walk reaches its producer.
  const parts = new Map<string, Tensor[]>();
  const push = (name: string, t: Tensor) => {
    const list = parts.get(name);
    if (list) list.push(t);
    else parts.set(name, [t]);
  };
  const finals = new Map<string, Tensor>();
  const finalise = (name: string): Tensor | null => {
    const done = finals.get(name);
    if (done) return done;
    const list = parts.get(name);
    if (!list?.length) return null;
    const gradName = `${name}_grad`;
    const sum = g.withScopes([`${name}_Grad`], () => list.slice(1).reduce((acc, t) => add(acc, t), list[0]!));
    const named = g.node(
      "Identity",
      [sum],
      [{ dtype: sum.dtype, shape: sum.shape, name: g.freshName(gradName) }],
    )[0]!;
    finals.set(name, named);
    return named;
  };

  push(loss.name, opts.seed ?? g.constant(loss.dtype, loss.shape, [1], "loss_seed"));
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const node = g.nodes[k]!;
    if (!node.outputs.some((o) => parts.has(o))) continue;
    if (hasNoGrad(node.opType)) continue;
    const rule = gradRule(node.opType)!;
    const needs = (i: number) => {
      const n = node.inputs[i];
      return !!n && live.has(n) && !stop.has(n) && !rule?.nondiff?.includes(i);
    };
    if (!node.inputs.some((_, i) => needs(i))) continue;
    const dY = node.outputs.map((o) => finalise(o));
    const ctx = contextFor(g, node, dY, needs);
    const grads = g.withScopes([`${node.name}_Grad`], () => rule.grad(ctx));
    node.inputs.forEach((name, i) => {
      const dx = grads[i];
      if (!dx || !needs(i)) return;
      const x = ctx.inputs[i]!;
      const reduced = g.withScopes([`${node.name}_Grad`], () => reduceToShape(dx, x.shape));
      push(name, reduced);
    });
  }

  return wrt.map((t) => {
    const gr = finalise(t.name);
    if (gr) return gr;
    // The loss does not depend on t: its gradient is zeros, still named `<t>_grad`.
    const zeros = g.withScopes([`${t.name}_Grad`], () => expand(g.constant(t.dtype, [], [0]), [...t.shape]));
    push(t.name, zeros);
    return finalise(t.name)!;
  });
}
