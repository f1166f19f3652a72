// The whole run in this process (the inline executor) with real training: the colour-map family
// (src/models/colour-map.ts), loaded by name as the solver does, trained by the solver's own trainer
// (ortTrainerFactory) on the CPU. Run directory, report, submission, invalid and skipped tasks, budget,
// scoring, the journal. Time is a clock the test moves by a fixed amount per real chunk, so the
// budget's decisions and the reported times are exact; a failing trainer is an injected fault (TTT_INJECT_FAULT).
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureTasks } from "../fixtures/make.ts";
import {
  checkSubmissionCovers,
  gridFromRows,
  gridToRows,
  readSubmission,
  taskToJson,
  type Task,
} from "../src/arc/index.ts";
import { colourMapFamily } from "../src/models/colour-map.ts";
import { InlineExecutor } from "../src/workers/pool.ts";
import type { Display } from "../src/run/progress.ts";
import { solve, type SolveSettings } from "../src/run/solve.ts";
import { RunDir } from "../src/rundir/run-dir.ts";
import { formatSize } from "../src/util/units.ts";
import { TestClock, tickingFactory } from "./helpers/real-trainer.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-run-"));
// Every task the family builds a model for (planning and training), through the real family object the
// run loads by name; the spy only records and calls through.
const build = spyOn(colourMapFamily, "build");
afterAll(() => {
  build.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

const rows = (s: string) => s.split("/").map((r) => [...r].map(Number));
const fixtures = fixtureTasks();
const fixture = (id: string) => fixtures.find((t) => t.id === id)!;
// recolour-1-to-2 (two test inputs): colour-map learns it, both answers right. flip-horizontal: colour-map
// cannot learn it, its answer is wrong. big: one 30x30 pair, skipped by --max-memory. ragged: invalid.
const recolour = fixture("recolour-1-to-2");
const flip = fixture("flip-horizontal");
const grid30 = Array.from({ length: 30 }, (_, r) => Array.from({ length: 30 }, (_, c) => (r + c) % 3));
const big: Task = {
  id: "big",
  train: [{ input: gridFromRows(grid30), output: gridFromRows(grid30) }],
  test: [{ input: gridFromRows(grid30), output: gridFromRows(grid30) }],
};
const challenges = {
  "recolour-1-to-2": taskToJson(recolour, false),
  "flip-horizontal": taskToJson(flip, false),
  big: taskToJson(big, false),
  ragged: {
    train: [{ input: rows("12/3"), output: rows("1") }],
    test: [{ input: rows("1") }, { input: rows("2") }],
  },
};
const truthRows = (t: Task) => t.test.map((p) => gridToRows(p.output!));
const solutions = {
  "recolour-1-to-2": truthRows(recolour),
  "flip-horizontal": truthRows(flip),
  big: truthRows(big),
  ragged: [rows("1"), rows("2")],
};
const source = join(dir, "set_challenges.json");
writeFileSync(source, JSON.stringify(challenges));
writeFileSync(join(dir, "set_solutions.json"), JSON.stringify(solutions));

// --max-memory between colour-map's estimates for the small tasks and for the 30x30 one.
const estimate = (t: Task) => colourMapFamily.build(t, { seed: 0 }).memoryEstimateBytes;
const maxMemoryBytes = Math.max(estimate(recolour), estimate(flip));
const bigEstimate = estimate(big);
build.mockClear();

const quiet = (): Display & { lines: string[] } => {
  const lines: string[] = [];
  return {
    lines,
    begin() {},
    taskStarted() {},
    chunk() {},
    taskDone: (r) => lines.push(`${r.id} ${r.status} ${r.stop}`),
    log: (level, m) => lines.push(`${level}: ${m}`),
    end() {},
  };
};

const settings = (name: string, extra: Partial<SolveSettings> = {}): SolveSettings => ({
  source,
  output: join(dir, `${name}.json`),
  runDir: join(dir, name),
  workers: 1,
  ep: "cpu",
  threads: 1,
  seed: 0,
  family: "colour-map",
  steps: 20,
  chunk: 5,
  patience: 0,
  maxMemoryBytes,
  ...extra,
});

/** The run's executor: real training, each chunk taking `secondsPerChunk` on `clock`. */
const executor = (clock: TestClock, secondsPerChunk: number) =>
  new InlineExecutor({ trainer: tickingFactory(clock, secondsPerChunk), now: clock.now });

test("the memory limit lies between the small tasks' estimates and the big one's", () => {
  expect(bigEstimate).toBeGreaterThan(maxMemoryBytes);
});

describe("solve (inline, colour-map, real training)", () => {
  // Each chunk of 5 real steps takes 0.5 s on the run's clock: 20 steps are 2 s per task.
  const clock = new TestClock();
  const display = quiet();
  const s = settings("run-a");
  let result: Awaited<ReturnType<typeof solve>>;
  let seenTasks: Parameters<typeof build>[0][];
  let report: Awaited<ReturnType<typeof solve>>["report"];
  let by: Record<string, (typeof report.tasks)[number]>;
  beforeAll(async () => {
    result = await solve(s, { executor: executor(clock, 0.5), display, now: clock.now, startedAt: 0 });
    seenTasks = build.mock.calls.map(([task]) => task);
    report = result.report;
    by = Object.fromEntries(report.tasks.map((t) => [t.id, t]));
  });
  const record = (id: string) => JSON.parse(readFileSync(join(s.runDir, `tasks/${id}.json`), "utf8"));

  test("every task id is in a valid submission; invalid and skipped tasks get [[0]]", () => {
    const sub = readSubmission(s.output);
    expect(sub.errors).toEqual([]);
    expect([...sub.submission.keys()].sort()).toEqual([
      "big",
      "flip-horizontal",
      "ragged",
      "recolour-1-to-2",
    ]);
    const sol = new Map(Object.entries(solutions).map(([k, v]) => [k, v.map((r) => gridFromRows(r))]));
    expect(checkSubmissionCovers(sub.submission, sol, s.output)).toEqual([]);
    const answered = sub.submission.get("recolour-1-to-2")!;
    expect(answered.map((a) => gridToRows(a.attempt_1))).toEqual(solutions["recolour-1-to-2"]);
    // attempt_2 is the model's second distinct answer, or [[0]] when it only ever gave one.
    const attempts = record("recolour-1-to-2").answers.map((a: { attempts: number[][][] }) => a.attempts);
    answered.forEach((a, i) => {
      expect(gridToRows(a.attempt_2)).toEqual(attempts[i][1] ?? [[0]]);
    });
    expect(sub.submission.get("ragged")!.map((a) => gridToRows(a.attempt_1))).toEqual([[[0]], [[0]]]);
    expect(gridToRows(sub.submission.get("big")![0]!.attempt_1)).toEqual([[0]]);
  });

  test("the model never sees test outputs", () => {
    // Planning builds every valid task once (one copy: steps, not time, bound this run), training the
    // two that fit once more.
    expect(seenTasks.map((t) => t.id).sort()).toEqual([
      "big",
      "flip-horizontal",
      "flip-horizontal",
      "recolour-1-to-2",
      "recolour-1-to-2",
    ]);
    for (const t of seenTasks) for (const p of t.test) expect(p.output).toBeUndefined();
  });

  test("statuses, stop reasons and the score (ARC Prize rule and per-output)", () => {
    expect(result.exitCode).toBe(0);
    expect(by["recolour-1-to-2"]).toMatchObject({
      status: "ok",
      stop: "steps",
      steps: 20,
      correct: [true, true],
    });
    expect(by["flip-horizontal"]).toMatchObject({ status: "ok", stop: "steps", steps: 20, correct: [false] });
    expect([by.big!.status, by.big!.stop]).toEqual(["skipped", "memory"]);
    expect(by.big!.message).toContain(`over --max-memory ${formatSize(maxMemoryBytes)}: skipped`);
    expect([by.ragged!.status, by.ragged!.stop]).toEqual(["invalid", "invalid"]);
    expect(by.ragged!.message).toMatch(/ragged/);
    expect(report.totals.score).toMatchObject({
      score: 0.25,
      tasks: 4,
      outputsCorrect: 2,
      outputsTotal: 6,
      passed: ["recolour-1-to-2"],
    });
    expect(report.solutions).toBe(join(dir, "set_solutions.json"));
  });

  test("the report's shape", () => {
    expect(Object.keys(report).sort()).toEqual(
      [
        "command",
        "loadErrors",
        "runDir",
        "settings",
        "solutions",
        "source",
        "startedAt",
        "state",
        "submission",
        "tasks",
        "tool",
        "totals",
        "updatedAt",
        "version",
      ].sort(),
    );
    expect(report.state).toBe("finished");
    expect(report.totals).toMatchObject({ tasks: 4, ok: 2, skipped: 1, failed: 0, invalid: 1, steps: 40 });
    // 2 tasks x 4 chunks x 0.5 s on the run's clock; set-up takes no time on it.
    expect(clock.t).toBe(4);
    expect(report.totals.seconds).toBe(clock.t);
    expect(report.totals.medianTaskSeconds).toBeCloseTo(2);
    expect(report.totals.maxTaskSeconds).toBeCloseTo(2);
    expect(report.totals.stepsPerSecond).toBeCloseTo(10);
    const t = by["recolour-1-to-2"]!;
    for (const k of [
      "steps",
      "seconds",
      "finalLoss",
      "lossCurve",
      "confidences",
      "peakMemoryBytes",
      "correct",
      "stop",
      "plan",
    ])
      expect(t).toHaveProperty(k);
    expect(t.provider).toBe("cpu");
    expect(t.lossCurve).toHaveLength(20);
    expect(t.lossCurve.map(([step]) => step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(t.lossCurve[19]).toEqual([20, t.finalLoss]);
    expect(t.finalLoss!).toBeLessThan(t.lossCurve[0]![1]! / 2); // it learned
    // The report's confidences are the record's; a single distinct answer per test input has all of it.
    expect(t.confidences).toEqual(
      record("recolour-1-to-2").answers.map((a: { confidences: number[] }) => a.confidences),
    );
    expect(t.confidences).toEqual([[1], [1]]);
    expect(report.loadErrors.some((e) => e.includes("ragged"))).toBe(true);
  });

  test("the run directory: run.json, a journal line and a record per task, report.json", () => {
    const runJson = JSON.parse(readFileSync(join(s.runDir, "run.json"), "utf8"));
    expect(runJson.tasks.map((t: { id: string }) => t.id)).toEqual([
      "recolour-1-to-2",
      "flip-horizontal",
      "big",
      "ragged",
    ]);
    const journal = readFileSync(join(s.runDir, "journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(journal.map((j) => j.id).sort()).toEqual(["big", "flip-horizontal", "ragged", "recolour-1-to-2"]);
    for (const j of journal) expect(existsSync(join(s.runDir, j.record))).toBe(true);
    const rec = record("recolour-1-to-2");
    expect(rec.answers.map((a: { attempts: number[][][] }) => a.attempts)).toEqual(
      solutions["recolour-1-to-2"].map((g) => [g]),
    );
    expect(record("flip-horizontal").answers[0].attempts[0]).not.toEqual(solutions["flip-horizontal"][0]);
    expect(JSON.parse(readFileSync(join(s.runDir, "report.json"), "utf8")).state).toBe("finished");
    expect(() => new RunDir(s.runDir, [])).toThrow(/already holds a run/);
  });

  test("one line per finished task", () => {
    expect(display.lines.filter((l) => !l.startsWith("warn")).sort()).toEqual([
      "big skipped memory",
      "flip-horizontal ok steps",
      "ragged invalid invalid",
      "recolour-1-to-2 ok steps",
    ]);
  });
});

describe("solve: budgets and failures", () => {
  test("a spent time budget skips the remaining tasks but still writes a valid submission", async () => {
    const clock = new TestClock();
    const s = settings("run-b", {
      timeBudget: 10,
      steps: 1000,
      taskIds: ["recolour-1-to-2", "flip-horizontal"],
    });
    // Each real chunk takes 1 s on the run's clock; the budget of 10 s (2 s margin) is shared by weight:
    // under 4 s for the first task, what is left for the second.
    const r = await solve(s, {
      executor: executor(clock, 1),
      display: quiet(),
      now: clock.now,
      startedAt: 0,
    });
    const by = Object.fromEntries(r.report.tasks.map((t) => [t.id, t]));
    for (const t of r.report.tasks) {
      expect(t.seconds).toBeLessThanOrEqual(t.allottedSeconds!);
      expect(t.steps).toBe(5 * t.seconds); // whole chunks of 5 steps, 1 s each
    }
    expect(by["recolour-1-to-2"]!.stop).toBe("time");
    expect(by["recolour-1-to-2"]!.seconds).toBeLessThanOrEqual(4);
    expect(by["recolour-1-to-2"]!.steps).toBeGreaterThan(0);
    expect(by["recolour-1-to-2"]!.correct).toEqual([true, true]);
    expect(by["flip-horizontal"]!.stop).toBe("time");
    expect(clock.t).toBeLessThanOrEqual(8);
    expect(r.report.tasks.map((t) => t.id)).toEqual(["recolour-1-to-2", "flip-horizontal"]);
    expect(readSubmission(s.output).errors).toEqual([]);
  });

  test("no time left at all: tasks are skipped, exit code 1", async () => {
    const clock = new TestClock(100);
    const s = settings("run-c", { timeBudget: 50, taskIds: ["recolour-1-to-2"] });
    const r = await solve(s, {
      executor: executor(clock, 1),
      display: quiet(),
      now: clock.now,
      startedAt: 0,
    });
    expect(r.report.tasks[0]).toMatchObject({ status: "skipped", stop: "no-time" });
    expect(r.exitCode).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(s.output, "utf8")))).toEqual(["recolour-1-to-2"]);
  });

  test("a task whose trainer fails is recorded as failed; the others carry on", async () => {
    // Injected fault (src/workers/fault-injection.ts): recolour-1-to-2's first chunk throws as a failing
    // ONNX Runtime run would, on the first attempt and on its retry.
    const saved = process.env.TTT_INJECT_FAULT;
    process.env.TTT_INJECT_FAULT = "error@recolour-1-to-2:0#*";
    try {
      const s = settings("run-d", { taskIds: ["recolour-1-to-2", "flip-horizontal"] });
      const r = await solve(s, { executor: executor(new TestClock(), 0), display: quiet() });
      const by = Object.fromEntries(r.report.tasks.map((t) => [t.id, t]));
      expect(by["recolour-1-to-2"]).toMatchObject({
        status: "failed",
        stop: "error",
        steps: 0,
        correct: [false, false],
      });
      expect(by["recolour-1-to-2"]!.message).toMatch(/injected/i);
      expect(by["flip-horizontal"]).toMatchObject({ status: "ok", stop: "steps", steps: 20 });
      expect(r.exitCode).toBe(0);
      expect(readSubmission(s.output).errors).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TTT_INJECT_FAULT;
      else process.env.TTT_INJECT_FAULT = saved;
    }
  });

  test("unknown --tasks ids are a usage problem", async () => {
    await expect(solve(settings("run-e", { taskIds: ["nope"] }), { display: quiet() })).rejects.toThrow(
      /--tasks: no task nope/,
    );
  });
});

test("a model family that cannot be loaded: every task failed, a valid submission, exit code 1", async () => {
  const s = settings("run-f", {
    family: "./no/such/family.ts",
    taskIds: ["recolour-1-to-2", "flip-horizontal"],
  });
  const lines = quiet();
  const r = await solve(s, { display: lines, executor: new InlineExecutor() });
  expect(r.exitCode).toBe(1);
  expect(r.report.tasks.map((t) => [t.id, t.status])).toEqual([
    ["recolour-1-to-2", "failed"],
    ["flip-horizontal", "failed"],
  ]);
  expect(r.report.tasks[0]!.message).toMatch(
    /model family "\.\/no\/such\/family\.ts" cannot be loaded \(families: multitensor, colour-map\)/,
  );
  expect(readSubmission(s.output).errors).toEqual([]);
});
