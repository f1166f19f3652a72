// The multitensor family computes the same function as before the step was restructured (fewer,
// larger graph nodes; issue 13): three small tasks, one per shape rule the graph specialises on, trained
// 20 steps from seed 7 in float64 give the losses recorded from the code before that work (commit
// f61aadd). Float64, because the trajectory is chaotic at rounding level: Adam (betas 0.5, 0.9) turns
// gradients that are zero up to rounding into full-size steps, so float32 runs that differ only in
// summation order drift apart by ~1e-4 after a few steps; in float64 the first 20 steps agree to ~1e-12.
import { describe, expect, test } from "bun:test";
import { gridFromRows } from "../src/arc/grid.ts";
import type { Task } from "../src/arc/task.ts";
import { buildMultitensor } from "../src/models/multitensor/index.ts";
import { Trainer } from "../src/train/trainer.ts";
import { TASKS } from "./support/loss-fixtures.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";

/** Losses of steps 1..20, recorded at f61aadd (float64, seed 7, Adam lr 0.01, betas 0.5/0.9, Loop of 10). */
const RECORDED: Record<keyof typeof TASKS, number[]> = {
  recolour: [
    131485.085044501, 118620.110441806, 107441.023555945, 97437.1904566246, 88635.1092956818,
    80944.0900378535, 74288.3330109127, 68370.6336666739, 63027.2186372606, 58215.4887911408,
    53989.2224109839, 50177.3010685374, 46742.0012636667, 43636.3859000166, 40810.4453534697,
    38232.4123694671, 35870.0654828964, 33697.2041059875, 31692.6802860532, 29838.8427519141,
  ],
  corner: [
    130834.473679755, 118102.196240305, 106942.828456197, 97044.1755166483, 88396.0349967542,
    80811.9040417185, 73977.6385846851, 68041.5609433795, 62771.0197127233, 58082.1648405672,
    53890.8286014463, 50102.5303984312, 46694.3242667607, 43603.1924132839, 40785.1756263605,
    38211.1107715469, 35851.3055849832, 33680.1528197232, 31682.6584743947, 29829.0858405127,
  ],
  drop: [
    130737.655333608, 118105.819806526, 106887.25935427, 97009.8101104087, 88321.8933774488, 80680.1170756542,
    73951.0352784448, 68010.2631314315, 62745.4913298933, 58056.7495372847, 53860.0813510441,
    50086.3380514459, 46678.2105671181, 43587.0454771554, 40772.2915703153, 38199.4650140265,
    35840.2654539781, 33673.7667078355, 31671.0877514816, 29817.9763350722,
  ],
};

describe("multitensor losses match the recorded ones", () => {
  test.each(Object.keys(TASKS) as (keyof typeof TASKS)[])("%s: 20 steps in float64", async (name) => {
    const task = TASKS[name](gridFromRows as (rows: number[][]) => unknown) as Task;
    const model = buildMultitensor(task, { seed: 7, dtype: "float64" });
    const trainer = await Trainer.create(model.spec, {
      optim: DEFAULT_OPTIM,
      seed: 7,
      cacheDir: false,
      // "basic": ORT's "all" level fuses SiLU into QuickGelu, which has no float64 kernel
      session: { ep: "cpu", intraOpThreads: 1, optLevel: "basic" },
    });
    try {
      trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
      const losses = [...(await trainer.step(10)), ...(await trainer.step(10))];
      const want = RECORDED[name];
      const worst = Math.max(...losses.map((l, i) => Math.abs(l - want[i]!) / Math.abs(want[i]!)));
      expect(worst).toBeLessThan(1e-10);
    } finally {
      await trainer.release();
    }
  });
});
