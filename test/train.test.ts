// Training graphs: one-step runs vs one Loop run (bit-identical in float32), the inference graph vs a
// TypeScript forward, deterministic noise, checkpoints, and two toy models that must learn.
import { describe, expect, test } from "bun:test";
import { mlpSpec, mlpToyData, seqToyData, transformerBlockSpec } from "../src/models/toy.ts";
import { fillNoise } from "../src/train/rng.ts";
import { Trainer, type TrainerState } from "../src/train/trainer.ts";
import type { OptimConfig } from "../src/optim/index.ts";
import { noiseSpec } from "./support/models.ts";

const session = { ep: "cpu" as const, intraOpThreads: 1 };
const bits = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function expectSameState(a: TrainerState, b: TrainerState) {
  expect(a.step).toBe(b.step);
  for (const r of ["params", "m", "v"] as const) {
    for (const k of Object.keys(a[r])) expect(bits(a[r][k]!)).toEqual(bits(b[r][k]!));
  }
}

describe("one-step graph run K times == K-step Loop graph (float32, bit-identical)", () => {
  const optim: OptimConfig = {
    kind: "adamw",
    lr: 3e-3,
    clipNorm: 1,
    schedule: { kind: "cosine", warmupSteps: 3, totalSteps: 20 },
  };

  test("MLP, per-step batches stacked [K, ...]", async () => {
    const o = { inputs: 12, hidden: 32, classes: 5, batch: 16 };
    const K = 6;
    const data = mlpToyData(o, K * o.batch, 3);
    const a = await Trainer.create(mlpSpec(o), { optim, session, cacheDir: false });
    const b = await Trainer.create(mlpSpec(o), { optim, session, cacheDir: false });
    const la = await a.step(K, data, { oneStep: true });
    const lb = await b.step(K, data);
    expect(bits(la)).toEqual(bits(lb));
    expectSameState(a.getState(), b.getState());
    expect(a.stats.runs).toBe(K);
    expect(b.stats.runs).toBe(1);
  });

  test("transformer block, fixed batch fed once", async () => {
    const o = { d: 16, heads: 2, seq: 6, batch: 8, fixed: true };
    const K = 5;
    const data = seqToyData(o, o.batch, "reverse", 2);
    const a = await Trainer.create(transformerBlockSpec(o), { optim, session, cacheDir: false });
    const b = await Trainer.create(transformerBlockSpec(o), { optim, session, cacheDir: false });
    a.setBatch(data);
    b.setBatch(data);
    const la = await a.step(K, undefined, { oneStep: true });
    const lb = await b.step(K);
    expect(bits(la)).toEqual(bits(lb));
    expectSameState(a.getState(), b.getState());
  });

  test("noise: keyed by (seed, step), the same in one-step and Loop runs", async () => {
    const optim1: OptimConfig = { kind: "adam", lr: 0.1 };
    const a = await Trainer.create(noiseSpec(), { optim: optim1, session, cacheDir: false, seed: 42 });
    const b = await Trainer.create(noiseSpec(), { optim: optim1, session, cacheDir: false, seed: 42 });
    const c = await Trainer.create(noiseSpec(), { optim: optim1, session, cacheDir: false, seed: 43 });
    for (const t of [a, b, c]) t.setBatch({ scale: Float32Array.of(2) });
    const la = await a.step(4, undefined, { oneStep: true });
    const lb = await b.step(4);
    const lc = await c.step(4);
    expect(bits(la)).toEqual(bits(lb));
    expect(bits(lc)).not.toEqual(bits(la));
    // the inference graph sees the noise of the current step (4), or zeros on request
    const out = await a.infer();
    const z = new Float32Array(6);
    fillNoise(z, 42, 4, 0, "normal");
    expect(out.z_out!.data).toEqual(z);
    const u = new Float32Array(2);
    fillNoise(u, 42, 4, 1, "uniform");
    expect(out.u_out!.data).toEqual(u);
    expect(Array.from(u).every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from((await a.infer(undefined, { noise: "zeros" })).z_out!.data as Float32Array)).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
  });
});

describe("inference graph and checkpoints", () => {
  test("inference graph matches a TypeScript forward of the MLP (float64)", async () => {
    const o = { inputs: 5, hidden: 7, classes: 3, batch: 4, dtype: "float64" as const, fixed: true };
    const tr = await Trainer.create(mlpSpec(o), {
      optim: { kind: "adamw", lr: 0.01 },
      session,
      cacheDir: false,
    });
    const data = mlpToyData(o, o.batch, 5);
    tr.setBatch(data);
    await tr.step(3);
    const { params } = tr.getState();
    const out = await tr.infer();
    const x = data.x as Float64Array;
    const logits = out.logits!.data as Float64Array;
    expect(out.logits!.dims).toEqual([4, 3]);
    for (let r = 0; r < o.batch; r++) {
      const h = Array.from({ length: o.hidden }, (_, j) => {
        let s = params.b1![j]!;
        for (let i = 0; i < o.inputs; i++) s += x[r * o.inputs + i]! * params.w1![i * o.hidden + j]!;
        return Math.max(0, s);
      });
      for (let c = 0; c < o.classes; c++) {
        let s = params.b2![c]!;
        for (let j = 0; j < o.hidden; j++) s += h[j]! * params.w2![j * o.classes + c]!;
        expect(Math.abs(logits[r * o.classes + c]! - s)).toBeLessThan(1e-12);
      }
    }
  });

  test("getState/setState: a restored trainer continues bit-identically", async () => {
    const o = { inputs: 6, hidden: 8, classes: 3, batch: 8, fixed: true };
    const optim: OptimConfig = {
      kind: "adamw",
      lr: 0.01,
      schedule: { kind: "cosine", warmupSteps: 2, totalSteps: 10 },
    };
    const data = mlpToyData(o, o.batch, 8);
    const a = await Trainer.create(mlpSpec(o), { optim, session, cacheDir: false });
    a.setBatch(data);
    await a.step(4);
    const ckpt = a.getState();
    expect(ckpt.step).toBe(4);
    await a.step(3);
    const b = await Trainer.create(mlpSpec(o), { optim, session, cacheDir: false });
    b.setBatch(data);
    b.setState(ckpt);
    await b.step(3);
    expectSameState(a.getState(), b.getState());
    expect(() => b.setState({ ...ckpt, params: { ...ckpt.params, w1: new Float32Array(2) } })).toThrow(
      /w1 must have 48 values/,
    );
  });
});

describe("toy models learn", () => {
  test("MLP classifier reaches train accuracy 1.0", async () => {
    const o = { inputs: 16, hidden: 64, classes: 4, batch: 64, fixed: true };
    const tr = await Trainer.create(mlpSpec(o), {
      optim: { kind: "adamw", lr: 1e-2, weightDecay: 0 },
      session,
      cacheDir: false,
    });
    tr.setBatch(mlpToyData(o, o.batch, 11));
    const first = (await tr.step(50))[0]!;
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await tr.step(50))[49]!;
    const acc = (await tr.infer()).accuracy!.data[0];
    console.error(
      `[mlp] loss ${first.toFixed(3)} -> ${last.toExponential(2)} after ${tr.steps} steps, train accuracy ${acc}`,
    );
    expect(acc).toBe(1);
    expect(last).toBeLessThan(first / 100);
  });

  test("transformer block learns to reverse sequences (loss drops >= 100x)", async () => {
    const o = { d: 32, heads: 4, seq: 8, batch: 32, vocab: 8 };
    const K = 25;
    const optim: OptimConfig = {
      kind: "adamw",
      lr: 3e-3,
      weightDecay: 0.01,
      clipNorm: 1,
      groups: [
        { tag: "norm", weightDecay: 0 },
        { tag: "bias", weightDecay: 0 },
      ],
      schedule: { kind: "cosine", warmupSteps: 20, totalSteps: 600, minFactor: 0.1 },
    };
    const tr = await Trainer.create(transformerBlockSpec(o), { optim, session, cacheDir: false });
    let first = 0;
    let last = 0;
    for (let r = 0; r < 24; r++) {
      const losses = await tr.step(K, seqToyData(o, K * o.batch, "reverse", 100 + r));
      if (r === 0) first = losses[0]!;
      last = Array.from(losses.slice(-5)).reduce((a, b) => a + b, 0) / 5;
    }
    const held = seqToyData(o, o.batch, "reverse", 999);
    const acc = (await tr.infer(held)).accuracy!.data[0] as number;
    console.error(
      `[transformer] loss ${first.toFixed(3)} -> ${last.toFixed(4)} (${(first / last).toFixed(0)}x) in ${tr.steps} steps; held-out token accuracy ${acc.toFixed(3)}`,
    );
    expect(first / last).toBeGreaterThan(100);
    expect(acc).toBeGreaterThan(0.95);
  });
});
