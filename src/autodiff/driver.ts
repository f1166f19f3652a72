// Reverse-mode driver: walks back from a scalar loss through the nodes that connect it to the chosen
// inputs, calls each op's rule (or a custom rule declared for a tensor, custom.ts), reduces broadcast
// gradients, and sums contributions (one Add or Sum node; Adds in a graph for the GPU). A gradient with several contributions is
// named `<tensor>_grad`, as is every returned one; helper nodes live under the scope `<node>_Grad`.
import { type Graph, GraphError, type Node, type Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";
import { isFloat } from "../graph/dtype.ts";
import { type GradContext, gradRule, hasNoGrad } from "./registry.ts";
import { reduceToShape } from "./reduce-to.ts";
import { customRuleOf } from "./custom.ts";
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
  /**
   * Contributions ORT may turn into a Gemm with a C input (a Gemm, or an Add fed by a MatMul): its
   * GemmSumFusion fails on such a Gemm feeding a Sum ("gemm_input_edge.src_arg_index < 2"), so their
   * sums stay Add chains (MatMul + Add is fused by ORT anyway).
   */
  const mayBecomeGemm = (t: Tensor) => {
    const op = g.producer.get(t.name)?.opType;
    return op === "Gemm" || op === "MatMul" || op === "Add" || op === "Sum";
  };
  const finals = new Map<string, Tensor>();
  const namedFinals = new Set<string>();
  /** The gradient: one contribution as it is (named by an Identity when `named`), several summed by one named node. */
  const finalise = (name: string, named = false): Tensor | null => {
    const done = finals.get(name);
    if (done && (!named || namedFinals.has(name))) return done;
    const list = done ? [done] : parts.get(name);
    if (!list?.length) return null;
    const first = list[0]!;
    if (list.length === 1 && !named) {
      finals.set(name, first);
      return first;
    }
    const gradName = g.freshName(`${name}_grad`);
    const spec = [{ dtype: first.dtype, shape: first.shape, name: gradName }];
    const out = g.withScopes([`${name}_Grad`], () => {
      if (list.length === 1) return g.node("Identity", list, spec)[0]!;
      if (list.length > 2 && g.gpu) {
        // ORT's WebGPU provider has no Sum kernel: a balanced tree of Adds
        const half = list.length >> 1;
        return g.node("Add", [G.sum(list.slice(0, half)), G.sum(list.slice(half))], spec)[0]!;
      }
      if (list.length > 2 && !list.some(mayBecomeGemm)) return g.node("Sum", list, spec)[0]!;
      const head = list.slice(0, -1).reduce((acc, t) => G.add(acc, t));
      return g.node("Add", [head, list[list.length - 1]!], spec)[0]!;
    });
    finals.set(name, out);
    namedFinals.add(name);
    return out;
  };

  push(loss.name, opts.seed ?? g.constant(loss.dtype, loss.shape, [1], "loss_seed"));
  const custom = (name: string) => customRuleOf(g, name);
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const node = g.nodes[k]!;
    if (!node.outputs.some((o) => parts.has(o))) continue;
    if (hasNoGrad(node.opType)) continue;
    const over = node.outputs.length === 1 ? custom(node.outputs[0]!) : undefined;
    if (over) {
      // a custom rule: its inputs get their gradients directly; the nodes in between are not walked
      const dy = finalise(node.outputs[0]!)!;
      const grads = g.withScopes([`${node.name}_Grad`], () => over.grad(dy));
      over.inputs.forEach((x, i) => {
        const dx = grads[i];
        if (!dx || !live.has(x.name) || stop.has(x.name)) return;
        push(
          x.name,
          g.withScopes([`${node.name}_Grad`], () => reduceToShape(dx, x.shape)),
        );
      });
      continue;
    }
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
    const gr = finalise(t.name, true);
    if (gr) return gr;
    // The loss does not depend on t: its gradient is zeros, still named `<t>_grad`.
    const zeros = g.withScopes([`${t.name}_Grad`], () =>
      G.expand(g.constant(t.dtype, [], [0]), [...t.shape]),
    );
    push(t.name, zeros);
    return finalise(t.name, true)!;
  });
}
