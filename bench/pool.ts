// The candidate pool of a finished bench/accuracy run: for every test output, where its right grid
// ranks among all the grids the task's selection ever held (from the task's final checkpoint), or
// null when it was never a candidate. pass@2 counts ranks 1-2; pass@pool counts any rank.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AnswerSelector } from "../src/loop/select.ts";
import { CheckpointStore } from "../src/rundir/checkpoint-store.ts";
import { fileStems } from "../src/rundir/run-dir.ts";
import { snapshotFromFiles } from "../src/rundir/snapshot-files.ts";

type Rows = number[][];

export interface PoolTask {
  id: string;
  score: number;
  steps: number;
  copies: number | null;
  restarts: number | null;
  peakMemoryBytes: number | null;
  /** Per test output: the right grid's rank (1 = attempt 1) among the candidates, null if never one. */
  ranks: (number | null)[];
  /** Per solved output: the loop step at which its right grid first came up. */
  firstRight: (number | null)[];
}

/** Every task of a bench run directory (it holds sample_scoring.json and run/). */
export function readPool(benchDir: string): PoolTask[] {
  const solutions = JSON.parse(readFileSync(join(benchDir, "sample_scoring.json"), "utf8")) as Record<
    string,
    Rows[]
  >;
  const run = join(benchDir, "run");
  const out: PoolTask[] = [];
  for (const f of readdirSync(join(run, "tasks"))) {
    const r = JSON.parse(readFileSync(join(run, "tasks", f), "utf8"));
    const truth = solutions[r.id] ?? [];
    const t: PoolTask = {
      id: r.id,
      score: r.score ?? 0,
      steps: r.steps,
      copies: r.copies ?? null,
      restarts: r.restarts ?? null,
      peakMemoryBytes: r.peakMemoryBytes ?? null,
      ranks: truth.map(() => null),
      firstRight: truth.map(() => null),
    };
    out.push(t);
    const store = new CheckpointStore(join(run, "checkpoints", fileStems([r.id]).get(r.id)!));
    if (!existsSync(store.dir)) continue;
    const found = store.loadNewest(
      () => undefined,
      (c) => snapshotFromFiles(c.files),
    ).found;
    if (!found) continue;
    const sel = AnswerSelector.fromState(found.value.selector);
    truth.forEach((g, i) => {
      const cells = g.flat();
      const ranked = sel.ranked(i);
      const k = ranked.findIndex(
        (e) =>
          e.grid.height === g.length &&
          e.grid.width === g[0]!.length &&
          cells.every((c, j) => c === e.grid.cells[j]),
      );
      if (k >= 0) {
        t.ranks[i] = k + 1;
        t.firstRight[i] = ranked[k]!.firstStep;
      }
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** pass@pool per task (mean over tasks of outputs ever a candidate / outputs), and the chosen share. */
export function poolFigures(tasks: readonly PoolTask[]) {
  const perTask = tasks.map((t) =>
    t.ranks.length ? t.ranks.filter((r) => r !== null).length / t.ranks.length : 0,
  );
  const ranks = tasks.flatMap((t) => t.ranks).filter((r): r is number => r !== null);
  const outputs = tasks.reduce((s, t) => s + t.ranks.length, 0);
  return {
    passPool: perTask.reduce((a, b) => a + b, 0) / Math.max(1, tasks.length),
    outputsInPool: ranks.length,
    outputs,
    /** Of the outputs whose right grid was a candidate: chosen as attempt 1 or 2. */
    chosenInTopTwo: ranks.length ? ranks.filter((r) => r <= 2).length / ranks.length : NaN,
    /** Ranks of the right grids that were candidates but not chosen. */
    missedRanks: ranks.filter((r) => r > 2).sort((a, b) => a - b),
  };
}
