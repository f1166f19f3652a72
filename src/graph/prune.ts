// The nodes a graph is serialised with. ONNX Runtime runs every node it is given, including those whose
// outputs nothing reads, and it does not merge a Reshape of a Reshape; each costs it about a microsecond
// per run on the CPU. So, on a copy of the node list: a Reshape whose input is another Reshape's output
// reads that one's input instead (Reshape shapes here are absolute: no 0 or -1 is left in them), and
// then only the nodes that the graph's outputs depend on are kept. A subgraph (a Loop body) is pruned
// the same way when it is written; the names it reads from enclosing graphs keep their producers alive.
import type { Graph, Node } from "./graph.ts";

/** The names `g` (and its subgraphs) read without producing them: inputs from enclosing graphs. */
function freeNames(g: Graph): Set<string> {
  const defined = new Set<string>([...g.inputs.map((t) => t.name), ...g.initializers.map((c) => c.name)]);
  for (const n of g.nodes) for (const o of n.outputs) defined.add(o);
  const free = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) free.add(i);
    for (const sub of subgraphs(n)) for (const f of freeNames(sub)) if (!defined.has(f)) free.add(f);
  }
  for (const t of g.outputs) if (!defined.has(t.name)) free.add(t.name);
  return free;
}

function subgraphs(n: Node): Graph[] {
  return Object.values(n.attrs).flatMap((a) => (a.kind === "graph" ? [a.value] : []));
}

/** `g`'s nodes with Reshape chains shortened and nodes nothing reads left out, in their order. */
export function liveNodes(g: Graph): Node[] {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const nodes = g.nodes.map((n) => {
    if (n.opType !== "Reshape") return n;
    let source = n.inputs[0]!;
    for (let p = producer.get(source); p?.opType === "Reshape"; p = producer.get(source))
      source = p.inputs[0]!;
    return source === n.inputs[0] ? n : { ...n, inputs: [source, ...n.inputs.slice(1)] };
  });
  const byOutput = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) byOutput.set(o, n);
  const live = new Set<Node>();
  const stack = g.outputs.map((t) => t.name);
  while (stack.length) {
    const n = byOutput.get(stack.pop()!);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const i of n.inputs) if (i) stack.push(i);
    for (const sub of subgraphs(n)) stack.push(...freeNames(sub));
  }
  return nodes.filter((n) => live.has(n));
}
