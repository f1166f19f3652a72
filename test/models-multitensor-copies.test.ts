// Copies in one graph: a multitensor model of R copies trains each copy exactly as a one-copy model
// of that copy's seed would train alone (own initial weights, own noise, the loss summed so that each
// copy's gradient and Adam update are its own). Checked in float64 over 20 steps (two Loop runs): the
// summed loss, every copy's weights and moments, and the decoded candidates. A restart's fresh copies
// start from the weights of one-copy models of their seeds.
import { describe, expect, test } from "bun:test";
import { gridFromRows } from "../src/arc/grid.ts";
import type { Task } from "../src/arc/task.ts";
import { buildMultitensor, type MultitensorModel } from "../src/models/multitensor/index.ts";
import { Trainer, type TrainerState } from "../src/train/trainer.ts";
import { copySeed } from "../src/train/rng.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";
import { TASKS } from "./support/loss-fixtures.ts";

const SEED = 11;
const R = 3;

async function train(model: MultitensorModel, seed: number, steps: number[]) {
  const trainer = await Trainer.create(model.spec, {
    optim: DEFAULT_OPTIM,
    seed,
    cacheDir: false,
    session: { ep: "cpu", intraOpThreads: 1, optLevel: "basic" },
  });
  try {
    trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    const losses: number[] = [];
    for (const k of steps) losses.push(...(await trainer.step(k)));
    const out = await trainer.infer(undefined, { noise: "zeros" });
    const named = Object.fromEntries(
      model.outputNames.map((n) => [n, Float32Array.from(out[n]!.data as ArrayLike<number>)]),
    );
    return { losses, state: trainer.getState(), candidates: model.decode(named) };
  } finally {
    await trainer.release();
  }
}

/** Copy r's values of every named parameter (weights, moments) out of a trainer state. */
function copyValues(model: MultitensorModel, state: TrainerState, what: "params" | "m" | "v", r: number) {
  const flat = model.spec.params.flatMap((p) => Array.from(state[what][p.name]!));
  return new Map(
    model.paramEntries.map((e) => {
      const at = e.offset + r * e.copyStride;
      return [e.name, flat.slice(at, at + e.size)];
    }),
  );
}

const relNorm = (a: number[], b: number[]) =>
  Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0) / b.reduce((s, x) => s + x * x, 0));

const worstRel = (a: number[], b: number[]) =>
  Math.max(0, ...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(1e-8, Math.abs(b[i]!))));

describe("multitensor copies", () => {
  for (const name of ["recolour", "drop"] as const) {
    test(`${name}: ${R} copies in one graph train as ${R} one-copy models of their seeds (float64, 20 steps)`, async () => {
      const task = TASKS[name](gridFromRows as (rows: number[][]) => unknown) as Task;
      const many = buildMultitensor(task, { seed: SEED, dtype: "float64", copies: R });
      expect(many.copies).toBe(R);
      const together = await train(many, SEED, [10, 10]);
      const alone: ({ one: MultitensorModel } & Awaited<ReturnType<typeof train>>)[] = [];
      for (let r = 0; r < R; r++) {
        const one = buildMultitensor(task, { seed: copySeed(SEED, r), dtype: "float64" });
        alone.push({ one, ...(await train(one, copySeed(SEED, r), [10, 10])) });
      }
      // the summed loss, step by step
      const summed = together.losses.map((_, i) => alone.reduce((s, a) => s + a.losses[i]!, 0));
      expect(worstRel(together.losses, summed)).toBeLessThan(1e-9);
      // the copies differ from one another (own seeds), and each equals its one-copy model
      expect(worstRel(alone[0]!.losses, alone[1]!.losses)).toBeGreaterThan(1e-6);
      for (let r = 0; r < R; r++) {
        const a = alone[r]!;
        for (const what of ["params", "m", "v"] as const) {
          // relative difference of the whole vector (single values near zero differ at rounding level)
          const mine = [...copyValues(many, together.state, what, r).values()].flat();
          const theirs = [...copyValues(a.one, a.state, what, 0).values()].flat();
          const rel = relNorm(mine, theirs);
          expect({ copy: r, what, close: rel < 1e-8 }).toEqual({ copy: r, what, close: true });
        }
        const T = task.test.length;
        const mine = together.candidates.slice(r * T, (r + 1) * T);
        expect(mine.map((c) => c.grid)).toEqual(a.candidates.map((c) => c.grid));
        for (const [i, c] of mine.entries()) expect(c.score).toBeCloseTo(a.candidates[i]!.score, 4);
      }
    });
  }

  test("a restart's fresh copies start from the weights of one-copy models of their seeds", () => {
    const task = TASKS.recolour(gridFromRows as (rows: number[][]) => unknown) as Task;
    const many = buildMultitensor(task, { seed: SEED, dtype: "float64", copies: 2 });
    const fresh = many.initialParams(2);
    expect(fresh.seeds).toEqual([copySeed(SEED, 2), copySeed(SEED, 3)]);
    const state = Trainer.initialState({
      ...many.spec,
      params: many.spec.params.map((p, i) => ({ ...p, init: fresh.params[i]!.init })),
    });
    for (let r = 0; r < 2; r++) {
      const one = buildMultitensor(task, { seed: copySeed(SEED, 2 + r), dtype: "float64" });
      const mine = copyValues(many, state, "params", r);
      const theirs = copyValues(one, Trainer.initialState(one.spec), "params", 0);
      for (const [k, v] of theirs)
        expect({ k, same: worstRel(mine.get(k)!, v) === 0 }).toEqual({ k, same: true });
    }
  });

  test("the graph's node count grows little with the copies; the memory estimate grows with them", () => {
    const task = TASKS.recolour(gridFromRows as (rows: number[][]) => unknown) as Task;
    const one = buildMultitensor(task, { seed: 1 });
    const four = buildMultitensor(task, { seed: 1, copies: 4 });
    expect(four.forwardNodes).toBeLessThan(one.forwardNodes * 1.1);
    expect(four.memoryEstimateBytes).toBeGreaterThan(one.memoryEstimateBytes);
    expect(four.key).not.toBe(one.key);
  });
});
