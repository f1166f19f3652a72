// The candidate pool of a finished bench/accuracy run: for every test output, where its right grid
// ranks among all the grids the task's selection ever held (from the task's final checkpoint), or
// null when it was never a candidate. pass@2 counts ranks 1-2; pass@pool counts any rank.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AnswerSelector, type SelectionEntry } from "../src/loop/select.ts";
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

/** One finished task of a bench run: its record, the right outputs, its final answer selection. */
export interface FinishedTask {
  // biome-ignore lint/suspicious/noExplicitAny: a task record read from JSON
  record: any;
  truth: Rows[];
  /** From the task's newest checkpoint; null when it has none. */
  selector: AnswerSelector | null;
}

/** Every finished task of a bench run directory (it holds sample_scoring.json and run/). */
export function readFinished(benchDir: string): FinishedTask[] {
  const solutions = JSON.parse(readFileSync(join(benchDir, "sample_scoring.json"), "utf8")) as Record<
    string,
    Rows[]
  >;
  const run = join(benchDir, "run");
  return readdirSync(join(run, "tasks")).map((f) => {
    const record = JSON.parse(readFileSync(join(run, "tasks", f), "utf8"));
    const truth = solutions[record.id] ?? [];
    const store = new CheckpointStore(join(run, "checkpoints", fileStems([record.id]).get(record.id)!));
    const found = existsSync(store.dir)
      ? store.loadNewest(
          () => undefined,
          (c) => snapshotFromFiles(c.files),
        ).found
      : undefined;
    return { record, truth, selector: found ? AnswerSelector.fromState(found.value.selector) : null };
  });
}

/** Where the right grid `rows` sits in a ranked list of entries (-1: not among them). */
export function indexOfGrid(ranked: readonly SelectionEntry[], rows: Rows): number {
  const cells = rows.flat();
  return ranked.findIndex(
    (e) =>
      e.grid.height === rows.length &&
      e.grid.width === rows[0]!.length &&
      cells.every((c, j) => c === e.grid.cells[j]),
  );
}

/** Every task of a bench run directory with the rank of each right grid in its final selection. */
export function readPool(benchDir: string): PoolTask[] {
  return readFinished(benchDir)
    .map(({ record: r, truth, selector }) => {
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
      truth.forEach((g, i) => {
        const ranked = selector?.ranked(i) ?? [];
        const k = indexOfGrid(ranked, g);
        if (k >= 0) {
          t.ranks[i] = k + 1;
          t.firstRight[i] = ranked[k]!.firstStep;
        }
      });
      return t;
    })
    .sort((a, b) => a.id.localeCompare(b.id));
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
