// How graphs are emitted for ORT's CPU kernels: sums planned around the kernels' slow cases (values
// checked against a plain JS sum in ORT), and the serialised node list (Reshape chains shortened,
// nodes nothing reads left out, a Loop body's reads from outside kept).
import { describe, expect, test } from "bun:test";
import * as G from "../src/graph/index.ts";
import { Graph } from "../src/graph/index.ts";
import { liveNodes } from "../src/graph/prune.ts";
import { planSum } from "../src/graph/sum-plan.ts";
import { readModel } from "./support/onnx-reader.ts";
import { cpuSession, runPlain } from "./support/ort.ts";

describe("sum plans", () => {
  test.each([
    // size-1 axes hide a plain "reduce the last run" from the kernel
    [[8, 8, 6, 1, 3, 1], [4], { kind: "reshaped", shape: [384, 3], axes: [1] }],
    // kept axes on both sides with a small inner block: a MatMul
    [[8, 8, 6, 1, 3, 3], [4], { kind: "matmul", outer: 384, reduced: 3, inner: 3 }],
    // already the kernel's fast case, or too few outer blocks to matter, or too large an identity stack
    [[8, 8, 6, 1, 3, 3], [5], { kind: "direct" }],
    [[2, 3, 2], [1], { kind: "direct" }],
    [[320, 30, 30], [1], { kind: "direct" }],
    [[2, 8, 6, 1, 3, 3], [1, 4, 5], { kind: "direct" }],
  ] as const)("%j over %j", (shape, axes, plan) => {
    expect(planSum(shape, axes)).toEqual(plan as never);
  });

  const data = (n: number) => Array.from({ length: n }, (_, i) => ((i * 37) % 23) - 11);
  /** Sum (or mean) of `x` of `shape` over `axes` in plain JS, keepdims. */
  function reference(x: number[], shape: number[], axes: number[], mean: boolean): number[] {
    const out = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const sums = new Array<number>(size(out)).fill(0);
    const n = size(axes.map((a) => shape[a]!));
    for (let flat = 0; flat < x.length; flat++) {
      let rest = flat;
      let o = 0;
      let stride = 1;
      const idx: number[] = [];
      for (let i = shape.length - 1; i >= 0; i--) {
        idx[i] = rest % shape[i]!;
        rest = Math.floor(rest / shape[i]!);
      }
      for (let i = shape.length - 1; i >= 0; i--) {
        o += (axes.includes(i) ? 0 : idx[i]!) * stride;
        stride *= out[i]!;
      }
      sums[o]! += x[flat]! / (mean ? n : 1);
    }
    return sums;
  }

  test.each([
    [[8, 8, 6, 1, 3, 1], [4]],
    [[8, 8, 6, 1, 3, 3], [4]],
    [[16, 1, 6, 2, 3, 3], [3]],
    [[16, 1, 6, 2, 3, 3], [4]],
    [[8, 8, 6, 1, 3, 3], [1]],
  ])("ReduceSum and ReduceMean of %j over %j equal a plain sum", async (shape, axes) => {
    const g = new Graph("sums");
    const x = g.input("x", "float64", shape);
    g.output(G.reduceSum(x, axes, true), "sum");
    g.output(G.reduceMean(x, axes, false), "mean");
    const values = data(shape.reduce((a, b) => a * b, 1));
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "sums"), {
      x: { dtype: "float64", shape, data: values },
    });
    const close = (got: number[], want: number[]) => {
      expect(got.length).toBe(want.length);
      for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 9);
    };
    close(r.sum!.data, reference(values, shape, axes, false));
    close(r.mean!.data, reference(values, shape, axes, true));
  });
});

describe("serialised nodes", () => {
  test("a Reshape of a Reshape reads the first one's input; nodes nothing reads are left out", async () => {
    const g = new Graph("prune");
    const x = g.input("x", "float32", [4, 6]);
    const flat = G.reshape(x, [24]);
    G.exp(flat); // read by nothing
    const y = G.exp(G.reshape(flat, [2, 12]));
    g.output(y, "y");
    const kept = liveNodes(g);
    expect(kept.map((n) => n.opType)).toEqual(["Reshape", "Exp", "Identity"]);
    expect(kept[0]!.inputs[0]).toBe("x");
    const model = readModel(G.toModelBytes(g));
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(["Reshape", "Exp", "Identity"]);
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "prune"), {
      x: { dtype: "float32", shape: [4, 6], data: Array.from({ length: 24 }, (_, i) => i / 24) },
    });
    expect(r.y!.dims).toEqual([2, 12]);
    expect(r.y!.data[23]).toBeCloseTo(Math.exp(23 / 24), 5);
  });

  test("a Loop body's reads from the enclosing graph keep their producers", async () => {
    const g = new Graph("outer");
    const x = g.input("x", "float32", [3]);
    const scale = G.exp(G.mul(x, 0)); // produced outside, read only inside the body
    G.neg(x); // read by nothing
    const { carried } = G.loop(g, 2, [x], (_i, [v]) => ({ carried: [G.mul(v!, G.add(scale, 1))] }));
    g.output(carried[0]!, "y");
    const ops = readModel(G.toModelBytes(g)).graph.nodes.map((n) => n.opType);
    expect(ops).toContain("Exp");
    expect(ops).not.toContain("Neg");
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "loop-prune"), {
      x: { dtype: "float32", shape: [3], data: [1, 2, 3] },
    });
    expect(r.y!.data).toEqual([4, 8, 12]);
  });
});
