// Per-task result records and the run report: what each task did (steps, time, loss curve, answers
// with confidences, memory, correctness when the solutions are known) and the totals (ARC Prize score,
// per-output fraction, time per task, steps per second).
import { gridsEqual, scoreSubmission, type Attempts, type Grid } from "../arc/index.ts";
import { gridFromRows } from "../arc/index.ts";
import type { TaskPlan } from "../loop/plan.ts";
import type { WireAnswer, WireOutcome } from "../loop/job.ts";
import { subsampleLosses } from "../loop/task-loop.ts";
import type { RunReport, RunTotals, TaskRecord, TaskStatus, TaskStop } from "./formats/index.ts";

export type { RunReport, RunTotals, TaskRecord, TaskStatus, TaskStop } from "./formats/index.ts";

/**
 * Whether a task is done with: every record but those of a task the run never got to (`interrupted`:
 * a Ctrl-C or a kill; `no-time`: the time budget was spent before it started). `ttt solve --resume` runs
 * the others again and `ttt merge` counts them unfinished: one rule for both.
 */
export function isFinishedRecord(r: Pick<TaskRecord, "stop">): boolean {
  return r.stop !== "interrupted" && r.stop !== "no-time";
}

/** Whether each test output is matched by either attempt. */
export function correctness(answers: readonly WireAnswer[], truths: readonly Grid[]): boolean[] {
  return truths.map((truth, i) =>
    (answers[i]?.attempts ?? []).slice(0, 2).some((rows) => gridsEqual(gridFromRows(rows), truth)),
  );
}

/** The record of a task that ran (or was killed); `truths` when the solutions are known. */
export function recordFromOutcome(
  plan: TaskPlan,
  o: WireOutcome,
  truths?: readonly Grid[],
  allottedSeconds?: number,
): TaskRecord {
  const answered = o.answers.some((a) => a.attempts.length > 0);
  const status: TaskStatus = answered ? "ok" : "failed";
  const r: TaskRecord = {
    id: plan.id,
    status,
    stop: o.stop,
    steps: o.steps,
    seconds: o.seconds,
    setupSeconds: o.setupSeconds,
    stepsPerSecond: o.seconds - o.setupSeconds > 0 ? o.steps / (o.seconds - o.setupSeconds) : 0,
    finalLoss: o.finalLoss,
    lossCurve: subsampleLosses(o.losses.map((l) => (l === null ? NaN : l))),
    answers: o.answers,
    plan: {
      seed: plan.seed,
      steps: plan.steps,
      chunk: plan.chunk,
      patience: plan.patience,
      cost: plan.cost,
      weight: plan.weight,
      colours: plan.colours,
      maxHeight: plan.maxHeight,
      maxWidth: plan.maxWidth,
    },
  };
  if (o.error !== undefined) r.message = o.error;
  else if (!answered) r.message = "no answer was produced";
  if (o.nonFiniteStep !== undefined)
    r.message = `loss became NaN/Inf at step ${o.nonFiniteStep}; kept the answers from before it`;
  if (o.nonFiniteStep !== undefined) r.nonFiniteStep = o.nonFiniteStep;
  if (o.provider !== undefined) r.provider = o.provider;
  if (o.copies !== undefined) r.copies = o.copies;
  if (o.restarts !== undefined) r.restarts = o.restarts;
  if (o.memoryEstimateBytes !== undefined) r.memoryEstimateBytes = o.memoryEstimateBytes;
  if (o.peakMemoryBytes !== undefined) r.peakMemoryBytes = o.peakMemoryBytes;
  if (o.resumedFrom !== undefined) r.resumedFrom = o.resumedFrom;
  if (o.checkpointProblems?.length) r.checkpointProblems = o.checkpointProblems;
  if (allottedSeconds !== undefined && Number.isFinite(allottedSeconds)) r.allottedSeconds = allottedSeconds;
  if (truths) addCorrectness(r, truths);
  return r;
}

/** A record for a task that did not run. */
export function notRunRecord(
  id: string,
  status: Exclude<TaskStatus, "ok">,
  stop: TaskStop,
  message: string,
  testInputs: number,
  truths?: readonly Grid[],
): TaskRecord {
  const r: TaskRecord = {
    id,
    status,
    stop,
    message,
    steps: 0,
    seconds: 0,
    setupSeconds: 0,
    stepsPerSecond: 0,
    finalLoss: null,
    lossCurve: [],
    answers: Array.from({ length: testInputs }, () => ({ attempts: [], confidences: [], distinct: 0 })),
  };
  if (truths) addCorrectness(r, truths);
  return r;
}

/** Replace a record's answers (a fallback), keeping its correctness current. */
export function setAnswers(
  r: TaskRecord,
  answers: WireAnswer[],
  fallback: string,
  truths?: readonly Grid[],
): void {
  r.answers = answers;
  r.fallback = fallback;
  if (truths) addCorrectness(r, truths);
}

function addCorrectness(r: TaskRecord, truths: readonly Grid[]): void {
  r.correct = correctness(r.answers, truths);
  r.score = truths.length ? r.correct.filter(Boolean).length / truths.length : 0;
}

/** Totals over the records; the score counts the tasks whose solutions are known (submission answers). */
export function runTotals(
  records: readonly TaskRecord[],
  seconds: number,
  submission?: Map<string, Attempts[]>,
  solutions?: Map<string, Grid[]>,
): RunTotals {
  // Time per task over the tasks that trained to an answer (a task failing at once would skew it).
  const ran = records.filter((r) => r.status === "ok");
  const times = ran.map((r) => r.seconds).sort((a, b) => a - b);
  const trainSeconds = ran.reduce((s, r) => s + Math.max(0, r.seconds - r.setupSeconds), 0);
  const steps = records.reduce((s, r) => s + r.steps, 0);
  const trainedSteps = ran.reduce((s, r) => s + r.steps, 0);
  const peaks = records.map((r) => r.peakMemoryBytes).filter((x): x is number => x !== undefined);
  const t: RunTotals = {
    tasks: records.length,
    ok: records.filter((r) => r.status === "ok").length,
    skipped: records.filter((r) => r.status === "skipped").length,
    failed: records.filter((r) => r.status === "failed").length,
    invalid: records.filter((r) => r.status === "invalid").length,
    steps,
    seconds,
    medianTaskSeconds: median(times),
    maxTaskSeconds: times.length ? times[times.length - 1]! : 0,
    stepsPerSecond: trainSeconds > 0 ? trainedSteps / trainSeconds : 0,
    peakMemoryBytes: peaks.length ? Math.max(...peaks) : null,
  };
  if (submission && solutions && solutions.size > 0) {
    const s = scoreSubmission(submission, solutions);
    t.score = {
      score: s.score,
      tasks: s.tasks,
      outputsCorrect: s.outputsCorrect,
      outputsTotal: s.outputsTotal,
      outputFraction: s.outputFraction,
      passed: s.passed,
    };
  }
  return t;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A record as the report lists it: the grids left out, confidences kept. */
export function reportEntry(r: TaskRecord): RunReport["tasks"][number] {
  const { answers, ...rest } = r;
  return { ...rest, confidences: answers.map((a) => a.confidences) };
}

/** What happened to a task besides training: its faults and retry, and where a resumed run took it up. */
export function taskNotes(r: Pick<TaskRecord, "faults" | "retry" | "resumedFrom">): string[] {
  const notes: string[] = [];
  for (const f of r.faults ?? []) notes.push(`try ${f.try}: ${f.error}`);
  if (r.retry) notes.push(`retried with ${r.retry}`);
  if (r.resumedFrom)
    notes.push(`resumed from checkpoint ${r.resumedFrom.version} at step ${r.resumedFrom.step}`);
  return notes;
}
