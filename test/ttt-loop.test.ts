import { describe, expect, test } from "bun:test";
import { gridFromRows, gridKey, type Grid, type Task } from "../src/arc/index.ts";
import type { Candidate, TaskModel } from "../src/models/task-model.ts";
import type { TaskTrainer } from "../src/ttt/engine.ts";
import { planTask } from "../src/ttt/plan.ts";
import { subsampleLosses, trainTask } from "../src/ttt/solve-task.ts";

const task: Task = {
  id: "t",
  train: [{ input: gridFromRows([[1]]), output: gridFromRows([[2]]) }],
  test: [{ input: gridFromRows([[1]]) }],
};
const cell = (v: number): Grid => gridFromRows([[v]]);

/** A trainer whose single output is the step count; `loss(step)` gives each step's loss. */
function fakeTrainer(o: { loss?: (step: number) => number; chunkSeconds?: number; clock?: { t: number }; failAt?: number } = {}) {
  let step = 0;
  const calls = { step: 0, infer: 0, released: false };
  const trainer: TaskTrainer = {
    async step(k) {
      calls.step++;
      if (o.failAt !== undefined && step + k >= o.failAt) throw new Error("session exploded");
      const out = Array.from({ length: k }, (_, i) => (o.loss ?? ((s) => 1 / s))(step + i + 1));
      step += k;
      if (o.clock) o.clock.t += o.chunkSeconds ?? 1;
      return out;
    },
    async infer() {
      calls.infer++;
      return { y: Float32Array.of(step) };
    },
    async release() {
      calls.released = true;
    },
  };
  return { trainer, calls };
}

/** A model whose answer is `pick(value of y)`; score -1. */
function fakeModel(pick: (y: number) => number, seen: number[] = []): TaskModel<unknown> {
  return {
    family: "fake",
    key: "fake",
    spec: {},
    fixed: {},
    outputNames: ["y"],
    memoryEstimateBytes: 1,
    decode(out): Candidate[] {
      const y = out.y![0]!;
      seen.push(y);
      return [{ grid: cell(pick(y)), score: -1 }];
    },
  };
}

describe("trainTask", () => {
  test("runs chunks up to the step budget, decoding the outputs and their EMA after each", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const { trainer, calls } = fakeTrainer();
    const seen: number[] = [];
    const chunks: number[] = [];
    const r = await trainTask(plan, fakeModel((y) => (y < 50 ? 1 : 2), seen), trainer, { onChunk: (c) => chunks.push(c.step) });
    expect(r.stop).toBe("steps");
    expect(r.steps).toBe(100);
    expect(r.losses).toHaveLength(100);
    expect(r.finalLoss).toBeCloseTo(1 / 100);
    expect(r.chunks).toBe(10);
    expect(chunks).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(calls.infer).toBe(10);
    // Current outputs every chunk, the EMA from the second chunk on (it lags behind the step count).
    expect(seen).toHaveLength(19);
    expect(seen[2]).toBeLessThan(20);
    expect(seen[2]).toBeGreaterThan(10);
    expect(r.answers[0]!.grids.map(gridKey)).toEqual([gridKey(cell(2)), gridKey(cell(1))]);
  });

  test("stops when the answers have been unchanged for `patience` steps", async () => {
    const plan = planTask(task, { seed: 0, steps: 1000, chunk: 10, patience: 40 });
    const { trainer } = fakeTrainer();
    const r = await trainTask(plan, fakeModel((y) => (y < 30 ? 1 : 3)), trainer);
    expect(r.stop).toBe("stable");
    expect(r.steps).toBeLessThan(1000);
    expect(r.answers[0]!.grids[0]).toEqual(cell(3));
  });

  test("stops before a chunk that would not end within the time limit", async () => {
    const clock = { t: 0 };
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const { trainer } = fakeTrainer({ clock, chunkSeconds: 1 });
    const r = await trainTask(plan, fakeModel(() => 1), trainer, { timeLimit: 3.5, now: () => clock.t });
    expect(r.stop).toBe("time");
    expect(r.steps).toBe(30);
    expect(r.seconds).toBe(3);
  });

  test("the first chunk always runs, even past the limit (the run's hard limit still holds)", async () => {
    const clock = { t: 0 };
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const r = await trainTask(plan, fakeModel(() => 1), fakeTrainer({ clock, chunkSeconds: 1 }).trainer, { timeLimit: 0, now: () => clock.t });
    expect([r.stop, r.steps, r.answers[0]!.grids.length]).toEqual(["time", 10, 1]);
  });

  test("a NaN loss stops the task with the answers from before it", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const { trainer, calls } = fakeTrainer({ loss: (s) => (s >= 25 ? NaN : 1) });
    const r = await trainTask(plan, fakeModel((y) => Math.round(y / 10)), trainer);
    expect(r.stop).toBe("nonfinite");
    expect(r.nonFiniteStep).toBe(25);
    expect(r.finalLoss).toBe(1);
    expect(calls.infer).toBe(2);
    expect(r.answers[0]!.grids.length).toBeGreaterThan(0);
    for (const g of r.answers[0]!.grids) expect(g.cells[0]).toBeLessThanOrEqual(2);
  });

  test("an Inf loss counts too", async () => {
    const plan = planTask(task, { seed: 0, steps: 20, chunk: 10, patience: 0 });
    const r = await trainTask(plan, fakeModel(() => 1), fakeTrainer({ loss: (s) => (s === 3 ? Infinity : 1) }).trainer);
    expect([r.stop, r.nonFiniteStep, r.answers[0]!.grids.length]).toEqual(["nonfinite", 3, 0]);
  });

  test("an error keeps the answers so far and is reported, not thrown", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const r = await trainTask(plan, fakeModel(() => 4), fakeTrainer({ failAt: 35 }).trainer);
    expect(r.stop).toBe("error");
    expect(r.error).toBe("session exploded");
    expect(r.steps).toBe(30);
    expect(r.answers[0]!.grids[0]).toEqual(cell(4));
  });
});

test("loss curves are subsampled to at most 200 points with the first and last steps", () => {
  const losses = Array.from({ length: 1000 }, (_, i) => i);
  losses[500] = NaN;
  const c = subsampleLosses(losses);
  expect(c.length).toBeLessThanOrEqual(200);
  expect(c[0]).toEqual([1, 0]);
  expect(c[c.length - 1]).toEqual([1000, 999]);
  expect(subsampleLosses([1, NaN])).toEqual([[1, 1], [2, null]]);
  expect(subsampleLosses([])).toEqual([]);
});
