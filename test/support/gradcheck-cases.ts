// Test support: the gradient-check table, one small case per autodiff rule and variant (broadcasting
// included), in the manner of the ONNX backend tests. Used by test/autodiff-gradcheck.test.ts (numbers)
// and test/onnx-checker.test.ts (every case's gradient graph goes through the ONNX checker).
import * as G from "../../src/graph/index.ts";
import type { Graph, Tensor } from "../../src/graph/index.ts";
import type { GradCase, InputSpec } from "./gradcheck.ts";

const I = (shape: number[], init: InputSpec["init"]): InputSpec => ({ shape, init });
const i64 = (g: Graph, shape: number[], values: number[]) => g.constant("int64", shape, values);
const bools = (g: Graph, shape: number[], values: number[]) => g.constant("bool", shape, values);
/** A raw node with the input's dtype and shape (for a Cast the builder would elide). */
const sameTypeNode = (op: string, x: Tensor, attrs: Record<string, G.AttrValue>) =>
  x.graph.node(op, [x], [{ dtype: x.dtype, shape: x.shape }], attrs)[0]!;

// ---- broadcasting binary ops: same shapes, trailing broadcast, both-sides broadcast, scalar, rank-1 first
const BROADCAST: [string, number[], number[]][] = [
  ["[2,3]+[2,3]", [2, 3], [2, 3]],
  ["[2,3]+[3]", [2, 3], [3]],
  ["[2,1]+[1,3]", [2, 1], [1, 3]],
  ["[2,3]+[]", [2, 3], []],
  ["[3]+[2,2,3]", [3], [2, 2, 3]],
];
const BINARY: {
  op: string;
  f: (a: Tensor, b: Tensor) => Tensor;
  a?: InputSpec["init"];
  b?: InputSpec["init"];
}[] = [
  { op: "Add", f: G.add },
  { op: "Sub", f: G.sub },
  { op: "Mul", f: G.mul },
  { op: "Div", f: G.div, b: "nonzero" },
  { op: "Pow", f: G.pow, a: "positive" },
  { op: "Max", f: G.max, a: "gridA", b: "gridB" },
  { op: "Min", f: G.min, a: "gridA", b: "gridB" },
];
const binaryCases: GradCase[] = BINARY.flatMap(({ op, f, a, b }) =>
  BROADCAST.map(([label, sa, sb]) => ({
    name: `${op} ${label}`,
    op,
    inputs: [I(sa, a ?? "any"), I(sb, b ?? "any")],
    build: ([x, y]) => f(x!, y!),
  })),
);
const constantOperandCases: GradCase[] = [
  {
    name: "Sum [2,3]+[3]+[2,1]",
    op: "Sum",
    inputs: [[2, 3], [3], [2, 1]],
    build: ([x, y, z]) => G.sum([x!, y!, z!]),
  },
  { name: "Add tensor+2", op: "Add", inputs: [[2, 3]], build: ([x]) => G.add(x!, 2) },
  { name: "Sub 1-tensor", op: "Sub", inputs: [[2, 3]], build: ([x]) => G.sub(1, x!) },
  { name: "Div 1/tensor", op: "Div", inputs: [I([2, 3], "nonzero")], build: ([x]) => G.div(1, x!) },
  { name: "Pow tensor^3", op: "Pow", inputs: [I([2, 3], "positive")], build: ([x]) => G.pow(x!, 3) },
  { name: "Pow 2^tensor", op: "Pow", inputs: [[2, 3]], build: ([x]) => G.pow(2, x!) },
];

// ---- unary ops
const unaryCases: GradCase[] = [
  { name: "Neg", op: "Neg", inputs: [[2, 3]], build: ([x]) => G.neg(x!) },
  { name: "Identity", op: "Identity", inputs: [[2, 3]], build: ([x]) => G.identity(x!) },
  { name: "Abs", op: "Abs", inputs: [I([2, 3], "nonzero")], build: ([x]) => G.abs(x!) },
  { name: "Exp", op: "Exp", inputs: [[2, 3]], build: ([x]) => G.exp(x!) },
  { name: "Log (positive)", op: "Log", inputs: [I([2, 3], "positive")], build: ([x]) => G.log(x!) },
  { name: "Sqrt (positive)", op: "Sqrt", inputs: [I([2, 3], "positive")], build: ([x]) => G.sqrt(x!) },
  { name: "Reciprocal", op: "Reciprocal", inputs: [I([2, 3], "nonzero")], build: ([x]) => G.reciprocal(x!) },
  { name: "Tanh", op: "Tanh", inputs: [[2, 3]], build: ([x]) => G.tanh(x!) },
  { name: "Sigmoid", op: "Sigmoid", inputs: [[2, 3]], build: ([x]) => G.sigmoid(x!) },
  { name: "Relu", op: "Relu", inputs: [I([2, 3], "nonzero")], build: ([x]) => G.relu(x!) },
  { name: "Erf (float32)", op: "Erf", inputs: [[2, 3]], dtype: "float32", build: ([x]) => G.erf(x!) },
  {
    name: "Cast float64->float64",
    op: "Cast",
    inputs: [[2, 3]],
    build: ([x]) => sameTypeNode("Cast", x!, { to: { kind: "int", value: 11 } }),
  },
  // ORT 1.30's "extended" optimiser fuses x*sigmoid(x) into com.microsoft.QuickGelu, which has a float32
  // kernel only, so a float64 SiLU graph fails to load at the default level; "basic" keeps the plain ops.
  {
    name: "SiLU composite",
    op: "Sigmoid",
    inputs: [[2, 3]],
    optimization: "basic",
    build: ([x]) => G.silu(x!),
  },
  {
    name: "SiLU composite (float32, default optimisation)",
    op: "Sigmoid",
    inputs: [[2, 3]],
    dtype: "float32",
    build: ([x]) => G.silu(x!),
  },
  {
    name: "Gelu composite (float32)",
    op: "Erf",
    inputs: [[2, 3]],
    dtype: "float32",
    build: ([x]) => G.gelu(x!),
  },
  { name: "Tanh rank 3", op: "Tanh", inputs: [[2, 2, 3]], build: ([x]) => G.tanh(x!) },
];

// ---- Where: the condition is a constant (no gradient); both branches broadcast
const whereCases: GradCase[] = [
  {
    name: "Where [2,3] [2,3] [2,3]",
    op: "Where",
    inputs: [
      [2, 3],
      [2, 3],
    ],
    build: ([a, b], g) => G.where(bools(g, [2, 3], [1, 0, 1, 1, 0, 0]), a!, b!),
  },
  {
    name: "Where cond[2,1] a[1,3] b[]",
    op: "Where",
    inputs: [[1, 3], []],
    build: ([a, b], g) => G.where(bools(g, [2, 1], [1, 0]), a!, b!),
  },
  {
    name: "Where cond[3] a[2,3] b[2,1]",
    op: "Where",
    inputs: [
      [2, 3],
      [2, 1],
    ],
    build: ([a, b], g) => G.where(bools(g, [3], [0, 1, 0]), a!, b!),
  },
  {
    name: "Where a tensor, b number",
    op: "Where",
    inputs: [[2, 3]],
    build: ([a], g) => G.where(bools(g, [2, 3], [1, 1, 0, 1, 0, 1]), a!, 0.5),
  },
];

// ---- linear algebra
const matmulCases: GradCase[] = [
  {
    name: "MatMul [2,3]@[3,4]",
    op: "MatMul",
    inputs: [
      [2, 3],
      [3, 4],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
  {
    name: "MatMul [2,2,3]@[3,4] (B broadcast)",
    op: "MatMul",
    inputs: [
      [2, 2, 3],
      [3, 4],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
  {
    name: "MatMul [2,3]@[2,3,2] (A broadcast)",
    op: "MatMul",
    inputs: [
      [2, 3],
      [2, 3, 2],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
  {
    name: "MatMul [2,1,2,3]@[3,3,2] (both batch-broadcast)",
    op: "MatMul",
    inputs: [
      [2, 1, 2, 3],
      [3, 3, 2],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
];
const gemmCases: GradCase[] = [false, true].flatMap((transA) =>
  [false, true].map((transB) => ({
    name: `Gemm transA=${+transA} transB=${+transB} alpha=0.7 beta=1.3 C[4]`,
    op: "Gemm",
    inputs: [transA ? [3, 2] : [2, 3], transB ? [4, 3] : [3, 4], [4]],
    build: ([a, b, c]: Tensor[]) => G.gemm(a!, b!, c, { transA, transB, alpha: 0.7, beta: 1.3 }),
  })),
);
gemmCases.push(
  {
    name: "Gemm C[2,4]",
    op: "Gemm",
    inputs: [
      [2, 3],
      [3, 4],
      [2, 4],
    ],
    build: ([a, b, c]) => G.gemm(a!, b!, c),
  },
  {
    name: "Gemm C[2,1] beta=-0.5",
    op: "Gemm",
    inputs: [
      [2, 3],
      [3, 4],
      [2, 1],
    ],
    build: ([a, b, c]) => G.gemm(a!, b!, c, { beta: -0.5 }),
  },
  {
    name: "Gemm C[] scalar",
    op: "Gemm",
    inputs: [[2, 3], [3, 4], []],
    build: ([a, b, c]) => G.gemm(a!, b!, c),
  },
  {
    name: "Gemm no C, transA, alpha=2",
    op: "Gemm",
    inputs: [
      [3, 2],
      [3, 4],
    ],
    build: ([a, b]) => G.gemm(a!, b!, undefined, { transA: true, alpha: 2 }),
  },
);
const einsumCases: GradCase[] = [
  {
    name: "Einsum ij,jk->ik (contracted j)",
    op: "Einsum",
    inputs: [
      [2, 3],
      [3, 4],
    ],
    build: ([a, b]) => G.einsum("ij,jk->ik", a!, b!),
  },
  {
    name: "Einsum i,j->ij (outer product)",
    op: "Einsum",
    inputs: [[2], [3]],
    build: ([a, b]) => G.einsum("i,j->ij", a!, b!),
  },
  {
    name: "Einsum ij,jk->k (i only in A, summed away)",
    op: "Einsum",
    inputs: [
      [2, 3],
      [3, 4],
    ],
    build: ([a, b]) => G.einsum("ij,jk->k", a!, b!),
  },
  {
    name: "Einsum bij,bjk->bik (batched)",
    op: "Einsum",
    inputs: [
      [2, 2, 3],
      [2, 3, 2],
    ],
    build: ([a, b]) => G.einsum("bij,bjk->bik", a!, b!),
  },
  {
    name: "Einsum ij->ji (one operand)",
    op: "Einsum",
    inputs: [[2, 3]],
    build: ([a]) => G.einsum("ij->ji", a!),
  },
  {
    name: "Einsum ij->i (one operand, reduce)",
    op: "Einsum",
    inputs: [[2, 3]],
    build: ([a]) => G.einsum("ij->i", a!),
  },
  {
    name: "Einsum ij,jk,kl->il (three operands)",
    op: "Einsum",
    inputs: [
      [2, 3],
      [3, 2],
      [2, 2],
    ],
    build: ([a, b, c]) => G.einsum("ij,jk,kl->il", a!, b!, c!),
  },
  {
    name: "Einsum ij,ij-> (scalar output)",
    op: "Einsum",
    inputs: [
      [2, 3],
      [2, 3],
    ],
    build: ([a, b]) => G.einsum("ij,ij->", a!, b!),
  },
];

// ---- reductions and normalising maps
type Reduce = (x: Tensor, axes?: number[], keepdims?: boolean) => Tensor;
const REDUCE: { op: string; f: Reduce; init?: InputSpec["init"] }[] = [
  { op: "ReduceSum", f: G.reduceSum },
  { op: "ReduceMean", f: G.reduceMean },
  { op: "ReduceMax", f: G.reduceMax, init: "distinct" },
  { op: "ReduceMin", f: G.reduceMin, init: "distinct" },
  { op: "ReduceLogSumExp", f: G.logSumExp },
];
const REDUCE_AXES: [string, number[] | undefined, boolean][] = [
  ["axes [1] keepdims 0", [1], false],
  ["axes [1] keepdims 1", [1], true],
  ["axes [0,2] keepdims 0", [0, 2], false],
  ["axes [0,2] keepdims 1", [0, 2], true],
  ["axes [-1] keepdims 0", [-1], false],
  ["all axes keepdims 0", undefined, false],
  ["all axes keepdims 1", undefined, true],
];
const reduceCases: GradCase[] = REDUCE.flatMap(({ op, f, init }) =>
  REDUCE_AXES.map(([label, axes, keep]) => ({
    name: `${op} [2,3,2] ${label}`,
    op,
    inputs: [I([2, 3, 2], init ?? "any")],
    build: ([x]: Tensor[]) => f(x!, axes, keep),
  })),
);
// Sums that sum-plan.ts emits another way: KRK with many outer blocks as a MatMul, size-1 axes dropped
const plannedSumCases: GradCase[] = [G.reduceSum, G.reduceMean].flatMap((f, i) => {
  const name = i === 0 ? "ReduceSum" : "ReduceMean";
  return [
    {
      name: `${name} [16,3,2] axes [1] as a MatMul (planned)`,
      op: "MatMul",
      inputs: [[16, 3, 2]],
      build: ([x]: Tensor[]) => f(x!, [1], true),
    },
    {
      name: `${name} [4,4,3,1] axes [2] keepdims 0, size-1 axis dropped (planned)`,
      op: i === 0 ? "ReduceSum" : "ReduceMean",
      inputs: [[4, 4, 3, 1]],
      build: ([x]: Tensor[]) => f(x!, [2], false),
    },
  ];
});
const softmaxCases: GradCase[] = [0, 1, -1].flatMap((axis) => [
  {
    name: `Softmax [2,3,4] axis ${axis}`,
    op: "Softmax",
    inputs: [[2, 3, 4]],
    build: ([x]: Tensor[]) => G.softmax(x!, axis),
  },
  {
    name: `LogSoftmax [2,3,4] axis ${axis}`,
    op: "LogSoftmax",
    inputs: [[2, 3, 4]],
    build: ([x]: Tensor[]) => G.logSoftmax(x!, axis),
  },
]);
const layerNormCases: GradCase[] = [
  {
    name: "LayerNormalization axis -1 [2,3,4], scale+bias [4]",
    op: "LayerNormalization",
    inputs: [[2, 3, 4], [4], [4]],
    build: ([x, s, b]) => G.layerNorm(x!, s!, b!, -1),
  },
  {
    name: "LayerNormalization axis -1, no bias",
    op: "LayerNormalization",
    inputs: [[2, 3, 4], [4]],
    build: ([x, s]) => G.layerNorm(x!, s!, null, -1),
  },
  {
    name: "LayerNormalization axis 1 [2,3,4], scale+bias [3,4]",
    op: "LayerNormalization",
    inputs: [
      [2, 3, 4],
      [3, 4],
      [3, 4],
    ],
    build: ([x, s, b]) => G.layerNorm(x!, s!, b!, 1),
  },
  {
    name: "LayerNormalization axis 1, no bias, eps 0.1",
    op: "LayerNormalization",
    inputs: [
      [2, 3, 4],
      [3, 4],
    ],
    build: ([x, s]) => G.layerNorm(x!, s!, null, 1, 0.1),
  },
  {
    name: "LayerNormalization axis 1, scale the constant 1, no bias (the output reused)",
    op: "LayerNormalization",
    inputs: [[2, 3, 4]],
    build: ([x]) => G.layerNorm(x!, x!.graph.constant(x!.dtype, [1], [1]), null, 1, 1e-6),
  },
];

// ---- shape and indexing ops
const shapeCases: GradCase[] = [
  {
    name: "Reshape [2,3,4]->[6,4]",
    op: "Reshape",
    inputs: [[2, 3, 4]],
    build: ([x]) => G.reshape(x!, [6, 4]),
  },
  { name: "Reshape [2,3]->[3,-1]", op: "Reshape", inputs: [[2, 3]], build: ([x]) => G.reshape(x!, [3, -1]) },
  {
    name: "Squeeze [2,1,3] axes [1]",
    op: "Squeeze",
    inputs: [[2, 1, 3]],
    build: ([x]) => G.squeeze(x!, [1]),
  },
  {
    name: "Squeeze [1,3,1] axes [0,-1]",
    op: "Squeeze",
    inputs: [[1, 3, 1]],
    build: ([x]) => G.squeeze(x!, [0, -1]),
  },
  {
    name: "Unsqueeze [2,3] axes [0,3]",
    op: "Unsqueeze",
    inputs: [[2, 3]],
    build: ([x]) => G.unsqueeze(x!, [0, 3]),
  },
  {
    name: "Transpose [2,3,4] perm [2,0,1]",
    op: "Transpose",
    inputs: [[2, 3, 4]],
    build: ([x]) => G.transpose(x!, [2, 0, 1]),
  },
  {
    name: "Transpose [2,3] default perm",
    op: "Transpose",
    inputs: [[2, 3]],
    build: ([x]) => G.transpose(x!),
  },
  { name: "Expand [3]->[2,3]", op: "Expand", inputs: [[3]], build: ([x]) => G.expand(x!, [2, 3]) },
  { name: "Expand [2,1]->[2,2,3]", op: "Expand", inputs: [[2, 1]], build: ([x]) => G.expand(x!, [2, 2, 3]) },
  {
    name: "Concat axis 0 of [1,3],[2,3]",
    op: "Concat",
    inputs: [
      [1, 3],
      [2, 3],
    ],
    build: ([a, b]) => G.concat([a!, b!], 0),
  },
  {
    name: "Concat axis -1 of three",
    op: "Concat",
    inputs: [
      [2, 1],
      [2, 3],
      [2, 2],
    ],
    build: ([a, b, c]) => G.concat([a!, b!, c!], -1),
  },
  {
    name: "Concat the same tensor twice",
    op: "Concat",
    inputs: [[2, 2]],
    build: ([a]) => G.concat([a!, a!], 1),
  },
  {
    name: "Concat raw node with axis -1",
    op: "Concat",
    inputs: [
      [2, 1],
      [2, 2],
    ],
    build: ([a, b], g) =>
      g.node("Concat", [a!, b!], [{ dtype: "float64", shape: [2, 3] }], {
        axis: { kind: "int", value: -1 },
      })[0]!,
  },
  { name: "Slice [1:3] axis 1", op: "Slice", inputs: [[3, 4]], build: ([x]) => G.slice(x!, [1], [3], [1]) },
  {
    name: "Slice negative [-3:-1] both axes",
    op: "Slice",
    inputs: [[3, 4]],
    build: ([x]) => G.slice(x!, [-3, -3], [-1, -1], [0, 1]),
  },
  { name: "Slice step -1 flip axis 0", op: "Slice", inputs: [[3, 4]], build: ([x]) => G.flip(x!, 0) },
  {
    name: "Slice partial reversed [2:0:-1] axis 1",
    op: "Slice",
    inputs: [[3, 4]],
    build: ([x]) => G.slice(x!, [2], [0], [1], [-1]),
  },
  {
    name: "Slice reversed [-1:-3:-1] + forward [0:2]",
    op: "Slice",
    inputs: [[3, 4]],
    build: ([x]) => G.slice(x!, [-1, 0], [-3, 2], [1, 0], [-1, 1]),
  },
  {
    name: "Slice clamped ends [1:100]",
    op: "Slice",
    inputs: [[3, 4]],
    build: ([x]) => G.slice(x!, [1], [100], [0]),
  },
  {
    name: "Slice step 2 [0:4:2] axis 1",
    op: "Slice",
    inputs: [[3, 5]],
    build: ([x]) => G.slice(x!, [0], [4], [1], [2]),
  },
  {
    name: "Slice step 3 [1::3] of 8",
    op: "Slice",
    inputs: [[2, 8]],
    build: ([x]) => G.slice(x!, [1], [100], [1], [3]),
  },
  {
    name: "Slice step -2 [-1::-2] of 5",
    op: "Slice",
    inputs: [[5, 2]],
    build: ([x]) => G.slice(x!, [-1], [-100], [0], [-2]),
  },
  {
    name: "Slice steps -3 and 2 on two axes",
    op: "Slice",
    inputs: [[7, 5]],
    build: ([x]) => G.slice(x!, [5, 1], [0, 5], [0, 1], [-3, 2]),
  },
  {
    name: "Slice empty range [2:2]",
    op: "Slice",
    inputs: [[3, 4]],
    build: ([x]) => G.concat([G.slice(x!, [2], [2], [1]), x!], 1),
  },
  {
    name: "Pad positive [2,3] pads [1,0,0,2]",
    op: "Pad",
    inputs: [[2, 3]],
    build: ([x]) => G.pad(x!, [1, 0, 0, 2]),
  },
  {
    name: "Pad negative (crop) [3,4] pads [-1,0,0,-2]",
    op: "Pad",
    inputs: [[3, 4]],
    build: ([x]) => G.pad(x!, [-1, 0, 0, -2]),
  },
  {
    name: "Pad mixed [3,4] pads [1,-1,-1,2] value 0.5",
    op: "Pad",
    inputs: [[3, 4]],
    build: ([x]) => G.pad(x!, [1, -1, -1, 2], 0.5),
  },
  {
    name: "Gather axis 0 repeated indices",
    op: "Gather",
    inputs: [[3, 2]],
    build: ([x], g) => G.gather(x!, i64(g, [4], [2, 0, 2, 2]), 0),
  },
  {
    name: "Gather axis 1 negative indices",
    op: "Gather",
    inputs: [[2, 4]],
    build: ([x], g) => G.gather(x!, i64(g, [3], [-1, 0, -1]), 1),
  },
  {
    name: "Gather axis 1 2-D indices [2,2] of [2,3,2]",
    op: "Gather",
    inputs: [[2, 3, 2]],
    build: ([x], g) => G.gather(x!, i64(g, [2, 2], [0, 2, 2, -2]), 1),
  },
  {
    name: "Gather scalar index",
    op: "Gather",
    inputs: [[3, 2]],
    build: ([x], g) => G.gather(x!, i64(g, [], [1]), 0),
  },
  {
    name: "Gather int32 indices",
    op: "Gather",
    inputs: [[3, 2]],
    build: ([x], g) => G.gather(x!, g.constant("int32", [2], [2, 2]), 0),
  },
  { name: "CumSum axis 1", op: "CumSum", inputs: [[2, 4]], build: ([x]) => G.cumSum(x!, 1) },
  {
    name: "CumSum axis 0 exclusive",
    op: "CumSum",
    inputs: [[3, 2]],
    build: ([x]) => G.cumSum(x!, 0, { exclusive: true }),
  },
  {
    name: "CumSum axis 1 reverse",
    op: "CumSum",
    inputs: [[2, 4]],
    build: ([x]) => G.cumSum(x!, 1, { reverse: true }),
  },
  {
    name: "CumSum axis -1 exclusive reverse",
    op: "CumSum",
    inputs: [[2, 4]],
    build: ([x]) => G.cumSum(x!, -1, { exclusive: true, reverse: true }),
  },
  {
    name: "Split [5,3] axis 0 into 2,3",
    op: "Split",
    inputs: [[5, 3]],
    build: ([x]) => {
      const [p, q] = G.split(x!, [2, 3], 0);
      return G.concat([G.mul(q!, 3), p!], 0);
    },
  },
  {
    name: "Split [2,6] axis -1, one piece unused",
    op: "Split",
    inputs: [[2, 6]],
    build: ([x]) => {
      const [p, , r] = G.split(x!, [1, 2, 3], -1);
      return G.concat([G.mul(p!, 2), r!], 1);
    },
  },
  { name: "Sin [2,3]", op: "Sin", inputs: [[2, 3]], build: ([x]) => G.sin(x!) },
  { name: "Cos [3,2]", op: "Cos", inputs: [[3, 2]], build: ([x]) => G.cos(x!) },
  { name: "Tile [2,3] x [2,1]", op: "Tile", inputs: [[2, 3]], build: ([x]) => G.tile(x!, [2, 1]) },
  { name: "Tile [2,1,2] x [1,3,2]", op: "Tile", inputs: [[2, 1, 2]], build: ([x]) => G.tile(x!, [1, 3, 2]) },
];

export const CASES: GradCase[] = [
  ...plannedSumCases,
  ...binaryCases,
  ...constantOperandCases,
  ...unaryCases,
  ...whereCases,
  ...matmulCases,
  ...gemmCases,
  ...einsumCases,
  ...reduceCases,
  ...softmaxCases,
  ...layerNormCases,
  ...shapeCases,
];
