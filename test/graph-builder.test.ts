// The graph builder: static shape and dtype inference per op (checked against what ORT computes),
// build-time shape and dtype errors, Loop semantics in ORT, and the ONNX serialisation round trip.
import { describe, expect, test } from "bun:test";
import * as G from "../src/graph/index.ts";
import { Graph, type Tensor } from "../src/graph/index.ts";
import { SHAPE_CASES, everyOpGraph, feedsFor, inp } from "./support/op-table.ts";
import { readModel, type GraphRead } from "./support/onnx-reader.ts";
import { cpuSession, runPlain } from "./support/ort.ts";

describe("static shape and dtype inference", () => {
  test.each(SHAPE_CASES.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const g = new Graph("shape");
    const t = c.build(g);
    expect({ shape: [...t.shape], dtype: t.dtype }).toEqual({ shape: c.shape, dtype: c.dtype });
    const built = new Set(g.nodes.map((n) => n.opType));
    for (const op of c.ops) expect(built).toContain(op);
  });

  test("ORT computes the same shapes and dtypes for every node output of the every-op graph", async () => {
    const { g } = everyOpGraph();
    const named = new Set(g.outputs.map((t) => t.name));
    for (const node of g.nodes) for (const o of node.outputs) if (!named.has(o)) g.output(g.get(o));
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "every-op"), feedsFor(g));
    const wrong: string[] = [];
    for (const t of g.outputs) {
      const got = r[t.name];
      if (!got || got.dims.join(",") !== t.shape.join(",")) wrong.push(`${t} but ORT gives [${got?.dims}]`);
    }
    expect(wrong).toEqual([]);
    expect(g.outputs.length).toBeGreaterThan(SHAPE_CASES.length);
  });
});

// Each error must be raised while building, and its message must name the op and the shapes involved.
const SHAPE_ERRORS: { name: string; build: (g: Graph) => unknown; says: string[] }[] = [
  {
    name: "Add [2,3] vs [4]",
    build: (g) => G.add(inp(g, [2, 3]), inp(g, [4])),
    says: ["Add", "[2,3]", "[4]"],
  },
  {
    name: "Where cond [2] vs a [3]",
    build: (g) => G.where(inp(g, [2], "bool"), inp(g, [3]), 0),
    says: ["Where", "[2]", "[3]"],
  },
  {
    name: "MatMul inner dimensions",
    build: (g) => G.matmul(inp(g, [2, 3]), inp(g, [4, 5])),
    says: ["MatMul", "[2,3]", "[4,5]"],
  },
  {
    name: "MatMul batch dimensions",
    build: (g) => G.matmul(inp(g, [2, 2, 3]), inp(g, [3, 3, 4])),
    says: ["MatMul", "[2]", "[3]"],
  },
  {
    name: "MatMul rank 1",
    build: (g) => G.matmul(inp(g, [3]), inp(g, [3, 4])),
    says: ["MatMul", "[3]", "[3,4]"],
  },
  {
    name: "Gemm inner dimensions (transB)",
    build: (g) => G.gemm(inp(g, [2, 3]), inp(g, [3, 4]), undefined, { transB: true }),
    says: ["Gemm", "[2,3]", "[3,4]"],
  },
  {
    name: "Gemm C does not broadcast",
    build: (g) => G.gemm(inp(g, [2, 3]), inp(g, [3, 4]), inp(g, [3])),
    says: ["Gemm", "[3]", "[2,4]"],
  },
  {
    name: "Einsum letter sizes differ",
    build: (g) => G.einsum("ij,jk->ik", inp(g, [2, 3]), inp(g, [4, 5])),
    says: ["Einsum", "letter j", "3", "4"],
  },
  {
    name: "Einsum term rank",
    build: (g) => G.einsum("ij->i", inp(g, [2, 3, 4])),
    says: ["Einsum", "ij", "[2,3,4]"],
  },
  {
    name: "Concat mismatch outside the axis",
    build: (g) => G.concat([inp(g, [2, 3]), inp(g, [3, 3])], 1),
    says: ["Concat", "[2,3]", "[3,3]"],
  },
  {
    name: "Reshape size mismatch",
    build: (g) => G.reshape(inp(g, [2, 3]), [4, 2]),
    says: ["Reshape", "[2,3]", "[4,2]"],
  },
  { name: "Reshape two -1", build: (g) => G.reshape(inp(g, [2, 3]), [-1, -1]), says: ["Reshape", "[-1,-1]"] },
  {
    name: "Expand incompatible",
    build: (g) => G.expand(inp(g, [3]), [2, 4]),
    says: ["Expand", "[3]", "[2,4]"],
  },
  {
    name: "Squeeze a dimension that is not 1",
    build: (g) => G.squeeze(inp(g, [2, 3]), [1]),
    says: ["Squeeze", "[2,3]"],
  },
  {
    name: "Transpose perm not a permutation",
    build: (g) => G.transpose(inp(g, [2, 3]), [0, 0]),
    says: ["Transpose", "[2,3]"],
  },
  {
    name: "Softmax axis out of range",
    build: (g) => G.softmax(inp(g, [2, 3]), 2),
    says: ["Softmax", "axis 2", "rank 2"],
  },
  {
    name: "ReduceSum repeated axis",
    build: (g) => G.reduceSum(inp(g, [2, 3]), [1, -1]),
    says: ["ReduceSum", "repeated"],
  },
  { name: "Pad wrong pads length", build: (g) => G.pad(inp(g, [2, 3]), [1, 1]), says: ["Pad", "[2,3]"] },
  {
    name: "Pad crops below zero",
    build: (g) => G.pad(inp(g, [2, 3]), [-3, 0, 0, 0]),
    says: ["Pad", "[2,3]"],
  },
  {
    name: "Slice step 0",
    build: (g) => G.slice(inp(g, [2, 3]), [0], [1], [0], [0]),
    says: ["Slice", "[2,3]"],
  },
  { name: "Tile repeats count", build: (g) => G.tile(inp(g, [2, 3]), [2]), says: ["Tile", "[2,3]"] },
  {
    name: "LayerNormalization scale misfit",
    build: (g) => G.layerNorm(inp(g, [2, 3, 4]), inp(g, [3]), null),
    says: ["LayerNormalization", "[3]", "[4]"],
  },
  {
    name: "Loop body changes a carried shape",
    build: (g) => G.loop(g, 2, [inp(g, [2])], (_i, [h]) => ({ carried: [G.concat([h!, h!], 0)] })),
    says: ["Loop", "[2]", "[4]"],
  },
];

const DTYPE_ERRORS: { name: string; build: (g: Graph) => unknown; says: string[] }[] = [
  {
    name: "Add float32 + float64",
    build: (g) => G.add(inp(g, [2]), inp(g, [2], "float64")),
    says: ["Add", "float32", "float64"],
  },
  {
    name: "MatMul float32 @ float64",
    build: (g) => G.matmul(inp(g, [2, 2]), inp(g, [2, 2], "float64")),
    says: ["MatMul", "float32", "float64"],
  },
  {
    name: "Gemm float32 x float64",
    build: (g) => G.gemm(inp(g, [2, 2]), inp(g, [2, 2], "float64")),
    says: ["Gemm", "float32", "float64"],
  },
  {
    name: "Gemm C float64",
    build: (g) => G.gemm(inp(g, [2, 2]), inp(g, [2, 2]), inp(g, [2], "float64")),
    says: ["Gemm", "float32", "float64"],
  },
  {
    name: "Einsum float32 and float64",
    build: (g) => G.einsum("ij,jk->ik", inp(g, [2, 2]), inp(g, [2, 2], "float64")),
    says: ["Einsum", "float32", "float64"],
  },
  {
    name: "LayerNormalization scale float64",
    build: (g) => G.layerNorm(inp(g, [2, 4]), inp(g, [4], "float64"), null),
    says: ["LayerNormalization", "float32", "float64"],
  },
  {
    name: "Concat float32 with int64",
    build: (g) => G.concat([inp(g, [2]), inp(g, [2], "int64")], 0),
    says: ["Concat", "float32", "int64"],
  },
  { name: "Exp of int64", build: (g) => G.exp(inp(g, [2], "int64")), says: ["Exp", "int64"] },
  {
    name: "Where with a float condition",
    build: (g) => G.where(inp(g, [2]), inp(g, [2]), 0),
    says: ["Where", "bool", "float32"],
  },
  { name: "Not of float32", build: (g) => G.not(inp(g, [2])), says: ["Not", "bool", "float32"] },
  {
    name: "Gather with float indices",
    build: (g) => G.gather(inp(g, [3]), inp(g, [2])),
    says: ["Gather", "float32"],
  },
  {
    name: "Loop body changes a carried dtype",
    build: (g) => G.loop(g, 2, [inp(g, [2])], (_i, [h]) => ({ carried: [G.cast(h!, "float64")] })),
    says: ["Loop", "float32", "float64"],
  },
];

describe("build-time errors", () => {
  test.each([...SHAPE_ERRORS, ...DTYPE_ERRORS].map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const g = new Graph("errors");
    let message = "";
    try {
      c.build(g);
    } catch (e) {
      expect(e).toBeInstanceOf(G.GraphError);
      message = (e as Error).message;
    }
    expect(message).not.toBe("");
    for (const s of c.says)
      if (!message.includes(s)) throw new Error(`message "${message}" does not mention ${s}`);
  });
});

describe("Loop in ORT", () => {
  test("carried state and scan outputs, the body reading outer tensors and the iteration number", async () => {
    const g = new Graph("loop");
    const w = g.input("w", "float32", [2]);
    const h0 = g.input("h0", "float32", [2]);
    const n0 = g.input("n0", "float32", []);
    // h <- h * w + i,  n <- n + 1; scans: h after the step, and i * 10
    const { carried, scans } = G.loop(g, 4, [h0, n0], (i, [h, n]) => {
      const fi = G.cast(i, "float32");
      const next = G.add(G.mul(w, h!), fi); // outer tensor first: the Mul must still land in the body
      return { carried: [next, G.add(n!, 1)], scans: [next, G.mul(fi, 10)] };
    });
    const body = (g.nodes.find((n) => n.opType === "Loop")!.attrs.body as { value: Graph }).value;
    expect(body.nodes.map((n) => n.opType)).toContain("Mul");
    expect(g.nodes.map((n) => n.opType)).not.toContain("Mul");
    expect(carried.map((t) => [...t.shape])).toEqual([[2], []]);
    expect(scans.map((t) => [...t.shape])).toEqual([[4, 2], [4]]);
    g.output(carried[0]!, "h");
    g.output(carried[1]!, "n");
    g.output(scans[0]!, "hs");
    g.output(scans[1]!, "is");
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "loop"), {
      w: { dtype: "float32", shape: [2], data: [2, 0.5] },
      h0: { dtype: "float32", shape: [2], data: [1, 4] },
      n0: { dtype: "float32", shape: [], data: [7] },
    });
    const hs: number[] = [];
    let h = [1, 4];
    for (let i = 0; i < 4; i++) {
      h = [h[0]! * 2 + i, h[1]! * 0.5 + i];
      hs.push(...h);
    }
    expect(r.h).toEqual({ dims: [2], data: h });
    expect(r.n).toEqual({ dims: [], data: [11] });
    expect(r.hs).toEqual({ dims: [4, 2], data: hs });
    expect(r.is).toEqual({ dims: [4], data: [0, 10, 20, 30] });
  });
});

test("a tensor of an unrelated graph is refused", () => {
  const a = new Graph("a");
  const b = new Graph("b");
  expect(() => G.add(a.input("x", "float32", [2]), b.input("y", "float32", [2]))).toThrow(
    "Add: input y belongs to another graph",
  );
});

describe("ONNX serialisation", () => {
  const ELEM: Record<string, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };

  function compareGraph(read: GraphRead, g: Graph): void {
    expect(read.name).toBe(g.name);
    expect(read.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs])).toEqual(
      g.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs]),
    );
    g.nodes.forEach((n, k) => {
      const got = read.nodes[k]!.attrs;
      expect(Object.keys(got).sort()).toEqual(Object.keys(n.attrs).sort());
      for (const [key, a] of Object.entries(n.attrs)) {
        const r = got[key]!;
        if (a.kind === "int") expect(r.i).toBe(a.value);
        else if (a.kind === "float") expect(r.f).toBeCloseTo(a.value, 6);
        else if (a.kind === "string") expect(r.s).toBe(a.value);
        else if (a.kind === "ints") expect(r.ints).toEqual(a.value);
        else if (a.kind === "floats")
          r.floats!.forEach((v, i) => {
            expect(v).toBeCloseTo(a.value[i]!, 6);
          });
        else if (a.kind === "graph") compareGraph(r.g!, a.value);
      }
    });
    expect(read.initializers.map((c) => [c.name, c.dims, c.dataType])).toEqual(
      g.initializers.map((c) => [c.name, c.shape, ELEM[c.dtype]]),
    );
    read.initializers.forEach((c, i) => {
      const d = g.initializers[i]!.data;
      expect(Buffer.from(c.raw).equals(Buffer.from(d.buffer, d.byteOffset, d.byteLength))).toBe(true);
    });
    const vi = (t: Tensor) => ({ name: t.name, elemType: ELEM[t.dtype], dims: [...t.shape] });
    expect(read.inputs).toEqual(g.inputs.map(vi));
    expect(read.outputs).toEqual(g.outputs.map(vi));
    // value_info: every intermediate (neither a graph input/output nor an initializer), with its static type
    const io = new Set([...g.inputs, ...g.outputs].map((t) => t.name));
    const inits = new Set(g.initializers.map((c) => c.name));
    const intermediates = [...g.values.values()].filter((t) => !io.has(t.name) && !inits.has(t.name));
    expect(intermediates.length).toBeGreaterThan(0);
    expect(read.valueInfo.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      intermediates.map(vi).sort((a, b) => a.name.localeCompare(b.name)),
    );
  }

  test("round trip: IR 8, opset 17, nodes, attributes, initializers, inputs, outputs, value_info (Loop body too)", () => {
    const { g } = everyOpGraph();
    const m = readModel(G.toModelBytes(g));
    expect(m.irVersion).toBe(8);
    expect(m.opsets).toEqual([{ domain: "", version: 17 }]);
    expect(m.producer).toBe("ttt");
    compareGraph(m.graph, g);
    expect(g.nodes.some((n) => n.opType === "Loop")).toBe(true);
  });

  test("options: IR version, opset, doc string", () => {
    const g = new Graph("opts");
    g.output(G.exp(g.input("x", "float32", [2])), "y");
    const m = readModel(G.toModelBytes(g, { irVersion: 9, opset: 18, producer: "p" }));
    expect([m.irVersion, m.opsets[0]!.version, m.producer]).toEqual([9, 18, "p"]);
  });

  test("ORT loads and runs the serialised every-op graph; float64 constants keep their bits", async () => {
    const { g, results } = everyOpGraph();
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "round-trip"), feedsFor(g));
    expect(Object.keys(r).length).toBe(g.outputs.length);
    // Loop 3 steps: h <- tanh(h * w + 1) from the fed values; scans hold every step
    const loopOut = r[results.get("Loop 3 steps, scan [3,2]")!.name]!;
    expect(loopOut.dims).toEqual([3, 2]);
    const g2 = new Graph("bits");
    const c = g2.constant("float64", [3], [Math.PI, 1e-300, -0.1]);
    g2.output(G.add(c, g2.input("z", "float64", [3])), "y");
    const r2 = await runPlain(await cpuSession(G.toModelBytes(g2), "bits"), {
      z: { dtype: "float64", shape: [3], data: [0, 0, 0] },
    });
    expect(r2.y!.data).toEqual([Math.PI, 1e-300, -0.1]);
  });
});
