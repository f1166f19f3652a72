import { expect, test } from "bun:test";
import { PlainDisplay, summaryLines, taskLine, TerminalDisplay } from "../src/run/progress.ts";
import { notRunRecord, type RunReport, type TaskRecord } from "../src/rundir/records.ts";

const record = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: "abc",
  status: "ok",
  stop: "stable",
  steps: 400,
  seconds: 12.34,
  setupSeconds: 2,
  stepsPerSecond: 38.7,
  finalLoss: 0.01234,
  lossCurve: [],
  answers: [{ attempts: [[[1]], [[2]]], confidences: [0.912, 0.051], distinct: 5 }],
  ...over,
});

test("the per-task line: steps, stop reason, time, loss, confidences, correctness", () => {
  expect(taskLine(record({ correct: [true] }), 3, 7)).toBe(
    "[3/7] abc  ok  400 steps (stable)  12.3s  loss 0.0123  conf 0.91/0.05  correct",
  );
  expect(taskLine(record({ correct: [false] }), 3, 7)).toMatch(/ {2}wrong$/);
  const two = record({
    answers: [record().answers[0]!, { attempts: [[[3]]], confidences: [1], distinct: 1 }],
    correct: [true, false],
  });
  expect(taskLine(two, 1, 1)).toMatch(/conf 0\.91\/0\.05 1\.00 {2}correct 1\/2$/);
  expect(taskLine(record(), 1, 1)).not.toMatch(/correct|wrong/);
  expect(
    taskLine(
      notRunRecord("big", "skipped", "memory", "needs about 3.0 GiB, over --max-memory 2.0 GiB: skipped", 1),
      2,
      2,
    ),
  ).toBe("[2/2] big  skipped  - needs about 3.0 GiB, over --max-memory 2.0 GiB: skipped");
  expect(
    taskLine(
      record({
        stop: "nonfinite",
        message: "loss became NaN/Inf at step 25; kept the answers from before it",
      }),
      1,
      1,
    ),
  ).toMatch(/\(loss became NaN\/Inf at step 25; kept the answers from before it\)$/);
});

test("piped: one plain line per task, nothing else", () => {
  const lines: string[] = [];
  const d = new PlainDisplay((l) => lines.push(l));
  d.begin(2, 2);
  d.taskStarted("abc", 1);
  d.chunk("abc", 10, 100, 0.5);
  d.taskDone(record(), 1);
  d.log("warn", "careful");
  d.end();
  expect(lines).toEqual([
    "[1/2] abc  ok  400 steps (stable)  12.3s  loss 0.0123  conf 0.91/0.05",
    "warn: careful",
  ]);
});

test("terminal: a progress line with tasks done, the running task's step and loss, elapsed and ETA", () => {
  let out = "";
  const stream = {
    columns: 200,
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const d = new TerminalDisplay(stream);
  d.begin(4, 4, 3600);
  d.taskStarted("abc", 1);
  expect(d.line()).toMatch(/ 0\/4 tasks {2}abc setting up {2}/);
  d.chunk("abc", 150, 1000, 0.0213);
  expect(d.line()).toMatch(
    /^\[\.{20}\] 0\/4 tasks {2}abc step 150\/1000 loss 0\.0213 {2}\S+ elapsed, ETA \S+$/,
  );
  d.taskDone(record({ id: "abc" }), 1);
  expect(out).toContain("\r\x1b[2K[1/4] abc  ok  400 steps (stable)");
  expect(d.line()).toMatch(/^\[#{5}\.{15}\] 1\/4 tasks {2}/);
  d.end();
  expect(out.endsWith("\r\x1b[2K")).toBe(true);
});

test("the final summary", () => {
  const report = {
    submission: "submission.json",
    runDir: "runs/x",
    totals: {
      tasks: 3,
      ok: 2,
      skipped: 1,
      failed: 0,
      invalid: 0,
      steps: 800,
      seconds: 29.1,
      medianTaskSeconds: 14.4,
      maxTaskSeconds: 14.6,
      stepsPerSecond: 38.1,
      peakMemoryBytes: 265 * 2 ** 20,
      score: {
        score: 2 / 3,
        tasks: 3,
        outputsCorrect: 3,
        outputsTotal: 4,
        outputFraction: 0.75,
        passed: ["a", "b"],
      },
    },
  } as unknown as RunReport;
  expect(summaryLines(report)).toEqual([
    "tasks     3 (2 answered, 1 skipped, 0 failed, 0 invalid)",
    "score     66.67% (ARC Prize: mean over 3 tasks of correct / test outputs)",
    "outputs   3/4 correct (75.00%)",
    "time      29.1s in all; per task median 14.4s, max 14.6s",
    "steps     800 (38.1 steps/s of training); peak memory 265 MiB",
    "written   submission.json; run directory runs/x",
  ]);
});
