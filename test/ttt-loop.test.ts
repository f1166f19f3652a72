// The training loop of one task (trainTask) with a real model and the real trainer: the colour-map
// family (src/models/colour-map.ts, a real ONNX training graph) trained by the trainer the solver opens
// (ortTrainerFactory) on the CPU. Time is either real or a clock the test moves by a fixed amount per
// chunk; NaN/Inf losses and errors are faults injected into the real trainer's state or sessions.
import { afterEach, describe, expect, test } from "bun:test";
import { COLOURS, gridFromRows, gridKey, type Grid, type Task } from "../src/arc/index.ts";
import type { TaskModel } from "../src/models/task-model.ts";
import { openSessions, releaseSession } from "../src/runtime/registry.ts";
import { colourMapFamily } from "../src/models/colour-map.ts";
import { EMA_DECAY } from "../src/loop/ema.ts";
import type { TaskTrainer } from "../src/loop/trainer.ts";
import { planTask, type TaskPlan } from "../src/loop/plan.ts";
import type { TestAnswer } from "../src/loop/select.ts";
import { subsampleLosses, trainTask } from "../src/loop/task-loop.ts";
import { observed, openRealTrainer, TestClock } from "./helpers/real-trainer.ts";

// Colour 1 becomes 2, colour 3 stays: colour-map learns it in a few steps. The test input is one cell
// of colour 1, so the right answer is [[2]] and every answer is one cell.
const task: Task = {
  id: "t",
  train: [
    {
      input: gridFromRows([
        [1, 1],
        [1, 3],
      ]),
      output: gridFromRows([
        [2, 2],
        [2, 3],
      ]),
    },
  ],
  test: [{ input: gridFromRows([[1]]) }],
};
const cell = (v: number): Grid => gridFromRows([[v]]);
const keys = (a: TestAnswer | undefined) => (a?.grids ?? []).map(gridKey);
/** Index of the weight "input colour `from` -> output colour `to`" in colour-map's 10x10 table w. */
const w = (from: number, to: number) => from * COLOURS + to;

const open: TaskTrainer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.release();
});

/**
 * The real model and trainer for `task` under `plan`. `startLogit`: the trainer's state is first set
 * (setState, as a checkpoint would) to one whose weight 1 -> 1 is that logit, so the model answers
 * [[1]] until training has moved it to [[2]]: the answer changes over the chunks.
 */
async function realSetUp(plan: TaskPlan, startLogit?: number) {
  const model = colourMapFamily.build(task, { seed: plan.seed });
  const { trainer, inner } = await openRealTrainer(model, { chunk: plan.chunk, seed: plan.seed });
  open.push(trainer);
  if (startLogit !== undefined) {
    const s = inner.getState();
    s.params.w![w(1, 1)] = startLogit;
    inner.setState(s);
  }
  return { model, trainer, inner };
}

/** The model with every decode() input recorded (copied: the EMA's arrays change in place). */
function recordingDecodes(model: TaskModel<unknown>): { model: TaskModel<unknown>; seen: Float32Array[] } {
  const seen: Float32Array[] = [];
  return {
    seen,
    model: {
      ...model,
      decode: (out) => {
        seen.push(Float32Array.from(out.logits!));
        return model.decode(out);
      },
    },
  };
}

describe("trainTask (colour-map, real training)", () => {
  test("runs chunks up to the step budget, decoding the outputs and their EMA after each; the later answer ranks first", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const real = await realSetUp(plan, 5);
    const trainer = observed(real.trainer);
    const { model, seen } = recordingDecodes(real.model);
    const chunks: number[] = [];
    const leaders: string[] = [];
    const r = await trainTask(plan, model, trainer, {
      onChunk: (c) => {
        chunks.push(c.step);
        leaders.push(keys(c.answers[0])[0]!);
      },
    });
    expect(r.stop).toBe("steps");
    expect(r.steps).toBe(100);
    expect(r.losses).toHaveLength(100);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    expect(r.finalLoss).toBe(r.losses[99]!);
    expect(r.losses[99]!).toBeLessThan(r.losses[0]! / 10); // it learned
    expect(r.chunks).toBe(10);
    expect(chunks).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(trainer.calls).toEqual({ step: 10, infer: 10, release: 0 });
    // Current outputs every chunk, the EMA from the second chunk on: [cur 1, cur 2, EMA 2, cur 3, EMA 3, ...].
    // The EMA after chunk 2 is chunk 1's outputs decayed by 0.97^10 plus chunk 2's: it lags behind them.
    expect(seen).toHaveLength(19);
    const keep = EMA_DECAY ** 10;
    seen[2]!.forEach((v, i) => {
      expect(v).toBeCloseTo(keep * seen[0]![i]! + (1 - keep) * seen[1]![i]!, 4);
    });
    expect(Math.max(...seen[2]!.map((v, i) => Math.abs(v - seen[1]![i]!)))).toBeGreaterThan(0.1);
    // The model answered [[1]] at first and [[2]] (right) by the end; over the chunks [[2]] came to
    // lead and [[1]] is kept as the second attempt.
    expect(model.decode({ logits: seen[0]! })[0]!.grid).toEqual(cell(1));
    expect(model.decode({ logits: seen[18]! })[0]!.grid).toEqual(cell(2));
    expect(leaders[0]).toBe(gridKey(cell(1)));
    expect(leaders.at(-1)).toBe(gridKey(cell(2)));
    expect(keys(r.answers[0])).toEqual([gridKey(cell(2)), gridKey(cell(1))]);
    expect(r.answers[0]!.confidences[0]!).toBeGreaterThan(r.answers[0]!.confidences[1]!);
  });

  test("stops when the answers have been unchanged for `patience` steps", async () => {
    const plan = planTask(task, { seed: 0, steps: 1000, chunk: 10, patience: 40 });
    const { model, trainer } = await realSetUp(plan, 4);
    const signatures: [number, string][] = [];
    const r = await trainTask(plan, model, trainer, {
      onChunk: (c) => signatures.push([c.step, c.answers.map((a) => keys(a).join("|")).join("||")]),
    });
    // The first step at which the attempts had been the same for 40 steps.
    let since = 0;
    let expected: number | undefined;
    signatures.forEach(([step, sig], i) => {
      if (i === 0 || sig !== signatures[i - 1]![1]) since = step;
      if (expected === undefined && step - since >= 40) expected = step;
    });
    expect(r.stop).toBe("stable");
    expect(r.steps).toBe(expected!);
    expect(r.steps).toBeLessThan(1000);
    expect(since).toBeGreaterThan(10); // the answers did change before they settled
    expect(r.answers[0]!.grids[0]).toEqual(cell(2));
  });

  test("stops before a chunk that would not end within the time limit", async () => {
    const clock = new TestClock();
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const real = await realSetUp(plan);
    // Each real chunk takes 1 s on the test's clock.
    const trainer = observed(real.trainer, { afterStep: () => (clock.t += 1) });
    const r = await trainTask(plan, real.model, trainer, { timeLimit: 3.5, now: clock.now });
    expect(r.stop).toBe("time");
    expect(r.steps).toBe(30);
    expect(r.chunks).toBe(3);
    expect(r.seconds).toBe(3);
    expect(r.answers[0]!.grids[0]).toEqual(cell(2));
  });

  test("the first chunk always runs, even past the limit (the run's hard limit still holds)", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const { model, trainer } = await realSetUp(plan);
    // Real time: the first chunk takes more than 0 s, so it is past the limit and no second one starts.
    const r = await trainTask(plan, model, trainer, { timeLimit: 0 });
    expect([r.stop, r.steps, r.chunks, r.answers[0]!.grids.length]).toEqual(["time", 10, 1, 1]);
  });

  test("a NaN loss stops the task with the answers from before it", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const real = await realSetUp(plan);
    // Injected fault, before chunk 3: Adam's first moment of the weight 1 -> 2 corrupted to 1e38 and the
    // second moments zeroed. Step 21 still computes a finite loss, but its update overflows that weight
    // to -Inf, and step 22's loss (0 * -Inf in the real graph's MatMul) is NaN.
    const trainer = observed(real.trainer, {
      beforeStep: (n) => {
        if (n !== 3) return;
        const s = real.inner.getState();
        s.m.w![w(1, 2)] = 1e38;
        s.v.w!.fill(0);
        real.inner.setState(s);
      },
    });
    const after: TestAnswer[][] = [];
    const r = await trainTask(plan, real.model, trainer, { onChunk: (c) => after.push(c.answers) });
    expect(r.stop).toBe("nonfinite");
    expect(r.nonFiniteStep).toBe(22);
    expect(r.steps).toBe(30);
    expect(r.losses).toHaveLength(30);
    expect(r.losses.slice(0, 21).every(Number.isFinite)).toBe(true);
    expect(r.losses[21]).toBeNaN();
    expect(r.finalLoss).toBe(r.losses[20]!); // the last finite loss, inside the chunk that went bad
    expect(trainer.calls.infer).toBe(2);
    expect(r.chunks).toBe(2);
    expect(after).toHaveLength(2);
    expect(r.answers).toEqual(after[1]!); // what the real model answered after chunk 2
    expect(r.answers[0]!.grids[0]).toEqual(cell(2));
  });

  test("an Inf loss counts too", async () => {
    const plan = planTask(task, { seed: 0, steps: 20, chunk: 10, patience: 0 });
    const real = await realSetUp(plan);
    // Injected fault: the weight 1 -> 2 set to -3e38 (finite) before training. Each colour-1 cell's
    // cross-entropy is then about 3e38 and their mean overflows float32: the loss is +Inf from step 1.
    const s = real.inner.getState();
    s.params.w![w(1, 2)] = -3e38;
    real.inner.setState(s);
    const trainer = observed(real.trainer);
    const r = await trainTask(plan, real.model, trainer);
    expect([r.stop, r.nonFiniteStep, r.answers[0]!.grids.length]).toEqual(["nonfinite", 1, 0]);
    expect(r.losses[0]).toBe(Infinity);
    expect(r.finalLoss).toBeNull();
    expect(trainer.calls.infer).toBe(0);
  });

  test("an error keeps the answers so far and is reported, not thrown", async () => {
    const plan = planTask(task, { seed: 0, steps: 100, chunk: 10, patience: 0 });
    const real = await realSetUp(plan);
    // Injected fault, before chunk 4: the trainer's ONNX Runtime sessions are released under it, so its
    // next run fails inside ORT.
    const trainer = observed(real.trainer, {
      beforeStep: async (n) => {
        if (n !== 4) return;
        for (const e of openSessions())
          if (e.label.startsWith(`${real.model.spec.key}:`)) await releaseSession(e);
      },
    });
    const after: TestAnswer[][] = [];
    const r = await trainTask(plan, real.model, trainer, { onChunk: (c) => after.push(c.answers) });
    expect(r.stop).toBe("error");
    expect(r.error).toMatch(/disposed/i);
    expect(r.steps).toBe(30);
    expect(r.chunks).toBe(3);
    expect(r.answers).toEqual(after[2]!);
    expect(r.answers[0]!.grids[0]).toEqual(cell(2));
  });
});

test("loss curves are subsampled to at most 200 points with the first and last steps", () => {
  const losses = Array.from({ length: 1000 }, (_, i) => i);
  losses[500] = NaN;
  const c = subsampleLosses(losses);
  expect(c.length).toBeLessThanOrEqual(200);
  expect(c[0]).toEqual([1, 0]);
  expect(c[c.length - 1]).toEqual([1000, 999]);
  expect(subsampleLosses([1, NaN])).toEqual([
    [1, 1],
    [2, null],
  ]);
  expect(subsampleLosses([])).toEqual([]);
});
