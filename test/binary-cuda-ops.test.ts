// Our training graphs must run entirely on ONNX Runtime's CUDA provider: a node whose op (or element
// type) has no CUDA kernel is placed on the CPU, and every step then copies tensors between the devices.
// This collects every node (Loop bodies included) of the graphs the solver builds (toy models, every
// model family of src/loop/trainer.ts on a small task per output-shape rule; train, loop and infer graphs)
// and checks its op type and input/output element types against the CUDA kernels below. No GPU needed.
//
// CUDA_KERNELS is transcribed from ONNX Runtime's docs/OperatorKernels.md, section "Operators
// implemented by CUDAExecutionProvider", domain ai.onnx: microsoft/onnxruntime at commit
// 001d12d2623fd411ce0f83d05abb5e82304a3389 (main branch, after 1.22: it lists opset-24 kernels such as
// Attention 24+ and TensorScatter 24+); our onnxruntime-node is 1.30.0. For each op the entry is the
// kernel whose opset range covers the opset our serializer writes (17, checked below). The document
// lists types, not attributes: ops whose CUDA support depends on an attribute (ScatterND /
// ScatterElements with a reduction, Pad modes) are flagged here until checked on a GPU.
import { describe, expect, test } from "bun:test";
import { loadTasks, taskFromJson, type Task } from "../src/arc/index.ts";
import type { Graph } from "../src/graph/graph.ts";
import * as G from "../src/graph/index.ts";
import { DEFAULT_OPSET, toModelBytes } from "../src/graph/serialize.ts";
import { mlpSpec, transformerBlockSpec } from "../src/models/toy.ts";
import { buildGraph, type GraphKind } from "../src/train/build.ts";
import type { ModelSpec } from "../src/train/spec.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";
import { FAMILIES, loadFamily } from "../src/models/registry.ts";
import { readModel } from "./support/onnx-reader.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";

const OPSET = 17;

// Element-type sets as OperatorKernels.md writes them (double = float64, float = float32).
const FLOAT3 = ["float64", "float32", "float16"];
const FLOAT4 = [...FLOAT3, "bfloat16"];
const ALL = [
  "bfloat16",
  "bool",
  "float64",
  "float32",
  "float16",
  "int16",
  "int32",
  "int64",
  "int8",
  "uint16",
  "uint32",
  "uint64",
  "uint8",
];
const NUMERIC = ALL.filter((t) => t !== "bool");
const COMPARE = ["float64", "float32", "float16", "int32", "int64", "uint32", "uint64"];
const MINMAX = ["bfloat16", ...COMPARE];
const IND = ["int32", "int64"];
const I64 = ["int64"];
const BOOL = ["bool"];

interface Kernel {
  /** Allowed element types per input position; null: not checked. */
  inputs: (string[] | null)[];
  /** The last input spec repeats (variadic ops). */
  variadic?: boolean;
  /** Allowed element types per output position, where they are constrained separately. */
  outputs?: (string[] | null)[];
  /** A reason to flag a node by its attributes (CUDA support the document does not show). */
  caveat?: (attrs: Record<string, string>) => string | null;
}

const reductionCaveat = (attrs: Record<string, string>) =>
  attrs.reduction && attrs.reduction !== "none"
    ? `reduction="${attrs.reduction}": CUDA support for reductions is not in OperatorKernels.md; check on a GPU`
    : null;

/** CUDA kernels (ai.onnx) for opset 17; see the header for the source. */
const CUDA_KERNELS: Record<string, Kernel> = {
  Abs: { inputs: [NUMERIC] },
  Add: { inputs: [NUMERIC, NUMERIC] },
  Sub: { inputs: [NUMERIC, NUMERIC] },
  Mul: { inputs: [NUMERIC, NUMERIC] },
  Div: { inputs: [NUMERIC, NUMERIC] },
  And: { inputs: [BOOL, BOOL] },
  Or: { inputs: [BOOL, BOOL] },
  Xor: { inputs: [BOOL, BOOL] },
  Not: { inputs: [BOOL] },
  ArgMax: { inputs: [FLOAT3] },
  ArgMin: { inputs: [FLOAT3] },
  Cast: { inputs: [ALL], outputs: [ALL] }, // [13, 18]
  Concat: { inputs: [ALL], variadic: true },
  ConstantOfShape: { inputs: [I64], outputs: [ALL] },
  Cos: { inputs: [FLOAT3] },
  Sin: { inputs: [FLOAT3] },
  CumSum: { inputs: [["float64", "float32", "float16", "int32", "int64", "uint32", "uint64"], IND] },
  Einsum: { inputs: [FLOAT3], variadic: true },
  Equal: {
    inputs: [
      ["bool", ...COMPARE],
      ["bool", ...COMPARE],
    ],
  },
  Erf: { inputs: [FLOAT4] },
  Exp: { inputs: [FLOAT4] },
  Expand: { inputs: [ALL, I64] },
  Floor: { inputs: [FLOAT3] },
  Gather: { inputs: [ALL, IND] },
  GatherElements: { inputs: [ALL, IND] },
  Gemm: { inputs: [FLOAT4, FLOAT4, FLOAT4] },
  Greater: { inputs: [COMPARE, COMPARE] },
  GreaterOrEqual: { inputs: [COMPARE, COMPARE] },
  Less: { inputs: [COMPARE, COMPARE] },
  LessOrEqual: { inputs: [COMPARE, COMPARE] },
  Identity: { inputs: [ALL] }, // [14, 18]
  // 17+: T for X, Scale, B and Y; U (Mean, InvStdDev) float only.
  LayerNormalization: { inputs: [FLOAT4, FLOAT4, FLOAT4], outputs: [FLOAT4, ["float32"], ["float32"]] },
  Log: { inputs: [FLOAT3] },
  LogSoftmax: { inputs: [FLOAT3] },
  Loop: { inputs: [I64, BOOL, ALL], variadic: true }, // [13, 18]
  MatMul: { inputs: [FLOAT4, FLOAT4] },
  Max: { inputs: [MINMAX], variadic: true },
  Min: { inputs: [MINMAX], variadic: true },
  Neg: { inputs: [["bfloat16", "float64", "float32", "float16", "int16", "int32", "int64", "int8"]] },
  OneHot: { inputs: [IND, IND, ["float32", "float16", "int64"]] },
  Pad: {
    inputs: [["bool", "float64", "float32", "float16"], I64, ["bool", "float64", "float32", "float16"]], // [13, 17]
    caveat: (a) =>
      a.mode && !["constant", "reflect", "edge"].includes(a.mode)
        ? `mode="${a.mode}" is not a CUDA Pad mode`
        : null,
  },
  Pow: {
    inputs: [
      ["bfloat16", "float64", "float32", "float16", "int32", "int64"],
      ["bfloat16", "float64", "float32", "float16", "int32", "int64"],
    ],
  },
  Reciprocal: { inputs: [FLOAT3] },
  ReduceLogSumExp: { inputs: [FLOAT3] }, // [1, 17]
  ReduceMax: { inputs: [["float64", "float32", "float16", "int32", "int64"]] },
  ReduceMean: { inputs: [["float64", "float32", "float16", "int32"]] },
  ReduceMin: { inputs: [["float64", "float32", "float16", "int32", "int64", "int8", "uint8"]] },
  ReduceProd: { inputs: [["float64", "float32", "float16", "int32"]] },
  ReduceSum: { inputs: [["bfloat16", "float64", "float32", "float16", "int32", "int64"], I64] }, // 13+
  ReduceSumSquare: { inputs: [FLOAT3] },
  Relu: { inputs: [FLOAT4] },
  Reshape: { inputs: [ALL, I64] }, // [14, 18]
  ScatterElements: { inputs: [ALL, IND, ALL], caveat: reductionCaveat }, // [16, 17]
  ScatterND: { inputs: [ALL, I64, ALL], caveat: reductionCaveat }, // [16, 17]
  Sigmoid: { inputs: [FLOAT4] },
  Sign: { inputs: [NUMERIC] },
  Slice: { inputs: [ALL, IND, IND, IND, IND] },
  Softmax: { inputs: [FLOAT4] },
  Split: { inputs: [ALL, I64] }, // [13, 17]
  Sqrt: { inputs: [FLOAT4] },
  Squeeze: { inputs: [ALL, I64] }, // [13, 20]
  Sum: { inputs: [FLOAT4], variadic: true },
  Tanh: { inputs: [FLOAT4] },
  Tile: { inputs: [["bfloat16", "float64", "float32", "float16", "int32", "int64"], I64] },
  Transpose: { inputs: [ALL] }, // [13, 20]
  Unsqueeze: { inputs: [ALL, I64] }, // [13, 20]
  Where: {
    inputs: [
      BOOL,
      ["bfloat16", "float64", "float32", "float16", "int32", "int64", "uint8"],
      ["bfloat16", "float64", "float32", "float16", "int32", "int64", "uint8"],
    ],
  }, // 16+
};

interface Finding {
  graph: string;
  op: string;
  problem: string;
}

/** Every node of `g` and of its subgraphs that the CUDA provider cannot run as built. */
export function cudaFindings(
  g: Graph,
  label: string,
): { findings: Finding[]; ops: Map<string, Set<string>> } {
  const findings: Finding[] = [];
  const ops = new Map<string, Set<string>>();
  const walk = (x: Graph) => {
    for (const n of x.nodes) {
      const dtypeOf = (name: string) => (name ? x.get(name).dtype : null);
      const ins = n.inputs.map(dtypeOf);
      const outs = n.outputs.map(dtypeOf);
      const sig = `${ins.map((d) => d ?? "-").join(",")} -> ${outs.map((d) => d ?? "-").join(",")}`;
      const seen = ops.get(n.opType) ?? new Set<string>();
      seen.add(sig);
      ops.set(n.opType, seen);
      const report = (problem: string) =>
        findings.push({ graph: label, op: n.opType, problem: `${problem} (node ${n.name}: ${sig})` });
      if (n.domain && n.domain !== "ai.onnx")
        report(`domain ${n.domain} is not checked against the CUDA kernels`);
      const k = CUDA_KERNELS[n.opType];
      if (!k) report("no CUDA kernel listed for this op (or not yet transcribed: see OperatorKernels.md)");
      else {
        const check = (
          types: (string | null)[],
          specs: (string[] | null)[],
          variadic: boolean,
          what: string,
        ) =>
          types.forEach((t, i) => {
            const spec = i < specs.length ? specs[i] : variadic ? specs[specs.length - 1] : null;
            if (t && spec && !spec.includes(t))
              report(`${what} ${i} is ${t}; CUDA supports ${spec.join(", ")}`);
          });
        check(ins, k.inputs, k.variadic ?? false, "input");
        if (k.outputs) check(outs, k.outputs, false, "output");
        const strAttrs = Object.fromEntries(
          Object.entries(n.attrs).flatMap(([key, v]) => (v.kind === "string" ? [[key, v.value]] : [])),
        );
        const caveat = k.caveat?.(strAttrs);
        if (caveat) report(caveat);
      }
      for (const a of Object.values(n.attrs)) if (a.kind === "graph") walk(a.value);
    }
  };
  walk(g);
  return { findings, ops };
}

const toyOptim = { kind: "adamw" as const, lr: 1e-3, clipNorm: 1 };

/** The graphs of `kinds` (a Loop body holds the same step as the "train" graph). */
function graphsOf(spec: ModelSpec, label: string, optim: object, kinds: GraphKind[]): [string, Graph][] {
  return kinds.map((kind) => [
    `${label} ${kind}`,
    buildGraph({ spec, kind, steps: 3, optim: optim as typeof toyOptim }),
  ]);
}

/** Small tasks, one per output-shape rule: same shape as the input, one fixed shape, learned shapes. */
async function smallTasks(): Promise<Task[]> {
  const { tasks } = await loadTasks(`${PROJECT_ROOT}/fixtures/tasks_challenges.json`);
  const byId = (id: string) => tasks.find((t) => t.id === id)!;
  const fixed = taskFromJson("corner-2x2", {
    train: [
      {
        input: [
          [1, 2, 0],
          [3, 4, 0],
          [0, 0, 5],
        ],
        output: [
          [1, 2],
          [3, 4],
        ],
      },
      {
        input: [
          [5, 0, 0, 1],
          [0, 5, 0, 0],
          [1, 0, 5, 0],
        ],
        output: [
          [5, 0],
          [0, 5],
        ],
      },
    ],
    test: [
      {
        input: [
          [2, 2, 0],
          [0, 3, 3],
          [4, 0, 4],
        ],
      },
    ],
  });
  return [byId("recolour-1-to-2"), fixed, byId("transpose")];
}

async function solverGraphs(): Promise<[string, Graph][]> {
  const all: GraphKind[] = ["train", "loop", "infer"];
  const out: [string, Graph][] = [
    ...graphsOf(mlpSpec({ inputs: 8, hidden: 16, classes: 3, batch: 4 }), "toy mlp", toyOptim, all),
    ...graphsOf(
      transformerBlockSpec({ d: 16, heads: 2, seq: 8, batch: 2, vocab: 10 }),
      "toy transformer",
      toyOptim,
      all,
    ),
  ];
  const tasks = await smallTasks();
  for (const name of Object.keys(FAMILIES)) {
    const family = await loadFamily(name);
    for (const task of tasks) {
      let model: ReturnType<typeof family.build>;
      try {
        model = family.build(task, { seed: 1 });
      } catch {
        continue; // a task this family does not take (the solver skips it too)
      }
      const optim =
        (model as { optim?: object }).optim ?? (model.spec as { optim?: object }).optim ?? DEFAULT_OPTIM;
      out.push(...graphsOf(model.spec, `${name} ${task.id}`, optim, ["loop", "infer"]));
    }
  }
  return out;
}

describe("CUDA provider covers our training graphs", () => {
  test("the serializer writes the opset the kernel table is for", () => {
    expect(DEFAULT_OPSET).toBe(OPSET);
    const g = new G.Graph("opset");
    g.output(G.relu(g.input("x", "float32", [2])), "y");
    expect(readModel(toModelBytes(g)).opsets.find((o) => o.domain === "")?.version).toBe(OPSET);
  });

  test("every op and element type of the toy models and every model family (a small task per output-shape rule) has a CUDA kernel", async () => {
    const graphs = await solverGraphs();
    expect(graphs.length).toBeGreaterThan(6 + 2 * Object.keys(FAMILIES).length);
    const all: Finding[] = [];
    const ops = new Map<string, Set<string>>();
    for (const [label, g] of graphs) {
      const r = cudaFindings(g, label);
      all.push(...r.findings);
      for (const [op, sigs] of r.ops)
        for (const s of sigs) (ops.get(op) ?? ops.set(op, new Set()).get(op)!).add(s);
    }
    const distinct = [
      ...new Map(all.map((f) => [`${f.op}: ${f.problem.replace(/\(node [^:]+:/, "(")}`, f])).values(),
    ];
    if (distinct.length)
      console.error(
        `CUDA coverage: ${distinct.length} problem(s)\n${distinct.map((f) => `  ${f.graph}: ${f.op}: ${f.problem}`).join("\n")}`,
      );
    else if (process.env.TTT_TEST_VERBOSE)
      console.error(
        `CUDA coverage: ${ops.size} op types in ${graphs.length} graphs, all covered: ${[...ops.keys()].sort().join(", ")}`,
      );
    expect(distinct.map((f) => `${f.op}: ${f.problem}`)).toEqual([]);
    expect(ops.has("Loop")).toBe(true);
  }, 120_000);

  test("the check flags what the CUDA provider cannot run", () => {
    const g = new G.Graph("flags");
    const x = g.input("x", "float32", [4]);
    const idx = g.input("i", "int64", [2, 1]);
    const upd = g.input("u", "float32", [2]);
    g.output(
      g.node("ScatterND", [x, idx, upd], [{ dtype: "float32", shape: [4], name: "s" }], {
        reduction: G.attr.string("add"),
      })[0]!,
      "s",
    );
    const b = g.input("b", "bool", [4]);
    g.output(g.node("Where", [b, b, b], [{ dtype: "bool", shape: [4], name: "w" }])[0]!, "w");
    g.output(
      g.node(
        "SoftmaxCrossEntropyLoss",
        [g.input("l", "float32", [2, 3]), g.input("t", "int64", [2])],
        [{ dtype: "float32", shape: [], name: "loss" }],
      )[0]!,
      "loss",
    );
    const d = g.input("d", "float64", [2, 3]);
    g.output(
      g.node(
        "LayerNormalization",
        [d, g.input("sc", "float64", [3])],
        [
          { dtype: "float64", shape: [2, 3], name: "ln" },
          { dtype: "float64", shape: [2, 1], name: "mean" },
        ],
      )[0]!,
      "ln",
    );
    const problems = cudaFindings(g, "flags").findings.map((f) => `${f.op}: ${f.problem}`);
    expect(problems.some((p) => p.startsWith('ScatterND: reduction="add"'))).toBe(true);
    expect(problems.some((p) => p.startsWith("Where: input 1 is bool"))).toBe(true);
    expect(problems.some((p) => p.startsWith("SoftmaxCrossEntropyLoss: no CUDA kernel"))).toBe(true);
    expect(problems.some((p) => p.startsWith("LayerNormalization: output 1 is float64"))).toBe(true);
    expect(new Set(problems.map((p) => p.split(":")[0]))).toEqual(
      new Set(["ScatterND", "Where", "SoftmaxCrossEntropyLoss", "LayerNormalization"]),
    );
  });
});
