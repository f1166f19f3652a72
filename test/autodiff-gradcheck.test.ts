// Gradient check of every rule in the autodiff registry: float64 central differences against the
// analytic gradients, one small case per op and variant (broadcasting included), in the manner of the
// ONNX backend tests. The table: test/support/gradcheck-cases.ts. Metric and stencils:
// test/support/gradcheck.ts. Tolerance: err <= 1e-5 (float64).
import { afterAll, describe, expect, test } from "bun:test";
import * as G from "../src/graph/index.ts";
import type { Tensor } from "../src/graph/index.ts";
import { gradients, registeredOps } from "../src/autodiff/index.ts";
import { type CheckResult, buildCase, checkCase } from "./support/gradcheck.ts";
import { CASES } from "./support/gradcheck-cases.ts";
import { cpuSession, runPlain } from "./support/ort.ts";

const TOL_F64 = 1e-5;
// ORT 1.30's CPU provider registers Erf for float32 only (no double kernel), so Erf and the Gelu
// composite built on it are checked in float32 with a 5-point stencil; float32 round-off in the loss
// limits that check to ~1e-4, hence this looser bound.
const TOL_F32 = 1e-3;

const results: CheckResult[] = [];

describe("gradient check (central differences, ORT CPU)", () => {
  test.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const r = await checkCase(c);
    results.push(r);
    const tol = r.dtype === "float32" ? TOL_F32 : TOL_F64;
    const bad = r.errors.flatMap((e, i) => (e <= tol ? [] : [`x${i}: ${e.toExponential(2)}`]));
    expect(bad.length ? `${c.name}: error above ${tol} for ${bad.join(", ")}` : "ok").toBe("ok");
  });
});

// Where the derivative does not exist, finite differences cannot judge; these pin the conventions.
const KINKS: {
  name: string;
  a: number[];
  b?: number[];
  f: (a: Tensor, b: Tensor) => Tensor;
  da: number[];
  db?: number[];
}[] = [
  {
    name: "ReduceMax shares the gradient among ties",
    a: [1, 3, 3, 2, 2, 0],
    f: (a) => G.reduceMax(G.reshape(a, [2, 3]), [1]),
    da: [0, 0.5, 0.5, 0.5, 0.5, 0],
  },
  {
    name: "ReduceMin shares the gradient among ties",
    a: [1, 3, 1, 2, 2, 2],
    f: (a) => G.reduceMin(G.reshape(a, [2, 3]), [1]),
    da: [0.5, 0, 0.5, 1 / 3, 1 / 3, 1 / 3],
  },
  { name: "Max: a tie goes to A", a: [1, 2, 3], b: [1, 5, 0], f: G.max, da: [1, 0, 1], db: [0, 1, 0] },
  { name: "Min: a tie goes to A", a: [1, 2, 3], b: [1, 5, 0], f: G.min, da: [1, 1, 0], db: [0, 0, 1] },
  { name: "Relu'(0) = 0", a: [-1, 0, 2], f: (a) => G.relu(a), da: [0, 0, 1] },
  { name: "Abs'(0) = 0", a: [-1, 0, 2], f: (a) => G.abs(a), da: [-1, 0, 1] },
];

describe("conventions at kinks and ties (loss = sum(y))", () => {
  test.each(KINKS.map((k) => [k.name, k] as const))("%s", async (_n, k) => {
    const g = new G.Graph("kink");
    const a = g.input("a", "float64", [k.a.length]);
    const b = g.input("b", "float64", [k.b?.length ?? 1]);
    const [da, db] = gradients(G.reduceSum(k.f(a, b)), [a, b]);
    g.output(da!);
    g.output(db!);
    const r = await runPlain(await cpuSession(G.toModelBytes(g), "kinks"), {
      a: { dtype: "float64", shape: [k.a.length], data: k.a },
      b: { dtype: "float64", shape: [k.b?.length ?? 1], data: k.b ?? [0] },
    });
    expect(r.a_grad!.data.map((v) => +v.toFixed(12))).toEqual(k.da.map((v) => +v.toFixed(12)));
    if (k.db) expect(r.b_grad!.data).toEqual(k.db);
  });
});

describe("coverage", () => {
  test("every registered rule has at least one case, and each case builds a node of its op", () => {
    const declared = new Set(CASES.map((c) => c.op));
    const missing = registeredOps().filter((op) => !declared.has(op));
    expect(missing).toEqual([]);
    const unknown = [...declared].filter((op) => !registeredOps().includes(op));
    expect(unknown).toEqual([]);
    for (const c of CASES) {
      const { builtOps } = buildCase(c);
      if (!builtOps.has(c.op))
        throw new Error(
          `case "${c.name}" declares ${c.op} but builds only ${[...builtOps].join(", ") || "nothing"}`,
        );
    }
  });
  test("case names are unique", () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });
});

afterAll(() => {
  if (!results.length) return;
  const byOp = new Map<string, { n: number; worst: number }>();
  for (const r of results) {
    const key = r.dtype === "float64" ? r.op : `${r.op} (float32)`;
    const e = byOp.get(key) ?? { n: 0, worst: 0 };
    e.n++;
    e.worst = Math.max(e.worst, r.worst);
    byOp.set(key, e);
  }
  const lines = [...byOp]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([op, e]) => `  ${op.padEnd(28)} ${String(e.n).padStart(3)} cases  worst ${e.worst.toExponential(1)}`,
    );
  console.error(
    `[gradcheck] ${results.length} cases; worst error (see test/support/gradcheck.ts) by op\n${lines.join("\n")}`,
  );
});
