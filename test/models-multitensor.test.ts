// The multitensor family on small hand-made tasks, with real graphs run by ONNX Runtime: building for
// every shape rule, forward output shapes, gradients (every parameter reached; float64 central
// differences), equivariance to exchanging x and y, decoding, and training an easy task to its answer.
import { describe, expect, test } from "bun:test";
import * as ort from "onnxruntime-node";
import { gradients } from "../src/autodiff/index.ts";
import { type Grid, gridFromRows, gridsEqual } from "../src/arc/grid.ts";
import type { Task } from "../src/arc/task.ts";
import { applyDihedral } from "../src/arc/dihedral.ts";
import * as G from "../src/graph/index.ts";
import { Graph, type Tensor, toModelBytes } from "../src/graph/index.ts";
import {
  chooseOutputFrame,
  frameAgreement,
  fromFrame,
  toFrame,
  NOISE,
  TRANSPOSE,
  buildMultitensor,
  memberFromName,
  multitensorFamily,
  OUTPUT,
  type MultitensorModel,
  shapeOf,
  transposed,
} from "../src/models/multitensor/index.ts";
import { registerSession } from "../src/runtime/registry.ts";
import { StreamCursor, fillNoise } from "../src/train/rng.ts";
import { gaussianNoise } from "../src/models/multitensor/latent.ts";
import { Trainer } from "../src/train/trainer.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";

// ---- tasks ---------------------------------------------------------------------------------------
const rows = (h: number, w: number, seed: number, colours: number[]): number[][] => {
  const rng = new StreamCursor(seed, 3);
  return Array.from({ length: h }, () => Array.from({ length: w }, () => colours[rng.int(colours.length)]!));
};
const recolour = (r: number[][]) => r.map((row) => row.map((v) => (v === 1 ? 2 : v)));
const transposeRows = (r: number[][]) => r[0]!.map((_, c) => r.map((row) => row[c]!));
const g = gridFromRows;

/** Outputs = inputs with 1 -> 2 (shape rule "input"). */
function recolourTask(): { task: Task; answer: Grid } {
  const sizes: [number, number][] = [
    [3, 3],
    [4, 4],
    [3, 5],
    [5, 4],
  ];
  const train = sizes.map(([h, w], i) => {
    const r = rows(h, w, i + 1, [0, 1, 3]);
    return { input: g(r), output: g(recolour(r)) };
  });
  const t = rows(4, 5, 99, [0, 1, 3]);
  return { task: { id: "recolour", train, test: [{ input: g(t) }] }, answer: g(recolour(t)) };
}

/** Outputs all 2x2 (rule "fixed"): the input's top-left corner. */
function cornerTask(): Task {
  const corner = (r: number[][]) => r.slice(0, 2).map((row) => row.slice(0, 2));
  const ins = [rows(3, 4, 11, [0, 4, 5]), rows(5, 3, 12, [0, 4, 5]), rows(4, 4, 13, [0, 4])];
  return {
    id: "corner",
    train: ins.map((r) => ({ input: g(r), output: g(corner(r)) })),
    test: [{ input: g(rows(3, 3, 14, [0, 5])) }, { input: g(rows(4, 2, 15, [0, 4, 5])) }],
  };
}

/** Output = input's first row (rule "learned": the output shapes vary and differ from the inputs). */
function firstRowTask(): Task {
  const ins = [rows(2, 3, 21, [0, 6, 7]), rows(3, 4, 22, [0, 6]), rows(2, 2, 23, [0, 7])];
  return {
    id: "first-row",
    train: ins.map((r) => ({ input: g(r), output: g(r.slice(0, 1)) })),
    test: [{ input: g(rows(3, 3, 24, [0, 6, 7])) }],
  };
}

/** Output = input with a row of 8 below it (rule "learned", outputs larger than inputs: no crop offsets). */
function growTask(): Task {
  const grow = (r: number[][]) => [...r, r[0]!.map(() => 8)];
  const ins = [rows(2, 3, 31, [0, 6, 7]), rows(3, 4, 32, [0, 6]), rows(2, 2, 33, [0, 7])];
  return {
    id: "grow",
    train: ins.map((r) => ({ input: g(r), output: g(grow(r)) })),
    test: [{ input: g(rows(3, 3, 34, [0, 6, 7])) }],
  };
}

const transposeTask = (t: Task): Task => ({
  id: `${t.id}-T`,
  train: t.train.map((p) => ({
    input: g(transposeRows(toRows(p.input))),
    output: g(transposeRows(toRows(p.output))),
  })),
  test: t.test.map((p) => ({ input: g(transposeRows(toRows(p.input))) })),
});
function toRows(grid: Grid): number[][] {
  return Array.from({ length: grid.height }, (_, r) =>
    Array.from(grid.cells.subarray(r * grid.width, (r + 1) * grid.width)),
  );
}

// ---- running graphs ------------------------------------------------------------------------------
type Arr = Float32Array | Float64Array;

async function session(graph: Graph, level: "basic" | "extended" = "basic") {
  const s = await ort.InferenceSession.create(toModelBytes(graph), {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    graphOptimizationLevel: level,
  });
  registerSession(s, "models-multitensor", "cpu");
  return s;
}

const tensorOf = (dtype: "float32" | "float64", data: ArrayLike<number>, shape: number[]) =>
  new ort.Tensor(dtype, dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data), shape);

/** The noise input (uniform [0, 1) pairs, turned into normals in the graph) from a seeded stream; `scale` < 1 keeps it near the mean. */
function noiseOf(model: MultitensorModel, seed: number, scale = 1): Record<string, Float64Array> {
  const rng = new StreamCursor(seed, 5);
  const n = model.spec.noise![0]!;
  const half = n.shape.reduce((a, b) => a * b, 1) / 2;
  // u0 near 1 - exp(-scale^2 / 2) keeps the radius sqrt(-2 ln(1 - u0)) around `scale`
  const data = Float64Array.from({ length: 2 * half }, (_, i) =>
    i < half ? 1 - Math.exp(-(scale * scale * (0.5 + rng.uniform())) / 2) : rng.uniform(),
  );
  return { [n.name]: data };
}

/** All parameters of the spec, concatenated in spec order (the layout of model.paramEntries). */
const initialVector = (model: MultitensorModel): Float64Array =>
  Float64Array.from(model.spec.params.flatMap((p) => Array.from(p.init)));
const vectorLength = (model: MultitensorModel): number =>
  model.spec.params.reduce((s, p) => s + p.init.length, 0);

/** A graph with the model's forward in "train" (loss and its gradient, concatenated) or "infer" mode. */
function forwardGraph(model: MultitensorModel, mode: "train" | "infer"): { graph: Graph; names: string[] } {
  const spec = model.spec;
  const dtype = spec.dtype ?? "float32";
  const graph = new Graph(`mt_${mode}`);
  const params = spec.params.map((p) => graph.input(p.name, dtype, p.shape));
  const batch = Object.fromEntries(spec.batch.map((b) => [b.name, graph.input(b.name, b.dtype, b.shape)]));
  const noise = Object.fromEntries(spec.noise!.map((n) => [n.name, graph.input(n.name, dtype, n.shape)]));
  const r = spec.forward(
    graph,
    Object.fromEntries(spec.params.map((p, i) => [p.name, params[i]!])),
    batch,
    noise,
    mode,
  );
  if (mode === "train") {
    const grads = gradients(r.loss!, params);
    graph.output(r.loss!, "loss");
    graph.output(
      G.concat(
        grads.map((gr) => G.reshape(gr, [-1])),
        0,
      ),
      "grad",
    );
    return { graph, names: ["loss", "grad"] };
  }
  for (const [name, t] of Object.entries(r.outputs!)) graph.output(t as Tensor, name);
  return { graph, names: Object.keys(r.outputs!) };
}

function feedsOf(
  model: MultitensorModel,
  vector: ArrayLike<number>,
  noise: Record<string, ArrayLike<number>>,
): Record<string, ort.Tensor> {
  const dtype = model.spec.dtype ?? "float32";
  const feeds: Record<string, ort.Tensor> = {};
  let at = 0;
  for (const p of model.spec.params) {
    feeds[p.name] = tensorOf(dtype, Array.prototype.slice.call(vector, at, at + p.init.length), p.shape);
    at += p.init.length;
  }
  for (const [k, f] of Object.entries(model.fixed)) feeds[k] = tensorOf(dtype, f.data as Arr, f.shape);
  for (const n of model.spec.noise!) feeds[n.name] = tensorOf(dtype, noise[n.name]!, n.shape);
  return feeds;
}

const asNumbers = (r: Record<string, ort.Tensor>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Arr]));

// ---- tests ---------------------------------------------------------------------------------------
describe("multitensor: building", () => {
  test("shape rules, sizes, colours, keys and outputs of three tasks", () => {
    const rec = buildMultitensor(recolourTask().task, { seed: 1 });
    expect(rec.layout.rule).toBe("input");
    expect(rec.layout.sizes).toEqual({ E: 5, C: 3, X: 5, Y: 5 });
    expect(rec.layout.colours).toEqual([0, 1, 2, 3]);
    expect(rec.layout.shapes[4]!.output).toEqual([4, 5]);
    expect(rec.outputNames).toEqual([OUTPUT.logits]);

    const cor = buildMultitensor(cornerTask(), { seed: 1 });
    expect(cor.layout.rule).toBe("fixed");
    expect(cor.layout.shapes.slice(3).map((s) => s.output)).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(cor.layout.sizes).toEqual({ E: 5, C: 2, X: 5, Y: 4 });

    const fr = buildMultitensor(firstRowTask(), { seed: 1 });
    expect(fr.layout.rule).toBe("learned");
    expect(fr.layout.shapes[3]!.output).toEqual([3, 3]); // every output fits inside its input: the test input bounds the answer
    expect(fr.layout.offsets).toBe(true); // outputs smaller than inputs: drawn in a window (crop.ts)
    expect(fr.outputNames).toEqual([OUTPUT.logits, OUTPUT.rows, OUTPUT.cols]);
    expect(cor.layout.offsets).toBe(true);
    expect(cor.outputNames).toEqual([OUTPUT.logits, OUTPUT.rows, OUTPUT.cols]);
    const gr = buildMultitensor(growTask(), { seed: 1 });
    expect([gr.layout.rule, gr.layout.offsets]).toEqual(["learned", false]);
    expect(gr.outputNames).toEqual([OUTPUT.logits, OUTPUT.height, OUTPUT.width]);

    // the key depends on sizes and configuration, not on the seed or the grids' contents
    expect(buildMultitensor(recolourTask().task, { seed: 2 }).key).toBe(rec.key);
    expect(buildMultitensor(recolourTask().task, { seed: 1, config: { blocks: 2 } }).key).not.toBe(rec.key);
    // same seed, same weights; another seed, other weights
    expect(initialVector(buildMultitensor(recolourTask().task, { seed: 1 }))).toEqual(initialVector(rec));
    expect(initialVector(buildMultitensor(recolourTask().task, { seed: 2 }))).not.toEqual(initialVector(rec));
    expect(multitensorFamily.build(recolourTask().task, { seed: 1 }).family).toBe("multitensor");
    expect(rec.memoryEstimateBytes).toBeGreaterThan(250 * 2 ** 20);
    expect(rec.memoryEstimateBytes).toBeLessThan(400 * 2 ** 20);
  });

  test("a task needing shapes the member set cannot learn is refused", () => {
    expect(() =>
      buildMultitensor(firstRowTask(), { seed: 1, config: { members: ["C", "EC", "ECXY"] } }),
    ).toThrow(/EX and EY/);
    expect(() =>
      buildMultitensor(recolourTask().task, { seed: 1, config: { members: ["EC", "EXY"] } }),
    ).toThrow(/ECXY/);
  });
});

describe("multitensor: forward and decode", () => {
  for (const [name, make] of [
    ["input", () => recolourTask().task],
    ["fixed", cornerTask],
    ["learned", firstRowTask],
    ["learned", growTask],
  ] as const) {
    test(`forward outputs and decoded grids (rule ${name}, ${make().id})`, async () => {
      const task = make();
      const model = buildMultitensor(task, { seed: 3 });
      const { graph } = forwardGraph(model, "infer");
      const s = await session(graph);
      const out = asNumbers(await s.run(feedsOf(model, initialVector(model), noiseOf(model, 1))));
      const { X, Y } = model.layout.sizes;
      const K = model.layout.colours.length;
      expect(out[OUTPUT.logits]!.length).toBe(task.test.length * K * X * Y);
      expect(Number.isFinite(out[OUTPUT.kl]![0]!)).toBe(true);
      expect(out[OUTPUT.reconstruction]![0]!).toBeGreaterThan(0);
      if (model.layout.offsets) {
        expect(out[OUTPUT.rows]!.length).toBe(task.test.length * X);
        expect(out[OUTPUT.cols]!.length).toBe(task.test.length * Y);
      } else if (name === "learned") {
        expect(out[OUTPUT.height]!.length).toBe(task.test.length * X);
        // log-probabilities over the lengths: they sum to one
        const p = Array.from(out[OUTPUT.height]!.subarray(0, X)).reduce((a, b) => a + Math.exp(b), 0);
        expect(p).toBeCloseTo(1, 5);
      }
      const cands = model.decode(out as Record<string, Float32Array>);
      expect(cands.length).toBe(task.test.length);
      cands.forEach((c, i) => {
        const expected = model.layout.shapes[model.layout.nTrain + i]!.output;
        if (name !== "learned") expect([c.grid.height, c.grid.width]).toEqual(expected);
        else expect(c.grid.height * c.grid.width).toBeGreaterThan(0);
        expect(c.grid.cells.length).toBe(c.grid.height * c.grid.width);
        for (const v of c.grid.cells) expect(model.layout.colours).toContain(v);
        expect(Number.isFinite(c.score)).toBe(true);
      });
    });
  }

  test("decode picks argmax colours, the learned shape and scores by mean uncertainty", () => {
    const model = buildMultitensor(growTask(), { seed: 1 });
    const { X, Y } = model.layout.sizes;
    const K = model.layout.colours.length;
    const logits = new Float32Array(K * X * Y);
    // colour index 2 everywhere, certain (logit 50 vs 0)
    for (let i = 0; i < X * Y; i++) logits[2 * X * Y + i] = 50;
    const height = new Float32Array(X).fill(-10);
    height[0] = -0.1; // height 1
    const width = new Float32Array(Y).fill(-10);
    width[2] = -0.2; // width 3
    const [c] = model.decode({ [OUTPUT.logits]: logits, [OUTPUT.height]: height, [OUTPUT.width]: width });
    expect([c!.grid.height, c!.grid.width]).toEqual([1, 3]);
    expect(Array.from(c!.grid.cells)).toEqual([
      model.layout.colours[2]!,
      model.layout.colours[2]!,
      model.layout.colours[2]!,
    ]);
    expect(c!.score).toBeCloseTo(-0.3, 5);
  });

  test("with crop offsets, decode reads the most likely window of the test region", () => {
    const model = buildMultitensor(firstRowTask(), { seed: 1 });
    const { X, Y } = model.layout.sizes;
    const K = model.layout.colours.length;
    const logits = new Float32Array(K * X * Y);
    for (let i = 0; i < X * Y; i++) logits[(1 + (i % 2)) * X * Y + i] = 50; // colour index 1 or 2 by cell parity
    // rows: only row 1 inside; columns: 1 and 2 inside (large values: the window is certain)
    const rowsV = new Float32Array(X).fill(-20);
    rowsV[1] = 20;
    const colsV = new Float32Array(Y).fill(-20);
    colsV[1] = 20;
    colsV[2] = 20;
    const [c] = model.decode({ [OUTPUT.logits]: logits, [OUTPUT.rows]: rowsV, [OUTPUT.cols]: colsV });
    expect([c!.grid.height, c!.grid.width]).toEqual([1, 2]);
    const colourAt = (x: number, y: number) => model.layout.colours[1 + ((x * Y + y) % 2)]!;
    expect(Array.from(c!.grid.cells)).toEqual([colourAt(1, 1), colourAt(1, 2)]);
    expect(c!.score).toBeCloseTo(0, 3);
  });
});

describe("multitensor: noise", () => {
  test("uniform pairs become standard normal noise in the graph", async () => {
    const graph = new Graph("noise");
    const u = graph.input("u", "float32", [1, 2, 4, 5000]);
    graph.output(gaussianNoise(u), "z");
    const s = await session(graph);
    const data = new Float32Array(2 * 4 * 5000);
    fillNoise(data, 3, 7, 0, "uniform");
    const z = (await s.run({ u: new ort.Tensor("float32", data, [1, 2, 4, 5000]) })).z!.data as Float32Array;
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    const kurtosis = z.reduce((a, b) => a + (b - mean) ** 4, 0) / z.length / variance ** 2;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.15);
    // zero noise (the inference default) gives exactly zero
    const zero = (
      await s.run({ u: new ort.Tensor("float32", new Float32Array(data.length), [1, 2, 4, 5000]) })
    ).z!.data as Float32Array;
    expect(zero.every((v) => v === 0)).toBe(true);
  });
});

describe("multitensor: gradients", () => {
  test("every parameter gets a gradient; float64 central differences agree", async () => {
    const model = buildMultitensor(firstRowTask(), { seed: 4, dtype: "float64", config: { blocks: 2 } });
    const { graph } = forwardGraph(model, "train");
    const s = await session(graph);
    const w0 = initialVector(model);
    // perturb the initial weights so the zero-initialised ones are off their special point
    const rng = new StreamCursor(17, 1);
    for (let i = 0; i < w0.length; i++) w0[i] = w0[i]! + 0.05 * rng.normal();
    const noise = noiseOf(model, 2, 0.5);
    const run = async (w: Float64Array) => asNumbers(await s.run(feedsOf(model, w, noise)));
    const base = await run(w0);
    const grad = base.grad!;
    for (const e of model.paramEntries) {
      let norm = 0;
      for (let i = e.offset; i < e.offset + e.size; i++) norm += grad[i]! ** 2;
      expect({ name: e.name, reached: norm > 0 }).toEqual({ name: e.name, reached: true });
    }
    const lossAt = async (w: Float64Array) => (await run(w)).loss![0]!;
    // directional derivatives along random directions, and single coordinates of several kinds
    const h = 1e-6;
    const check = async (dir: Float64Array) => {
      const plus = Float64Array.from(w0, (v, i) => v + h * dir[i]!);
      const minus = Float64Array.from(w0, (v, i) => v - h * dir[i]!);
      const numeric = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * h);
      let analytic = 0;
      for (let i = 0; i < dir.length; i++) analytic += grad[i]! * dir[i]!;
      return { numeric, analytic, rel: Math.abs(numeric - analytic) / Math.max(1e-6, Math.abs(analytic)) };
    };
    for (let k = 0; k < 2; k++) {
      const dir = Float64Array.from(w0, () => rng.normal());
      expect((await check(dir)).rel).toBeLessThan(1e-5);
    }
    for (const prefix of [
      "latent_mean",
      "latent_capacity",
      "latent_level",
      "latent_EX_decode",
      "b0_shareup_in8_EDXY",
      "b0_shareup_in_EX",
      "b1_sharedown_in_ECXY",
      "b1_directional_in_EDXY",
      "b1_mix_EDX",
      "b0_softmax_out_EXY",
      "head_size",
      "head_colour_bias",
    ]) {
      const e = model.paramEntries.find((p) => p.name === prefix)!;
      const dir = new Float64Array(w0.length);
      for (let i = e.offset; i < e.offset + e.size; i++) dir[i] = rng.normal();
      const r = await check(dir);
      expect({ prefix, ok: r.rel < 1e-5 }).toEqual({ prefix, ok: true });
    }
  });
});

/** A's latent tensor [latent, cells of A] rearranged for B: each member's cells from A's transposed partner. */
function transposeLatent(a: MultitensorModel, b: MultitensorModel, data: ArrayLike<number>): Float64Array {
  const dz = a.config.latent;
  const la = a.latentSegments.reduce((s, x) => s + x.cells, 0);
  const lb = b.latentSegments.reduce((s, x) => s + x.cells, 0);
  expect(lb).toBe(la);
  const out = new Float64Array(dz * lb);
  for (const sb of b.latentSegments) {
    const sa = a.latentSegments.find((x) => x.member === transposed(memberFromName(sb.member)))!;
    for (let k = 0; k < dz; k++) {
      const row = Array.from({ length: sa.cells }, (_, i) => data[k * la + sa.offset + i]!);
      out.set(transposeCells(a, sb.member, row), k * lb + sb.offset);
    }
  }
  return out;
}

/** A's weights rearranged for the x/y-transposed task B: latents transposed, the rest equal. */
function transposeWeights(a: MultitensorModel, b: MultitensorModel, wa: ArrayLike<number>): Float64Array {
  const out = new Float64Array(vectorLength(b));
  const byName = new Map(a.paramEntries.map((e) => [e.name, e]));
  for (const e of b.paramEntries) {
    const src = byName.get(e.name)!;
    expect(src.size).toBe(e.size);
    const data = Array.from({ length: src.size }, (_, i) => wa[src.offset + i]!);
    out.set(
      e.name === "latent_mean" || e.name === "latent_capacity" ? transposeLatent(a, b, data) : data,
      e.offset,
    );
  }
  return out;
}

/** Values laid out [channels, D, E, C, X, Y] for A's member transposed(nameB) -> B's member nameB. */
function transposeCells(a: MultitensorModel, nameB: string, data: ArrayLike<number>): Float64Array {
  const mA = memberFromName(transposed(memberFromName(nameB)));
  const [, D, E, C, X, Y] = shapeOf(mA, a.layout.sizes, 1) as number[];
  const ch = data.length / (D! * E! * C! * X! * Y!);
  const out = new Float64Array(data.length);
  for (let k = 0; k < ch; k++)
    for (let d = 0; d < D!; d++)
      for (let e = 0; e < E!; e++)
        for (let c = 0; c < C!; c++)
          for (let x = 0; x < X!; x++)
            for (let y = 0; y < Y!; y++) {
              const dB = D === 1 ? 0 : TRANSPOSE[d]!;
              const from = ((((k * D! + d) * E! + e) * C! + c) * X! + x) * Y! + y;
              const to = ((((k * D! + dB) * E! + e) * C! + c) * Y! + y) * X! + x; // B: X_B = Y_A, Y_B = X_A
              out[to] = data[from]!;
            }
  return out;
}

describe("multitensor: equivariance", () => {
  test("exchanging x and y of the task exchanges them in the outputs (same weights)", async () => {
    const taskA = firstRowTask();
    const a = buildMultitensor(taskA, { seed: 6, dtype: "float64", config: { blocks: 2 } });
    const b = buildMultitensor(transposeTask(taskA), { seed: 6, dtype: "float64", config: { blocks: 2 } });
    expect(b.layout.sizes).toEqual({ ...a.layout.sizes, X: a.layout.sizes.Y, Y: a.layout.sizes.X });
    const rng = new StreamCursor(8, 2);
    const wa = initialVector(a).map((v) => v + 0.05 * rng.normal());
    const na = noiseOf(a, 3, 0.5);
    const half = na[NOISE]!.length / 2;
    const nb = {
      [NOISE]: Float64Array.from([
        ...transposeLatent(a, b, na[NOISE]!.subarray(0, half)),
        ...transposeLatent(a, b, na[NOISE]!.subarray(half)),
      ]),
    };
    const outA = asNumbers(await (await session(forwardGraph(a, "infer").graph)).run(feedsOf(a, wa, na)));
    const outB = asNumbers(
      await (await session(forwardGraph(b, "infer").graph)).run(feedsOf(b, transposeWeights(a, b, wa), nb)),
    );
    expect(outB[OUTPUT.kl]![0]!).toBeCloseTo(outA[OUTPUT.kl]![0]!, 6);
    expect(outB[OUTPUT.reconstruction]![0]!).toBeCloseTo(outA[OUTPUT.reconstruction]![0]!, 6);
    const { X, Y } = a.layout.sizes;
    const K = a.layout.colours.length;
    let worst = 0;
    for (let k = 0; k < K; k++)
      for (let x = 0; x < X; x++)
        for (let y = 0; y < Y; y++)
          worst = Math.max(
            worst,
            Math.abs(outA[OUTPUT.logits]![(k * X + x) * Y + y]! - outB[OUTPUT.logits]![(k * Y + y) * X + x]!),
          );
    expect(worst).toBeLessThan(1e-8);
    // the row values of the transposed task are the column values of the task
    expect(Array.from(outB[OUTPUT.rows]!)).toEqual(
      Array.from(outA[OUTPUT.cols]!).map((v) => expect.closeTo(v, 8)) as unknown as number[],
    );
  });
});

describe("multitensor: training", () => {
  test("an easy recolouring task: the loss falls and the answer is found", async () => {
    const { task, answer } = recolourTask();
    const model = buildMultitensor(task, { seed: 0 });
    const tr = await Trainer.create(model.spec, {
      optim: DEFAULT_OPTIM,
      seed: 0,
      session: { ep: "cpu", intraOpThreads: 1 },
      cacheDir: false,
    });
    tr.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    const losses: number[] = [];
    let solvedAt = -1;
    for (let chunk = 0; chunk < 6 && solvedAt < 0; chunk++) {
      const l = await tr.step(50);
      losses.push(...Array.from(l));
      const out = await tr.infer(undefined, { noise: "zeros" });
      const [c] = model.decode(asNumbers(out) as Record<string, Float32Array>);
      if (gridsEqual(c!.grid, answer)) solvedAt = tr.steps;
    }
    await tr.release();
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 10);
    expect(solvedAt).toBeGreaterThan(0);
    console.error(`[multitensor] recolour task solved after ${solvedAt} steps`);
  }, 60_000);
});

describe("multitensor: output frame", () => {
  const flipTask = (): Task => {
    const rng = new StreamCursor(3, 1);
    const grid = (h: number, w: number) =>
      gridFromRows(
        Array.from({ length: h }, () =>
          Array.from({ length: w }, () => (rng.uniform() < 0.4 ? 1 + Math.floor(rng.uniform() * 3) : 0)),
        ),
      );
    const pair = (h: number, w: number) => {
      const input = grid(h, w);
      return { input, output: applyDihedral("rot90", input) };
    };
    return { id: "rot90-task", train: [pair(3, 5), pair(4, 4), pair(5, 3)], test: [{ input: grid(4, 6) }] };
  };

  test("a task whose outputs are rotated inputs gets that rotation as its frame; plain tasks keep the identity", () => {
    const task = flipTask();
    // the frame maps outputs onto inputs: the inverse of the task's rotation
    expect(frameAgreement(task, "rot270")).toBe(1);
    expect(chooseOutputFrame(task)).toBe("rot270");
    expect(chooseOutputFrame(recolourTask().task)).toBe("id");
    // toFrame then fromFrame gives every output back exactly
    const framed = toFrame(task, "rot270");
    framed.train.forEach((p, i) => {
      expect(gridsEqual(p.output, task.train[i]!.input)).toBe(true);
      expect(gridsEqual(fromFrame("rot270", p.output), task.train[i]!.output)).toBe(true);
    });
  });

  test("the model trains in the frame and answers in the task's own orientation", async () => {
    const task = flipTask();
    const model = buildMultitensor(task, { seed: 0 });
    expect(model.frame).toBe("rot270");
    expect(model.layout.rule).toBe("input"); // in the frame every output has its input's shape
    const tr = await Trainer.create(model.spec, {
      optim: DEFAULT_OPTIM,
      seed: 0,
      session: { ep: "cpu", intraOpThreads: 1 },
      cacheDir: false,
    });
    tr.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    const answer = applyDihedral("rot90", task.test[0]!.input);
    let solvedAt = -1;
    for (let chunk = 0; chunk < 8 && solvedAt < 0; chunk++) {
      await tr.step(50);
      const [c] = model.decode(
        asNumbers(await tr.infer(undefined, { noise: "zeros" })) as Record<string, Float32Array>,
      );
      expect([c!.grid.height, c!.grid.width]).toEqual([6, 4]);
      if (gridsEqual(c!.grid, answer)) solvedAt = tr.steps;
    }
    await tr.release();
    expect(solvedAt).toBeGreaterThan(0);
    console.error(`[multitensor] rot90 task solved after ${solvedAt} steps`);
  }, 90_000);
});
