// Anytime answer selection. After every chunk the model's candidates (one per test input, from the
// current outputs and from their EMA) are added here. Observations of the same grid for the same test
// input merge by log-add-exp of their scores, so a grid that keeps coming back gains weight. The two
// best merged grids are attempt_1 and attempt_2; each one's confidence is its softmax share among all
// grids seen for that test input. With several copies of the model (and fresh copies after restarts),
// every copy's candidates are added: a grid that several independently trained copies produce gains
// the weight of each, which is how the copies vote. Each grid keeps the copies that produced it.
import { gridKey, type Grid } from "../arc/index.ts";
import type { Candidate } from "../models/task-model.ts";

/** log(exp(a) + exp(b)) without overflow; -Infinity is the empty sum. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** One distinct grid for one test input and what is known about it. */
export interface SelectionEntry {
  key: string;
  grid: Grid;
  /** log-add-exp of every observation's (weighted) score. */
  score: number;
  /** Times it was observed. */
  count: number;
  /** The copies (numbered over restarts) that produced it, ascending. */
  voters: number[];
  firstStep: number;
  lastStep: number;
}

/** The answers for one test input: up to two grids, best first, with their confidences in [0, 1]. */
export interface TestAnswer {
  grids: Grid[];
  confidences: number[];
  /** Distinct grids seen for this test input. */
  distinct: number;
  /** Per attempt: how many copies of the model produced that grid. */
  votes: number[];
}

export interface SelectorOptions {
  /**
   * Early observations count less: one at step t is weighted t / (t + warmupSteps), i.e. its score gets
   * log of that added. 0 (default) weights every observation the same.
   */
  warmupSteps?: number;
}

export class AnswerSelector {
  private readonly entries: Map<string, SelectionEntry>[];
  private readonly warmup: number;
  /** Observations ignored because their score was not a finite number. */
  ignored = 0;

  constructor(
    readonly testInputs: number,
    options: SelectorOptions = {},
  ) {
    this.entries = Array.from({ length: testInputs }, () => new Map());
    this.warmup = Math.max(0, options.warmupSteps ?? 0);
  }

  /**
   * Add the candidates decoded after `step` steps: candidates[i] is for test input i, from copy `copy`
   * (default 0), which has trained `ownStep` steps itself (default `step`; fresh copies after a restart
   * have fewer, and their early observations are weighted as early).
   */
  add(candidates: readonly Candidate[], step: number, copy = 0, ownStep = step): void {
    const weight =
      this.warmup > 0 ? Math.log(Math.max(ownStep, 1e-9) / (Math.max(ownStep, 0) + this.warmup)) : 0;
    candidates.forEach((c, i) => {
      const table = this.entries[i];
      if (!table) return;
      if (!Number.isFinite(c.score)) {
        this.ignored++;
        return;
      }
      const score = c.score + weight;
      const key = gridKey(c.grid);
      const e = table.get(key);
      if (e) {
        e.score = logAddExp(e.score, score);
        e.count++;
        e.lastStep = step;
        if (!e.voters.includes(copy)) e.voters = [...e.voters, copy].sort((a, b) => a - b);
      } else {
        table.set(key, {
          key,
          grid: c.grid,
          score,
          count: 1,
          firstStep: step,
          lastStep: step,
          voters: [copy],
        });
      }
    });
  }

  /** Every distinct grid for test input i, best first (ties: seen earlier first). */
  ranked(i: number): SelectionEntry[] {
    return [...(this.entries[i]?.values() ?? [])].sort(
      (a, b) => b.score - a.score || a.firstStep - b.firstStep,
    );
  }

  /** Attempts (up to two grids) and confidences per test input. */
  answers(): TestAnswer[] {
    return this.entries.map((_, i) => {
      const ranked = this.ranked(i);
      const total = ranked.reduce((s, e) => logAddExp(s, e.score), -Infinity);
      const top = ranked.slice(0, 2);
      return {
        grids: top.map((e) => e.grid),
        confidences: top.map((e) => Math.min(1, Math.max(0, Math.exp(e.score - total)))),
        distinct: ranked.length,
        votes: top.map((e) => e.voters.length),
      };
    });
  }

  /** A string that changes exactly when some test input's attempt_1 or attempt_2 changes. */
  signature(): string {
    return this.entries
      .map((_, i) =>
        this.ranked(i)
          .slice(0, 2)
          .map((e) => e.key)
          .join("|"),
      )
      .join("||");
  }

  /** True once every test input has at least one candidate. */
  complete(): boolean {
    return this.entries.every((t) => t.size > 0);
  }

  /** The whole selection state as plain data (for checkpoints); fromState restores it exactly. */
  toState(): {
    testInputs: number;
    warmupSteps: number;
    ignored: number;
    entries: {
      key: string;
      height: number;
      width: number;
      cells: number[];
      score: number;
      count: number;
      firstStep: number;
      lastStep: number;
      voters: number[];
    }[][];
  } {
    const entry = (e: SelectionEntry) => ({
      key: e.key,
      height: e.grid.height,
      width: e.grid.width,
      cells: Array.from(e.grid.cells),
      score: e.score,
      count: e.count,
      firstStep: e.firstStep,
      lastStep: e.lastStep,
      voters: [...e.voters],
    });
    return {
      testInputs: this.testInputs,
      warmupSteps: this.warmup,
      ignored: this.ignored,
      entries: this.entries.map((t) => [...t.values()].map(entry)),
    };
  }

  static fromState(s: ReturnType<AnswerSelector["toState"]>): AnswerSelector {
    const sel = new AnswerSelector(s.testInputs, { warmupSteps: s.warmupSteps });
    sel.ignored = s.ignored;
    s.entries.forEach((list, i) => {
      for (const e of list) {
        const grid = { height: e.height, width: e.width, cells: Uint8Array.from(e.cells) };
        sel.entries[i]?.set(e.key, {
          key: e.key,
          grid,
          score: e.score,
          count: e.count,
          firstStep: e.firstStep,
          lastStep: e.lastStep,
          voters: [...(e.voters ?? [0])],
        });
      }
    });
    return sel;
  }
}
