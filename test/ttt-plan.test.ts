import { describe, expect, test } from "bun:test";
import { gridFromRows, makeGrid, type Task } from "../src/arc/index.ts";
import { multitensorFamily } from "../src/models/multitensor/index.ts";
import {
  BASE_STEPS,
  TIME_LIMITED_STEPS_FACTOR,
  chooseChunk,
  defaultSteps,
  AUTO_COPIES,
  memoryProblem,
  planTask,
  planTasks,
  REFERENCE_COST,
  taskSeed,
  weightOf,
} from "../src/loop/plan.ts";

const task = (id: string, side: number, colours = 2, pairs = 3): Task => {
  const g = makeGrid(side, side);
  for (let c = 0; c < colours; c++) g.cells[c % g.cells.length] = c;
  return { id, train: Array.from({ length: pairs }, () => ({ input: g, output: g })), test: [{ input: g }] };
};

describe("planTask", () => {
  test("shapes, colours and same-shape from the visible grids", () => {
    const t: Task = {
      id: "x",
      train: [
        {
          input: gridFromRows([
            [1, 0],
            [0, 0],
          ]),
          output: gridFromRows([[2, 2, 2]]),
        },
      ],
      test: [{ input: gridFromRows([[5], [5], [5]]) }],
    };
    const p = planTask(t, { seed: 1 });
    expect(p.shapes).toEqual({ trainInputs: [[2, 2]], trainOutputs: [[1, 3]], testInputs: [[3, 1]] });
    expect([p.maxHeight, p.maxWidth]).toEqual([3, 3]);
    expect(p.colours).toEqual([0, 1, 2, 5]);
    expect(p.sameShape).toBe(false);
    expect(p.cost).toBe(2 * 4 * 3 * 3);
    expect([p.trainPairs, p.testInputs]).toEqual([1, 1]);
  });

  test("when time bounds the run the default step budget is larger (time is the limit); --steps stays exact", () => {
    const plain = planTask(task("s", 10, 4, 3), { seed: 0 });
    const timed = planTask(task("s", 10, 4, 3), { seed: 0, timeLimited: true });
    expect(timed.steps).toBeGreaterThanOrEqual(TIME_LIMITED_STEPS_FACTOR * plain.steps - timed.chunk);
    expect(timed.steps % timed.chunk).toBe(0);
    expect(timed.patience).toBe(Math.ceil(timed.steps / 4));
    expect(planTask(task("s", 10, 4, 3), { seed: 0, timeLimited: true, steps: 70 }).steps).toBe(70);
  });

  test("seeds: deterministic, from the run seed and the task id", () => {
    expect(planTask(task("a", 3), { seed: 7 }).seed).toBe(planTask(task("a", 3), { seed: 7 }).seed);
    expect(taskSeed(7, "a")).not.toBe(taskSeed(7, "b"));
    expect(taskSeed(7, "a")).not.toBe(taskSeed(8, "a"));
    expect(Number.isInteger(taskSeed(0, "a")) && taskSeed(0, "a") >= 0 && taskSeed(0, "a") < 2 ** 32).toBe(
      true,
    );
  });

  test("step budget scales with size, in whole chunks, within 0.75x..1.5x of the base", () => {
    const small = planTask(task("s", 3), { seed: 0 });
    const large = planTask(task("l", 30, 9, 5), { seed: 0 });
    expect(small.steps).toBeGreaterThanOrEqual(0.75 * BASE_STEPS);
    expect(large.steps).toBeLessThanOrEqual(1.5 * BASE_STEPS + large.chunk);
    expect(large.steps).toBeGreaterThan(small.steps);
    expect(small.steps % small.chunk).toBe(0);
    expect(large.steps % large.chunk).toBe(0);
    expect(large.chunk).toBeLessThanOrEqual(small.chunk);
    expect(defaultSteps(REFERENCE_COST)).toBe(BASE_STEPS);
  });

  test("--steps is exact; patience defaults to a quarter of it", () => {
    const p = planTask(task("a", 5), { seed: 0, steps: 30 });
    expect(p.steps).toBe(30);
    expect(30 % p.chunk).toBe(0);
    expect(p.patience).toBe(8);
    expect(planTask(task("a", 5), { seed: 0, steps: 30, patience: 0 }).patience).toBe(0);
    expect(planTask(task("a", 5), { seed: 0, steps: 7, chunk: 25 }).chunk).toBe(7);
  });

  test("weights grow with size and are clamped", () => {
    expect(weightOf(REFERENCE_COST)).toBe(1);
    expect(weightOf(1)).toBe(0.5);
    expect(weightOf(REFERENCE_COST * 1000)).toBe(4);
    expect(weightOf(4 * REFERENCE_COST)).toBe(2);
  });
});

test("chooseChunk prefers a divisor of the budget near the preferred size", () => {
  expect(chooseChunk(1000, 25)).toBe(25);
  expect(chooseChunk(30, 25)).toBe(15);
  expect(chooseChunk(31, 25)).toBe(25); // prime: a short last chunk
  expect(chooseChunk(10, 25)).toBe(10);
});

test("memory check: a clear skip message over the limit, none under it or without one", () => {
  expect(memoryProblem(3 * 2 ** 30, 2 * 2 ** 30)).toBe(
    "needs about 3.0 GiB, over --max-memory 2.0 GiB: skipped",
  );
  expect(memoryProblem(2 ** 30, 2 * 2 ** 30)).toBeUndefined();
  expect(memoryProblem(2 ** 40, undefined)).toBeUndefined();
});

test("default workers: one per CPU, as memory allows (~4 GiB each), at least 1, at most 16", async () => {
  const { defaultWorkers } = await import("../src/workers/pool.ts");
  expect(defaultWorkers(2, 23 * 2 ** 30)).toBe(2);
  expect(defaultWorkers(64, 64 * 2 ** 30)).toBe(12);
  expect(defaultWorkers(4, 4 * 2 ** 30)).toBe(1);
  expect(defaultWorkers(128, 2 ** 40)).toBe(16);
});

describe("copies per task", () => {
  test("auto: by cost when time bounds the run (several for small tasks, one for large), one otherwise", () => {
    const small = task("s", 3); // 4 examples x 2 colours x 3 x 3
    const medium = task("m", 8, 3); // 4 x 3 x 8 x 8
    const large = task("l", 20, 4);
    expect(AUTO_COPIES.map(([cost]) => cost)).toEqual([REFERENCE_COST / 4, REFERENCE_COST]);
    expect([small, medium, large].map((t) => planTask(t, { seed: 0, timeLimited: true }).copies)).toEqual([
      4, 2, 1,
    ]);
    expect(planTask(small, { seed: 0, timeLimited: true }).copies).toBe(4);
    expect(planTask(small, { seed: 0 }).copies).toBe(1);
    expect(planTask(large, { seed: 0, copies: 3 }).copies).toBe(3);
    expect(planTask(small, { seed: 0, timeLimited: true, copies: "auto" }).restarts).toBe(false);
    expect(planTask(small, { seed: 0, restarts: true }).restarts).toBe(true);
  });

  test("auto copies give way to the memory limit, down to one; a given number does not", () => {
    const t = task("s", 3);
    const est = (copies: number) => multitensorFamily.build(t, { seed: 0, copies }).memoryEstimateBytes;
    const between = Math.floor((est(1) + est(2)) / 2);
    const auto = planTasks([t], { seed: 0, timeLimited: true, maxMemoryBytes: between }, multitensorFamily);
    expect(auto.runnable.map((p) => p.copies)).toEqual([1]);
    const given = planTasks([t], { seed: 0, copies: 4, maxMemoryBytes: between }, multitensorFamily);
    expect(given.runnable).toEqual([]);
    expect(given.skips[0]!.stop).toBe("memory");
  });
});
