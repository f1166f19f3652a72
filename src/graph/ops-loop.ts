// ONNX Loop with a fixed trip count: loop-carried state and per-iteration scan outputs. The body is
// built by a callback in a subgraph that may read tensors of the enclosing graph.
import { Graph, GraphError, type Tensor, attr } from "./graph.ts";

export interface LoopBody {
  /** New values of the carried state, same dtypes and shapes as the inputs. */
  carried: Tensor[];
  /** Values stacked over iterations on a new leading axis. */
  scans?: Tensor[];
}

export interface LoopResult {
  carried: Tensor[];
  scans: Tensor[];
}

/**
 * Run `body` `tripCount` times. `body(iteration, carried, bodyGraph)` builds one iteration in its own
 * graph: `iteration` is the int64 scalar step index, `carried` the state at the start of the step.
 */
export function loop(
  outer: Graph,
  tripCount: number,
  init: Tensor[],
  body: (iteration: Tensor, carried: Tensor[], g: Graph) => LoopBody,
  name = "loop",
): LoopResult {
  const g = new Graph(outer.uniqueName(`${name}_body`), outer);
  const iter = g.input(g.freshName(`${name}_iter`), "int64", []);
  const condIn = g.input(g.freshName(`${name}_cond_in`), "bool", []);
  const state = init.map((t) => g.input(g.freshName(`${t.name.replace(/.*\//, "")}_in`), t.dtype, t.shape));
  const out = body(iter, state, g);
  if (out.carried.length !== init.length)
    throw new GraphError(
      `Loop ${name}: body returned ${out.carried.length} carried values for ${init.length}`,
    );
  out.carried.forEach((t, i) => {
    const s = init[i]!;
    if (
      t.dtype !== s.dtype ||
      t.shape.length !== s.shape.length ||
      t.shape.some((d, j) => d !== s.shape[j])
    ) {
      throw new GraphError(`Loop ${name}: carried value ${i} changes from ${s} to ${t}`);
    }
  });
  g.output(condIn);
  for (const t of out.carried) g.output(t);
  const scans = out.scans ?? [];
  for (const t of scans) g.output(t);

  const tc = outer.constant("int64", [], [tripCount]);
  const results = outer.node(
    "Loop",
    [tc, outer.constant("bool", [], [1]), ...init],
    [
      ...init.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      ...scans.map((t) => ({ dtype: t.dtype, shape: [tripCount, ...t.shape] })),
    ],
    { body: attr.graph(g) },
  );
  return { carried: results.slice(0, init.length), scans: results.slice(init.length) };
}
