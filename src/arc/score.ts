// Scoring by the ARC Prize rule: a test output counts when either attempt equals the truth exactly
// (shape and every cell); a task scores correct / test outputs; the run scores the mean over tasks.
// The per-output fraction (correct outputs / all outputs) is reported beside it.
import { gridsEqual, type Grid } from "./grid.ts";
import type { Attempts } from "./submission.ts";

export interface TaskScore {
  readonly id: string;
  readonly correct: number;
  readonly total: number;
  /** correct / total */
  readonly score: number;
}

export interface ScoreReport {
  /** Mean over tasks of each task's score: the ARC Prize number, 0..1. */
  readonly score: number;
  readonly tasks: number;
  readonly outputsCorrect: number;
  readonly outputsTotal: number;
  /** outputsCorrect / outputsTotal */
  readonly outputFraction: number;
  /** Tasks with every test output right. */
  readonly passed: string[];
  /** Tasks with at least one test output wrong (partial ones included). */
  readonly failed: string[];
  readonly perTask: TaskScore[];
  /** Ids in the submission that the solutions do not have (not scored). */
  readonly extraIds: string[];
}

/** True when either attempt equals the truth. */
export function attemptsMatch(attempts: Attempts | undefined, truth: Grid): boolean {
  return (
    attempts !== undefined && (gridsEqual(attempts.attempt_1, truth) || gridsEqual(attempts.attempt_2, truth))
  );
}

/**
 * Score a submission against solutions (task id -> one grid per test input). Every task in the
 * solutions is scored; a missing task or entry counts as wrong (validate coverage first to reject it).
 */
export function scoreSubmission(
  submission: ReadonlyMap<string, readonly Attempts[]>,
  solutions: ReadonlyMap<string, readonly Grid[]>,
): ScoreReport {
  const perTask: TaskScore[] = [];
  let outputsCorrect = 0;
  let outputsTotal = 0;
  for (const [id, truths] of solutions) {
    const entry = submission.get(id);
    let correct = 0;
    truths.forEach((truth, i) => {
      if (attemptsMatch(entry?.[i], truth)) correct++;
    });
    perTask.push({
      id,
      correct,
      total: truths.length,
      score: truths.length > 0 ? correct / truths.length : 0,
    });
    outputsCorrect += correct;
    outputsTotal += truths.length;
  }
  const sum = perTask.reduce((s, t) => s + t.score, 0);
  return {
    score: perTask.length > 0 ? sum / perTask.length : 0,
    tasks: perTask.length,
    outputsCorrect,
    outputsTotal,
    outputFraction: outputsTotal > 0 ? outputsCorrect / outputsTotal : 0,
    passed: perTask.filter((t) => t.correct === t.total && t.total > 0).map((t) => t.id),
    failed: perTask.filter((t) => t.correct < t.total || t.total === 0).map((t) => t.id),
    perTask,
    extraIds: [...submission.keys()].filter((id) => !solutions.has(id)),
  };
}
