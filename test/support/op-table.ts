// Test support: one small case per graph-builder op with the static shape and dtype it must infer.
// The cases also assemble into a single graph holding every op (for ORT and the ONNX checker).
import * as G from "../../src/graph/index.ts";
import type { DType, Graph, Tensor } from "../../src/graph/index.ts";

export interface ShapeCase {
  name: string;
  /** ONNX op types this case must create (composites list their parts). */
  ops: string[];
  build: (g: Graph) => Tensor;
  shape: number[];
  dtype: DType;
}

/** A fresh graph input (names are made unique under the current scope). */
export const inp = (g: Graph, shape: number[], dtype: DType = "float32") =>
  g.input(g.freshName("in"), dtype, shape);
const i64 = (g: Graph, shape: number[], v: number[]) => g.constant("int64", shape, v);

const f = (
  name: string,
  ops: string[],
  shape: number[],
  build: (g: Graph) => Tensor,
  dtype: DType = "float32",
): ShapeCase => ({ name, ops, build, shape, dtype });

export const SHAPE_CASES: ShapeCase[] = [
  // elementwise, broadcasting
  f("Add [2,3]+[3]", ["Add"], [2, 3], (g) => G.add(inp(g, [2, 3]), inp(g, [3]))),
  f("Sub [2,1]-[1,3]", ["Sub"], [2, 3], (g) => G.sub(inp(g, [2, 1]), inp(g, [1, 3]))),
  f("Mul [4,1,3]*[2,1]", ["Mul"], [4, 2, 3], (g) => G.mul(inp(g, [4, 1, 3]), inp(g, [2, 1]))),
  f("Div [2,3]/number", ["Div"], [2, 3], (g) => G.div(inp(g, [2, 3]), 2)),
  f("Pow []^[2,3]", ["Pow"], [2, 3], (g) => G.pow(inp(g, []), inp(g, [2, 3]))),
  f("Max [3]", ["Max"], [2, 3], (g) => G.max(inp(g, [2, 3]), inp(g, [3]))),
  f("Sum [2,3]+[3]+[2,1]", ["Sum"], [2, 3], (g) => G.sum([inp(g, [2, 3]), inp(g, [3]), inp(g, [2, 1])])),
  f("Min [2,1]", ["Min"], [2, 3], (g) => G.min(inp(g, [2, 3]), inp(g, [2, 1]))),
  f("Equal -> bool", ["Equal"], [2, 3], (g) => G.equal(inp(g, [2, 3]), inp(g, [1, 3])), "bool"),
  f("Less -> bool", ["Less"], [2, 3], (g) => G.less(inp(g, [2, 3]), 0.5), "bool"),
  f("Greater -> bool", ["Greater"], [3], (g) => G.greater(inp(g, [3]), inp(g, [])), "bool"),
  f("LessOrEqual -> bool", ["LessOrEqual"], [2, 3], (g) => G.lessOrEqual(inp(g, [2, 3]), 1), "bool"),
  f("GreaterOrEqual -> bool", ["GreaterOrEqual"], [2, 3], (g) => G.greaterOrEqual(inp(g, [2, 3]), 1), "bool"),
  f("And", ["And"], [2, 3], (g) => G.and(inp(g, [2, 3], "bool"), inp(g, [3], "bool")), "bool"),
  f("Or", ["Or"], [2, 3], (g) => G.or(inp(g, [2, 1], "bool"), inp(g, [2, 3], "bool")), "bool"),
  f("Not", ["Not"], [2, 3], (g) => G.not(inp(g, [2, 3], "bool")), "bool"),
  ...(
    [
      "Neg",
      "Abs",
      "Sign",
      "Exp",
      "Log",
      "Sqrt",
      "Reciprocal",
      "Tanh",
      "Sigmoid",
      "Relu",
      "Erf",
      "Floor",
      "Identity",
    ] as const
  ).map((op) =>
    f(op, [op], [2, 3], (g) =>
      (G as unknown as Record<string, (x: Tensor) => Tensor>)[op[0]!.toLowerCase() + op.slice(1)]!(
        inp(g, [2, 3]),
      ),
    ),
  ),
  f("SiLU composite", ["Sigmoid", "Mul"], [2, 3], (g) => G.silu(inp(g, [2, 3]))),
  f("Gelu composite", ["Mul", "Erf", "Add"], [2, 3], (g) => G.gelu(inp(g, [2, 3]))),
  f("Where cond[2,1] a[3] b[]", ["Where"], [2, 3], (g) =>
    G.where(inp(g, [2, 1], "bool"), inp(g, [3]), inp(g, [])),
  ),
  f("Cast float32 -> int64", ["Cast"], [2, 3], (g) => G.cast(inp(g, [2, 3]), "int64"), "int64"),
  f("Cast bool -> float64", ["Cast"], [3], (g) => G.cast(inp(g, [3], "bool"), "float64"), "float64"),
  // linear algebra
  f("MatMul [2,3]@[3,4]", ["MatMul"], [2, 4], (g) => G.matmul(inp(g, [2, 3]), inp(g, [3, 4]))),
  f("MatMul [2,1,2,3]@[3,3,4]", ["MatMul"], [2, 3, 2, 4], (g) =>
    G.matmul(inp(g, [2, 1, 2, 3]), inp(g, [3, 3, 4])),
  ),
  f("Gemm transA transB C[4]", ["Gemm"], [2, 4], (g) =>
    G.gemm(inp(g, [3, 2]), inp(g, [4, 3]), inp(g, [4]), { transA: true, transB: true, alpha: 0.5 }),
  ),
  f("Gemm no C", ["Gemm"], [2, 4], (g) => G.gemm(inp(g, [2, 3]), inp(g, [3, 4]))),
  f("Einsum bij,bjk->bik", ["Einsum"], [2, 3, 5], (g) =>
    G.einsum("bij,bjk->bik", inp(g, [2, 3, 4]), inp(g, [2, 4, 5])),
  ),
  f("Einsum ij,ij-> (scalar)", ["Einsum"], [], (g) => G.einsum("ij,ij->", inp(g, [2, 3]), inp(g, [2, 3]))),
  f("Einsum i,j->ij", ["Einsum"], [2, 3], (g) => G.einsum("i,j->ij", inp(g, [2]), inp(g, [3]))),
  f("LayerNormalization axis 1", ["LayerNormalization"], [2, 3, 4], (g) =>
    G.layerNorm(inp(g, [2, 3, 4]), inp(g, [3, 4]), inp(g, [3, 4]), 1),
  ),
  f("LayerNormalization axis -1 no bias", ["LayerNormalization"], [2, 3, 4], (g) =>
    G.layerNorm(inp(g, [2, 3, 4]), inp(g, [4]), null),
  ),
  // reductions
  f("ReduceSum axes [1] keepdims", ["ReduceSum"], [2, 1, 4], (g) =>
    G.reduceSum(inp(g, [2, 3, 4]), [1], true),
  ),
  f("ReduceSum all", ["ReduceSum"], [], (g) => G.reduceSum(inp(g, [2, 3, 4]))),
  f("ReduceMean axes [-1,0]", ["ReduceMean"], [3], (g) => G.reduceMean(inp(g, [2, 3, 4]), [-1, 0])),
  f("ReduceMax axes [2] keepdims", ["ReduceMax"], [2, 3, 1], (g) =>
    G.reduceMax(inp(g, [2, 3, 4]), [2], true),
  ),
  f("ReduceMin axes [0]", ["ReduceMin"], [3, 4], (g) => G.reduceMin(inp(g, [2, 3, 4]), [0])),
  f("ReduceLogSumExp axes [1]", ["ReduceLogSumExp"], [2, 4], (g) => G.logSumExp(inp(g, [2, 3, 4]), [1])),
  f("Softmax axis 1", ["Softmax"], [2, 3, 4], (g) => G.softmax(inp(g, [2, 3, 4]), 1)),
  f("LogSoftmax axis -1", ["LogSoftmax"], [2, 3, 4], (g) => G.logSoftmax(inp(g, [2, 3, 4]))),
  f("ArgMax axis 1", ["ArgMax"], [2, 4], (g) => G.argMax(inp(g, [2, 3, 4]), 1), "int64"),
  f("ArgMax axis -1 keepdims", ["ArgMax"], [2, 3, 1], (g) => G.argMax(inp(g, [2, 3, 4]), -1, true), "int64"),
  // shape and indexing
  f("Reshape [2,3,4] -> [0,-1]", ["Reshape"], [2, 12], (g) => G.reshape(inp(g, [2, 3, 4]), [0, -1])),
  f("Reshape [6] -> [3,2]", ["Reshape"], [3, 2], (g) => G.reshape(inp(g, [6]), [3, 2])),
  f("Transpose perm [1,2,0]", ["Transpose"], [3, 4, 2], (g) => G.transpose(inp(g, [2, 3, 4]), [1, 2, 0])),
  f("Unsqueeze axes [0,-1]", ["Unsqueeze"], [1, 2, 3, 1], (g) => G.unsqueeze(inp(g, [2, 3]), [0, -1])),
  f("Squeeze axes [1]", ["Squeeze"], [2, 3], (g) => G.squeeze(inp(g, [2, 1, 3]), [1])),
  f("Expand [3,1] -> [2,3,4]", ["Expand"], [2, 3, 4], (g) => G.expand(inp(g, [3, 1]), [2, 1, 4])),
  f("Concat axis 1", ["Concat"], [2, 6], (g) =>
    G.concat([inp(g, [2, 1]), inp(g, [2, 2]), inp(g, [2, 3])], 1),
  ),
  f("Slice [1:3] and [-1:-5:-2]", ["Slice"], [2, 2], (g) =>
    G.slice(inp(g, [4, 5]), [1, -1], [3, -5], [0, 1], [1, -2]),
  ),
  f("Slice flip axis 0", ["Slice"], [4, 5], (g) => G.flip(inp(g, [4, 5]), 0)),
  f("Slice clamped [2:100]", ["Slice"], [2, 5], (g) => G.slice(inp(g, [4, 5]), [2], [100], [0])),
  f("Slice step 3 [0::3]", ["Slice"], [4, 2], (g) => G.slice(inp(g, [4, 5]), [0], [100], [1], [3])),
  f("Pad [1,0,-1,2]", ["Pad"], [4, 5], (g) => G.pad(inp(g, [4, 3]), [1, 0, -1, 2])),
  f("Gather axis 1 indices [2,2]", ["Gather"], [4, 2, 2], (g) =>
    G.gather(inp(g, [4, 5]), i64(g, [2, 2], [0, 1, -1, 4]), 1),
  ),
  f("Gather scalar index", ["Gather"], [5], (g) => G.gather(inp(g, [4, 5]), i64(g, [], [3]), 0)),
  f("CumSum axis -1 exclusive reverse", ["CumSum"], [4, 5], (g) =>
    G.cumSum(inp(g, [4, 5]), -1, { exclusive: true, reverse: true }),
  ),
  f("OneHot depth 4", ["OneHot"], [2, 3, 4], (g) => G.oneHot(i64(g, [2, 3], [0, 1, 2, 3, 0, 1]), 4)),
  f("Tile [2,3] x [2,2]", ["Tile"], [4, 6], (g) => G.tile(inp(g, [2, 3]), [2, 2])),
  // control flow: carried state and a scan output, the body reading an outer tensor
  f("Loop 3 steps, scan [3,2]", ["Loop"], [3, 2], (g) => {
    const w = inp(g, [2]);
    const { scans } = G.loop(g, 3, [inp(g, [2])], (_i, [h]) => {
      const next = G.tanh(G.add(G.mul(h!, w), 1));
      return { carried: [next], scans: [next] };
    });
    return scans[0]!;
  }),
];

/** Every case of the table in one graph, each under its own scope, each result a graph output. */
export function everyOpGraph(): { g: Graph; results: Map<string, Tensor> } {
  const g = new G.Graph("every_op");
  const results = new Map<string, Tensor>();
  SHAPE_CASES.forEach((c, i) => {
    const t = g.scope(`case${i}`, () => c.build(g));
    results.set(c.name, g.output(t));
  });
  return { g, results };
}

/** Deterministic feeds for a graph's inputs: floats in [0.5, 1.5], zeros for integers, alternating bools. */
export function feedsFor(
  g: Graph,
): Record<string, { dtype: DType; shape: readonly number[]; data: number[] }> {
  const out: Record<string, { dtype: DType; shape: readonly number[]; data: number[] }> = {};
  for (const t of g.inputs) {
    const n = t.size;
    const data = Array.from({ length: n }, (_, k) =>
      G.isFloat(t.dtype) ? 0.5 + ((k * 0.37) % 1) : t.dtype === "bool" ? k % 2 : 0,
    );
    out[t.name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return out;
}
