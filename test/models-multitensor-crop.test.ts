// Crop offsets of the multitensor family (src/models/multitensor/crop.ts), run by ONNX Runtime against
// brute-force sums written out here: the colour likelihood of every window (the "skew" sums), the
// window log-probabilities for a known and a learned length, the best window at decode, and a crop task
// trained for real until the model draws the answer where the object is.
import { describe, expect, test } from "bun:test";
import * as ort from "onnxruntime-node";
import { gridFromRows, gridsEqual } from "../src/arc/grid.ts";
import type { Task } from "../src/arc/task.ts";
import { Graph, toModelBytes } from "../src/graph/index.ts";
import {
  bestWindow,
  buildMultitensor,
  layoutTask,
  windowLogProbs,
  windowNll,
} from "../src/models/multitensor/index.ts";
import type { Ctx } from "../src/models/multitensor/ops.ts";
import { registerSession } from "../src/runtime/registry.ts";
import { StreamCursor } from "../src/train/rng.ts";
import { Trainer } from "../src/train/trainer.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";

async function run(
  g: Graph,
  feeds: Record<string, [Float64Array, number[]]>,
  out: string,
): Promise<Float64Array> {
  const s = await ort.InferenceSession.create(toModelBytes(g), {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
  });
  registerSession(s, "models-multitensor-crop", "cpu");
  const r = await s.run(
    Object.fromEntries(
      Object.entries(feeds).map(([k, [d, shape]]) => [k, new ort.Tensor("float64", d, shape)]),
    ),
  );
  return Float64Array.from(r[out]!.data as Float64Array);
}

const random = (n: number, seed: number) => {
  const rng = new StreamCursor(seed, 1);
  return Float64Array.from({ length: n }, () => rng.uniform() * 4 - 2);
};

describe("crop offsets", () => {
  test.each([
    [3, 4, 5, 7, 2, 3],
    [2, 6, 6, 2, 1, 1],
    [4, 3, 3, 3, 3, 1],
  ])("window likelihood = brute force (K %i, region %ix%i, output %ix%i)", async (K, H, W, h, w) => {
    h = Math.min(h, H);
    const g = new Graph("crop-nll");
    const nll = g.input("nll", "float64", [K, H, W]);
    const hot = g.input("hot", "float64", [K, h, w]);
    g.output(windowNll(nll, hot, { e: 0, h, w, H, W }), "r");
    const nllData = random(K * H * W, K + H + W);
    const colours = Array.from({ length: h * w }, (_, i) => (i * 7 + 3) % K);
    const hotData = new Float64Array(K * h * w);
    colours.forEach((k, i) => {
      hotData[k * h * w + i] = 1;
    });
    const r = await run(g, { nll: [nllData, [K, H, W]], hot: [hotData, [K, h, w]] }, "r");
    const nx = H - h + 1;
    const ny = W - w + 1;
    expect(r.length).toBe(nx * ny);
    for (let ox = 0; ox < nx; ox++) {
      for (let oy = 0; oy < ny; oy++) {
        let sum = 0;
        for (let i = 0; i < h; i++)
          for (let j = 0; j < w; j++) sum += nllData[(colours[i * w + j]! * H + ox + i) * W + oy + j]!;
        expect(r[ox * ny + oy]!).toBeCloseTo(sum, 10);
      }
    }
  });

  test.each([false, true])("window log-probabilities = brute force (learned length: %p)", async (learned) => {
    const L = 7;
    const region = 6;
    const len = 2;
    const g = new Graph("crop-windows");
    const m = g.input("m", "float64", [L]);
    const ctx = { g, dtype: "float64" } as unknown as Ctx;
    g.output(windowLogProbs(ctx, m, region, len, learned), "lp");
    const mData = random(L, 5);
    const lp = await run(g, { m: [mData, [L]] }, "lp");
    // score of [o, o + n) = sum inside - sum outside (within the region), normalised over the allowed windows
    const score = (o: number, n: number) => {
      let s = 0;
      for (let i = 0; i < region; i++) s += i >= o && i < o + n ? mData[i]! : -mData[i]!;
      return s;
    };
    const allowed: number[] = [];
    for (let o = 0; o < region; o++)
      for (let n = 1; o + n <= region; n++) if (learned || n === len) allowed.push(score(o, n));
    const z = Math.log(allowed.reduce((a, s) => a + Math.exp(s), 0));
    expect(lp.length).toBe(region - len + 1);
    for (let o = 0; o + len <= region; o++) expect(lp[o]!).toBeCloseTo(score(o, len) - z, 10);
    // decode picks the most likely window with the same log-probability
    const best = bestWindow(mData, 0, region, learned ? null : len);
    let top = { o: -1, n: -1, s: -Infinity };
    for (let o = 0; o < region; o++)
      for (let n = 1; o + n <= region; n++)
        if ((learned || n === len) && score(o, n) > top.s) top = { o, n, s: score(o, n) };
    expect([best.offset, best.length]).toEqual([top.o, top.n]);
    expect(best.logp).toBeCloseTo(top.s - z, 10);
  });

  test("crop offsets are on only where an output is smaller than its input and the rule is not 'input'", () => {
    const g = gridFromRows;
    const same: Task = {
      id: "same",
      train: [
        {
          input: g([
            [1, 0],
            [0, 1],
          ]),
          output: g([
            [2, 0],
            [0, 2],
          ]),
        },
      ],
      test: [{ input: g([[1]]) }],
    };
    const bigger: Task = {
      id: "bigger",
      train: [
        { input: g([[1]]), output: g([[1, 1]]) },
        { input: g([[2]]), output: g([[2, 2]]) },
      ],
      test: [{ input: g([[3]]) }],
    };
    const smaller: Task = {
      id: "smaller",
      train: [
        {
          input: g([
            [1, 0],
            [0, 0],
          ]),
          output: g([[1]]),
        },
        {
          input: g([
            [0, 0],
            [0, 2],
          ]),
          output: g([[2]]),
        },
      ],
      test: [
        {
          input: g([
            [0, 3],
            [0, 0],
          ]),
        },
      ],
    };
    expect(layoutTask(same).offsets).toBe(false);
    expect(layoutTask(bigger).offsets).toBe(false);
    expect(layoutTask(smaller).offsets).toBe(true);
  });
});

/** Each input holds one small object in black; the output is the object cut out (rule "learned"). */
function cropTask(): { task: Task; answer: number[][] } {
  const rng = new StreamCursor(7, 2);
  const make = (H: number, W: number, h: number, w: number, r0: number, c0: number, colour: number) => {
    const obj = Array.from({ length: h }, () =>
      Array.from({ length: w }, () => (rng.uniform() < 0.75 ? colour : 0)),
    );
    for (let i = 0; i < h; i++) obj[i]![0] = colour;
    for (let j = 0; j < w; j++) obj[0]![j] = colour;
    obj[h - 1]![w - 1] = colour;
    const grid = Array.from({ length: H }, () => new Array<number>(W).fill(0));
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) grid[r0 + i]![c0 + j] = obj[i]![j]!;
    return { input: gridFromRows(grid), output: gridFromRows(obj) };
  };
  const train = [
    make(7, 7, 3, 2, 3, 1, 4),
    make(6, 7, 2, 3, 1, 3, 4),
    make(7, 6, 3, 3, 2, 2, 4),
    make(6, 6, 2, 2, 0, 1, 4),
  ];
  const test = make(7, 7, 3, 3, 1, 3, 4);
  return {
    task: { id: "crop", train, test: [{ input: test.input }] },
    answer: Array.from({ length: test.output.height }, (_, r) =>
      Array.from(test.output.cells.subarray(r * test.output.width, (r + 1) * test.output.width)),
    ),
  };
}

test("a crop task trains to its answer with crop offsets", async () => {
  const { task, answer } = cropTask();
  const model = buildMultitensor(task, { seed: 0 });
  expect(model.layout.offsets).toBe(true);
  const tr = await Trainer.create(model.spec, {
    optim: DEFAULT_OPTIM,
    session: { ep: "cpu", intraOpThreads: 1 },
    cacheDir: false,
  });
  try {
    tr.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    let solvedAt = -1;
    for (let step = 0; step < 600 && solvedAt < 0; step += 50) {
      await tr.step(50);
      const out = await tr.infer(undefined, { noise: "zeros" });
      const [c] = model.decode(
        Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])),
      );
      if (gridsEqual(c!.grid, gridFromRows(answer))) solvedAt = step + 50;
    }
    console.error(`[multitensor-crop] crop task solved after ${solvedAt} steps`);
    expect(solvedAt).toBeGreaterThan(0);
  } finally {
    await tr.release();
  }
}, 120_000);
