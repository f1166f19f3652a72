// "colour-map": the smallest real model family, for checking the solver end to end in seconds (and as a
// floor to compare against). It learns one 10x10 table of logits, output colour given input colour at
// the same cell, from the train pairs whose output has the input's shape; the answer for a test input
// is that map applied cell by cell. It solves recolouring tasks and nothing else.
import { COLOURS, Rng, type Grid, type Task } from "../arc/index.ts";
import * as G from "../graph/index.ts";
import { chooseCell, SCORE_SCALE } from "./cell-choice.ts";
import type { Candidate, ModelFamily, TaskModel } from "./task-model.ts";
import type { OptimConfig } from "../optim/config.ts";
import { crossEntropy } from "../train/loss.ts";
import type { ModelSpec } from "../train/spec.ts";

function oneHotCells(grids: readonly Grid[]): Float32Array {
  const n = grids.reduce((s, g) => s + g.cells.length, 0);
  const x = new Float32Array(n * COLOURS);
  let i = 0;
  for (const g of grids) for (const v of g.cells) x[i++ * COLOURS + v] = 1;
  return x;
}

/** One test grid read from its cells' logits; score: -SCORE_SCALE x the mean uncertainty of its cells. */
function decodeCells(logits: Float32Array, offset: number, like: Grid): Candidate {
  const cells = new Uint8Array(like.cells.length);
  let uncertainty = 0;
  for (let c = 0; c < cells.length; c++) {
    const cell = chooseCell(logits, (offset + c) * COLOURS, 1, COLOURS);
    uncertainty += cell.uncertainty;
    cells[c] = cell.best;
  }
  return {
    grid: { height: like.height, width: like.width, cells },
    score: (-SCORE_SCALE * uncertainty) / Math.max(1, cells.length),
  };
}

export const colourMapFamily: ModelFamily<ModelSpec> = {
  name: "colour-map",
  build(task: Task, { seed }): TaskModel<ModelSpec> & { optim: OptimConfig } {
    const pairs = task.train.filter(
      (p) => p.input.height === p.output.height && p.input.width === p.output.width,
    );
    const used =
      pairs.length > 0 ? pairs : task.train.slice(0, 1).map((p) => ({ input: p.input, output: p.input }));
    const x = oneHotCells(used.map((p) => p.input));
    const y = BigInt64Array.from(used.flatMap((p) => Array.from(p.output.cells, (v) => BigInt(v))));
    const tests = task.test.map((t) => t.input);
    const xt = oneHotCells(tests);
    const n = y.length;
    const m = xt.length / COLOURS;
    const rng = new Rng(seed);
    const w = Float32Array.from({ length: COLOURS * COLOURS }, () => (rng.float() - 0.5) * 0.02);
    const spec: ModelSpec = {
      key: `colour-map/v1`,
      params: [{ name: "w", shape: [COLOURS, COLOURS], init: w }],
      batch: [
        { name: "x", dtype: "float32", shape: [n, COLOURS], fixed: true },
        { name: "y", dtype: "int64", shape: [n], fixed: true },
      ],
      inferBatch: [{ name: "xt", dtype: "float32", shape: [m, COLOURS] }],
      forward(_g, p, b, _noise, mode) {
        if (mode === "infer") return { outputs: { logits: G.matmul(b.xt!, p.w!) } };
        return { loss: crossEntropy(G.matmul(b.x!, p.w!), b.y!) };
      },
    };
    return {
      family: "colour-map",
      key: `colour-map/v1/${n}/${m}`,
      spec,
      fixed: {
        x: { dtype: "float32", shape: [n, COLOURS], data: x },
        y: { dtype: "int64", shape: [n], data: y },
        xt: { dtype: "float32", shape: [m, COLOURS], data: xt },
      },
      outputNames: ["logits"],
      memoryEstimateBytes: 64 * 1024 * 1024 + 200 * (x.byteLength + xt.byteLength),
      optim: { kind: "adam", lr: 0.1, betas: [0.9, 0.99] },
      decode(outputs) {
        const logits = outputs.logits!;
        let offset = 0;
        return tests.map((g) => {
          const c = decodeCells(logits, offset, g);
          offset += g.cells.length;
          return c;
        });
      },
    };
  },
};
