// Adam / AdamW graphs against the TypeScript reference (float64): weight decay of both kinds, bias
// correction, per-group and per-name settings, global-norm clipping, cosine warm-up schedule.
import { describe, expect, test } from "bun:test";
import * as G from "../src/graph/index.ts";
import { type OptimConfig, resolveSettings, scheduleFactor, scheduleFactorOps } from "../src/optim/index.ts";
import { createSession } from "../src/runtime/session.ts";
import { Trainer } from "../src/train/trainer.ts";
import { type RefConfig, type RefState, refAdamStep, refCosine } from "./support/adam-reference.ts";
import { LR, linearGrads, linearSpec } from "./support/models.ts";
import { StreamCursor } from "../src/train/rng.ts";
import * as ort from "onnxruntime-node";

const session = { ep: "cpu" as const, intraOpThreads: 1 };

function batches(K: number, seed: number) {
  const rng = new StreamCursor(seed, 9);
  const x = Float64Array.from({ length: K * LR.n * LR.i }, () => rng.normal());
  const t = Float64Array.from({ length: K * LR.n * LR.o }, () => rng.normal() * 3);
  return { x, t };
}

function refSettings(cfg: OptimConfig): RefConfig["settings"] {
  return { w: resolveSettings(cfg, "w"), b: resolveSettings(cfg, "b", "bias") };
}

/** Run K reference steps on per-step batches; returns the losses and gradient norms. */
function runReference(cfg: RefConfig, s: RefState, K: number, data: { x: Float64Array; t: Float64Array }) {
  const losses: number[] = [];
  const norms: number[] = [];
  for (let k = 0; k < K; k++) {
    const x = data.x.subarray(k * LR.n * LR.i, (k + 1) * LR.n * LR.i);
    const t = data.t.subarray(k * LR.n * LR.o, (k + 1) * LR.n * LR.o);
    const { loss, grads } = linearGrads(s.params.w!, s.params.b!, x, t);
    losses.push(loss);
    norms.push(refAdamStep(cfg, s, grads));
  }
  return { losses, norms };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / Math.max(1e-6, Math.abs(expected[i]!));
    worst = Math.max(worst, e);
  }
  if (process.env.SHOW_WORST) console.error("worst", worst);
  expect(worst).toBeLessThan(tol);
}

async function compare(cfg: OptimConfig, ref: RefConfig, K: number, mode: "one" | "loop") {
  const spec = linearSpec();
  const tr = await Trainer.create(spec, { optim: cfg, session, cacheDir: false });
  const s0 = tr.getState();
  const refState: RefState = {
    step: 0,
    params: { w: Float64Array.from(s0.params.w!), b: Float64Array.from(s0.params.b!) },
    m: { w: new Float64Array(12), b: new Float64Array(4) },
    v: { w: new Float64Array(12), b: new Float64Array(4) },
  };
  const data = batches(K, K);
  const r = runReference(ref, refState, K, data);
  const losses = await tr.step(K, data, { oneStep: mode === "one" });
  const st = tr.getState();
  expect(st.step).toBe(K);
  expectClose(losses, r.losses, 1e-12);
  for (const n of ["w", "b"]) {
    expectClose(st.params[n]!, refState.params[n]!, 1e-12);
    expectClose(st.m[n]!, refState.m[n]!, 1e-12);
    expectClose(st.v[n]!, refState.v[n]!, 1e-12);
  }
  await tr.release();
  return r;
}

describe("Adam/AdamW graph vs TypeScript reference (float64)", () => {
  test("AdamW: decoupled weight decay, per-group lr/decay, betas, eps, bias correction (6 one-step runs)", async () => {
    const cfg: OptimConfig = {
      kind: "adamw",
      lr: 0.05,
      betas: [0.8, 0.95],
      eps: 1e-6,
      weightDecay: 0.1,
      groups: [{ tag: "bias", lr: 0.02, weightDecay: 0 }],
    };
    expect(refSettings(cfg).b).toEqual({ lr: 0.02, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0 });
    await compare(cfg, { kind: "adamw", settings: refSettings(cfg) }, 6, "one");
  });

  test("Adam: L2 weight decay, clipping active, cosine warm-up schedule past its end (Loop, 9 steps)", async () => {
    const cfg: OptimConfig = {
      kind: "adam",
      lr: 0.1,
      weightDecay: 0.05,
      clipNorm: 0.5,
      schedule: { kind: "cosine", warmupSteps: 3, totalSteps: 7, minFactor: 0.1 },
    };
    const r = await compare(
      cfg,
      { kind: "adam", clipNorm: 0.5, factor: refCosine(3, 7, 0.1), settings: refSettings(cfg) },
      9,
      "loop",
    );
    expect(r.norms.filter((n) => n > 0.5).length).toBeGreaterThan(5); // clipping really did something
  });

  test("Adam defaults with a per-name group and constant warm-up (Loop, 5 steps)", async () => {
    const cfg: OptimConfig = {
      kind: "adam",
      groups: [{ names: ["w"], lr: 0.1 }],
      schedule: { kind: "constant", warmupSteps: 2 },
    };
    const s = refSettings(cfg);
    expect(s.w.lr).toBe(0.1);
    expect(s.b).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    await compare(cfg, { kind: "adam", factor: (t) => (t < 2 ? (t + 1) / 2 : 1), settings: s }, 5, "loop");
  });

  test("AdamW with clipping and schedule: one-step runs equal the reference too", async () => {
    const cfg: OptimConfig = {
      kind: "adamw",
      lr: 0.03,
      clipNorm: 1,
      schedule: { kind: "cosine", warmupSteps: 2, totalSteps: 5 },
    };
    await compare(
      cfg,
      { kind: "adamw", clipNorm: 1, factor: refCosine(2, 5, 0), settings: refSettings(cfg) },
      6,
      "one",
    );
  });
});

describe("settings and schedules", () => {
  test("group precedence: defaults < config < tag < name", () => {
    const cfg: OptimConfig = {
      kind: "adamw",
      lr: 0.01,
      groups: [
        { names: ["a"], lr: 3 },
        { tag: "t", lr: 2, weightDecay: 0 },
      ],
    };
    expect(resolveSettings(cfg, "x")).toEqual({
      lr: 0.01,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0.01,
    });
    expect(resolveSettings(cfg, "y", "t").lr).toBe(2);
    expect(resolveSettings(cfg, "a", "t")).toMatchObject({ lr: 3, weightDecay: 0 });
  });

  test("cosine with warm-up: known points in TypeScript and the same factors from the graph", async () => {
    const s = { kind: "cosine", warmupSteps: 4, totalSteps: 12, minFactor: 0.2 } as const;
    expect([0, 1, 2, 3].map((t) => scheduleFactor(s, t))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(scheduleFactor(s, 4)).toBe(1);
    expect(scheduleFactor(s, 8)).toBeCloseTo(0.6, 12);
    expect(scheduleFactor(s, 12)).toBeCloseTo(0.2, 12);
    expect(scheduleFactor(s, 30)).toBeCloseTo(0.2, 12);
    const g = new G.Graph("sched");
    const step = g.input("step", "float64", []);
    g.output(scheduleFactorOps(s, step)!, "f");
    const sess = await createSession(G.toModelBytes(g), session);
    for (let t = 0; t < 16; t++) {
      const out = await sess.run({ step: new ort.Tensor("float64", Float64Array.of(t), []) });
      expect(out.f!.data[0] as number).toBeCloseTo(scheduleFactor(s, t), 14);
    }
  });
});
