// The reverse-mode driver: summing contributions, non-differentiable inputs, pruning, `stop`, naming,
// errors, and zeros for tensors the loss does not depend on.
import { describe, expect, test } from "bun:test";
import * as G from "../src/graph/index.ts";
import { Graph, type Node, type Tensor } from "../src/graph/index.ts";
import { customGradient, gradients } from "../src/autodiff/index.ts";
import { type Feed, cpuSession, runPlain } from "./support/ort.ts";
import { sgdLoopGraph, sgdReference } from "./support/sample-graphs.ts";

const X = [0.3, -0.7, 1.1, 0.05, -0.4, 0.9];
const f64 = (shape: number[], data: number[]): Feed => ({ dtype: "float64", shape, data });

/** Run `g` with its outputs as given, returning plain arrays by output name. */
async function run(g: Graph, feeds: Record<string, Feed>) {
  return runPlain(await cpuSession(G.toModelBytes(g), "driver-test"), feeds);
}
/** The nodes `fn` adds to `g`. */
function added(g: Graph, fn: () => void): Node[] {
  const before = g.nodes.length;
  fn();
  return g.nodes.slice(before);
}
const close = (a: number[], b: number[], tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (const [i, v] of a.entries())
    expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!)));
};

describe("autodiff driver", () => {
  test("a tensor used several times gets the sum of its contributions", async () => {
    const g = new Graph("twice");
    const x = g.input("x", "float64", [2, 3]);
    // loss = sum(x*x) + sum(tanh(x)) + sum(x): three consumers of x, one of them uses it twice
    const loss = G.add(G.add(G.reduceSum(G.mul(x, x)), G.reduceSum(G.tanh(x))), G.reduceSum(x));
    let dx!: Tensor;
    const nodes = added(g, () => ([dx] = gradients(loss, [x])));
    g.output(dx);
    // the four contributions are summed by one Sum node under x's own scope, its output named x_grad
    const sums = nodes.filter((n) => n.name.startsWith("x_Grad/"));
    expect(sums.map((n) => [n.opType, n.inputs.length, n.outputs[0]])).toEqual([["Sum", 4, "x_grad"]]);
    const r = await run(g, { x: f64([2, 3], X) });
    close(
      r.x_grad!.data,
      X.map((v) => 2 * v + (1 - Math.tanh(v) ** 2) + 1),
    );
  });

  test("Gather indices and Where conditions get no gradient; integer/bool producers are not walked", async () => {
    const g = new Graph("nondiff");
    const x = g.input("x", "float64", [2, 3]);
    const idx = g.input("idx", "int64", [2]);
    const cond = G.greater(x, 0); // computed from x, but bool: no gradient through it
    const pick = G.gather(x, G.argMax(x, 1), 1); // ArgMax: indices computed from x; pick is [2, 2]
    const loss = G.add(G.reduceSum(G.gather(G.where(cond, x, G.neg(x)), idx, 1)), G.reduceSum(pick));
    let dx!: Tensor;
    const nodes = added(g, () => ([dx] = gradients(loss, [x])));
    g.output(dx);
    const names = nodes.flatMap((n) => n.outputs);
    expect(names).not.toContain("idx_grad");
    expect(names.filter((n) => /^(Greater|ArgMax)_out.*_grad$/.test(n))).toEqual([]);
    expect(nodes.some((n) => /^(Greater|ArgMax)_Grad\//.test(n.name))).toBe(false);
    expect(() => gradients(loss, [idx])).toThrow(/not a float tensor/);
    // d/dx of sum(gather(|x|, [2,2,0], axis 1)) + sum(x[argmax])
    const r = await run(g, { x: f64([2, 3], X), idx: { dtype: "int64", shape: [2], data: [2, 0] } });
    const want = [
      [1, 0, 1],
      [1, 0, 1],
    ].flatMap((row, i) => row.map((c, j) => c * Math.sign(X[3 * i + j]!)));
    // argMax(x, 1) = [2, 2] (1.1 and 0.9), so gather(x, [2,2], axis 1) takes column 2 twice in each row
    want[2] += 2;
    want[5] += 2;
    close(r.x_grad!.data, want);
  });

  test("branches that do not reach the loss, or do not depend on wrt, emit no gradient nodes", () => {
    const g = new Graph("prune");
    const x = g.input("x", "float64", [3]);
    const c = g.input("c", "float64", [3]);
    const side = G.exp(x); // depends on x, not used by the loss
    g.output(g.node("Cosh", [side], [{ dtype: "float64", shape: [3] }])[0]!); // Cosh has no rule: pruned, so no error
    const constPart = G.sigmoid(c); // reaches the loss, but not from x
    const loss = G.reduceSum(G.mul(G.tanh(x), constPart));
    const nodes = added(g, () => gradients(loss, [x]));
    const grad = nodes.map((n) => n.name);
    expect(grad.some((n) => n.startsWith("Tanh_Grad/"))).toBe(true);
    expect(grad.filter((n) => /^(Exp|Sigmoid|Cosh)/.test(n))).toEqual([]);
    expect(
      nodes.flatMap((n) => n.outputs).filter((o) => /^(Exp|Sigmoid|Cosh)_out.*_grad$|^c_grad$/.test(o)),
    ).toEqual([]);
  });

  test("an op without a rule on a branch that does not reach the loss is not an error", () => {
    const g = new Graph("norule-side");
    const x = g.input("x", "float64", [3]);
    g.output(g.node("Cosh", [x], [{ dtype: "float64", shape: [3] }])[0]!);
    expect(() => gradients(G.reduceSum(G.tanh(x)), [x])).not.toThrow();
  });

  test("an op without a rule between wrt and the loss is a clear error naming the op and node", () => {
    const g = new Graph("norule");
    const x = g.input("x", "float64", [3]);
    const s = g.scope("block", () => g.node("Cosh", [x], [{ dtype: "float64", shape: [3] }])[0]!);
    expect(() => gradients(G.reduceSum(s), [x])).toThrow(
      "autodiff: no gradient rule for Cosh (node block/Cosh)",
    );
  });

  test("`stop` treats a tensor as a constant", async () => {
    const g = new Graph("stop");
    const x = g.input("x", "float64", [2, 3]);
    const t = G.tanh(x);
    const loss = G.reduceSum(G.mul(t, x)); // d/dx = tanh(x) + x (1 - tanh^2); with t stopped: tanh(x)
    const [free] = gradients(loss, [x]);
    const [stopped] = gradients(loss, [x], { stop: [t] });
    g.output(free!, "free");
    g.output(stopped!, "stopped");
    const r = await run(g, { x: f64([2, 3], X) });
    close(
      r.free!.data,
      X.map((v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2)),
    );
    close(r.stopped!.data, X.map(Math.tanh));
  });

  test("gradients are named <tensor>_grad; helper nodes live under <node>_Grad/ or <tensor>_Grad/", () => {
    const g = new Graph("names");
    const x = g.input("x", "float64", [2, 3]);
    const w = g.input("w", "float64", [3, 4]);
    const h = G.matmul(x, w);
    const loss = G.reduceSum(G.mul(G.sigmoid(h), h));
    const forward = new Set(g.nodes.map((n) => n.name));
    const tensors = new Set(g.values.keys());
    let gx!: Tensor, gw!: Tensor;
    const nodes = added(g, () => ([gx, gw] = gradients(loss, [x, w])));
    expect(gx.name).toBe("x_grad");
    expect(gw.name).toBe("w_grad");
    expect(g.get(`${h.name}_grad`).shape).toEqual([2, 4]);
    for (const n of nodes) {
      const m = /^(.+?)_Grad\//.exec(n.name);
      const ok = m
        ? forward.has(m[1]!) || tensors.has(m[1]!)
        : n.opType === "Identity" && n.outputs[0]!.endsWith("_grad");
      if (!ok)
        throw new Error(
          `gradient node ${n.name} (${n.opType}) is not named <node>_Grad/... or <tensor>_grad`,
        );
    }
    expect(nodes.some((n) => n.name.startsWith("MatMul_Grad/"))).toBe(true);
    expect(nodes.some((n) => n.name.startsWith("Sigmoid_Grad/"))).toBe(true);
  });

  test("a wrt the loss does not depend on gets zeros of its shape, named <tensor>_grad", async () => {
    const g = new Graph("zeros");
    const x = g.input("x", "float64", [2, 3]);
    const unused = g.input("unused", "float64", [4, 1]);
    const s = g.input("s", "float64", []);
    const [dx, du, ds] = gradients(G.reduceSum(G.exp(x)), [x, unused, s]);
    expect(du!.name).toBe("unused_grad");
    expect(ds!.name).toBe("s_grad");
    expect(du!.shape).toEqual([4, 1]);
    for (const t of [dx!, du!, ds!]) g.output(t);
    const r = await run(g, { x: f64([2, 3], X), unused: f64([4, 1], [1, 2, 3, 4]), s: f64([], [5]) });
    expect(r.unused_grad).toEqual({ dims: [4, 1], data: [0, 0, 0, 0] });
    expect(r.s_grad).toEqual({ dims: [], data: [0] });
    close(r.x_grad!.data, X.map(Math.exp));
  });

  test("gradient with respect to an intermediate tensor, and a custom seed", async () => {
    const g = new Graph("inner");
    const x = g.input("x", "float64", [3]);
    const h = G.mul(x, 3);
    const loss = G.reduceSum(G.mul(h, h));
    const [dh, dx] = gradients(loss, [h, x], { seed: g.scalar(0.5, "float64") });
    g.output(dh!, "dh");
    g.output(dx!, "dx");
    const r = await run(g, { x: f64([3], [1, 2, -1]) });
    close(r.dh!.data, [3, 6, -3]); // 0.5 * 2h
    close(r.dx!.data, [9, 18, -9]); // 0.5 * 2h * 3
  });

  test("a custom rule gives its inputs their gradients; the nodes in between are not walked", async () => {
    const g = new Graph("custom");
    const x = g.input("x", "float64", [2, 3]);
    const e = G.exp(x);
    const total = G.reduceSum(e, [1], true);
    // softmax over axis 1 as a composite, with its rule dx = y (dy - sum(dy y))
    const y = customGradient(G.div(e, total), [x], (dy) => [
      G.mul(y, G.sub(dy, G.reduceSum(G.mul(dy, y), [1], true))),
    ]);
    const w = g.constant("float64", [2, 3], [1, -2, 0.5, 3, 0, -1]);
    // x also feeds the loss directly: that contribution is added to the custom one
    const loss = G.add(G.reduceSum(G.mul(y, w)), G.reduceSum(G.mul(x, x)));
    let dx!: Tensor;
    const nodes = added(g, () => ([dx] = gradients(loss, [x])));
    g.output(dx);
    const inside = [e, total].map((t) => `${g.producer.get(t.name)!.name}_Grad/`);
    expect(nodes.filter((n) => inside.some((p) => n.name.startsWith(p)))).toEqual([]);
    expect(() => customGradient(y, [x], () => [null])).toThrow(/already has a custom rule/);
    const r = await run(g, { x: f64([2, 3], X) });
    const W = [1, -2, 0.5, 3, 0, -1];
    const want = [0, 1].flatMap((row) => {
      const xs = X.slice(3 * row, 3 * row + 3);
      const ws = W.slice(3 * row, 3 * row + 3);
      const ex = xs.map(Math.exp);
      const ys = ex.map((v) => v / ex.reduce((a, b) => a + b, 0));
      const dot = ys.reduce((a, v, i) => a + v * ws[i]!, 0);
      return ys.map((v, i) => v * (ws[i]! - dot) + 2 * xs[i]!);
    });
    close(r.x_grad!.data, want);
  });

  test("the loss must be a float scalar", () => {
    const g = new Graph("bad");
    const x = g.input("x", "float64", [3]);
    expect(() => gradients(G.exp(x), [x])).toThrow(/loss must be a scalar/);
    expect(() => gradients(G.argMax(x, 0), [x])).toThrow(/loss must be a float tensor/);
  });
});

describe("gradients inside a Loop body", () => {
  // lr = 0.125 is exact in float32: ORT's "extended" optimiser folds a scalar Mul that follows a MatMul
  // into com.microsoft.FusedMatMul, whose alpha is a float32 attribute, so in a float64 graph lr = 0.1
  // would act as 0.1f (a 1.5e-8 relative change of every step).
  test("K steps of gradient descent in one Loop match plain arithmetic", async () => {
    const g = sgdLoopGraph(3, 0.125);
    const X = [1, 2, -1, 0.5, 0.3, -0.2, 2, 1];
    const Y = [1, 0, -1, 2];
    const w0 = [0.1, -0.3];
    const r = await run(g, { X: f64([4, 2], X), Y: f64([4, 1], Y), w0: f64([2, 1], w0) });
    const want = sgdReference(X, Y, w0, 3, 0.125);
    close(r.w!.data, want.w);
    close(r.losses!.data, want.losses);
  });
});
