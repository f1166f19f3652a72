// The whole run with the inline executor and a fake model family (no ONNX Runtime): run directory,
// report, submission, invalid and skipped tasks, budget, scoring, the journal.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSubmissionCovers, gridToRows, readSubmission, type Grid, type Task } from "../src/arc/index.ts";
import type { ModelFamily } from "../src/models/task-model.ts";
import type { TrainerFactory } from "../src/ttt/engine.ts";
import { InlineExecutor } from "../src/ttt/pool.ts";
import type { Display } from "../src/ttt/progress.ts";
import { solve, type SolveSettings } from "../src/ttt/run.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rows = (s: string) => s.split("/").map((r) => [...r].map(Number));
// identity: output = input (the fake model answers the test input itself: right).
// invert: output differs (wrong). big: skipped by --max-memory. ragged: invalid.
const challenges = {
  identity: { train: [{ input: rows("12/34"), output: rows("12/34") }], test: [{ input: rows("56/78") }, { input: rows("9") }] },
  invert: { train: [{ input: rows("10"), output: rows("01") }], test: [{ input: rows("110") }] },
  big: { train: [{ input: rows("1"), output: rows("1") }], test: [{ input: rows("3") }] },
  ragged: { train: [{ input: rows("12/3"), output: rows("1") }], test: [{ input: rows("1") }, { input: rows("2") }] },
};
const solutions = { identity: [rows("56/78"), rows("9")], invert: [rows("001")], big: [rows("3")], ragged: [rows("1"), rows("2")] };
const source = join(dir, "set_challenges.json");
writeFileSync(source, JSON.stringify(challenges));
writeFileSync(join(dir, "set_solutions.json"), JSON.stringify(solutions));

const seenTasks: Task[] = [];
const family: ModelFamily<any> = {
  name: "echo",
  build(task) {
    seenTasks.push(task);
    return {
      family: "echo",
      key: "echo",
      spec: {},
      fixed: {},
      outputNames: ["y"],
      memoryEstimateBytes: task.id === "big" ? 2 ** 40 : 2 ** 20,
      decode: () => task.test.map((t) => ({ grid: t.input as Grid, score: -1 })),
    };
  },
};

/** A trainer that advances a fake clock by `chunkSeconds` per chunk; loss 1/step. */
const trainerWith = (clock: { t: number }, chunkSeconds: number): TrainerFactory => async () => {
  let step = 0;
  return {
    async step(k) {
      clock.t += chunkSeconds;
      step += k;
      return Array.from({ length: k }, (_, i) => 1 / (step - k + i + 1));
    },
    infer: async () => ({ y: Float32Array.of(step) }),
    release: async () => {},
  };
};

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
  family: "echo",
  steps: 20,
  chunk: 5,
  patience: 0,
  maxMemoryBytes: 2 ** 30,
  ...extra,
});

describe("solve (inline, fake model)", async () => {
  const clock = { t: 0 };
  const display = quiet();
  const s = settings("run-a");
  const result = await solve(s, {
    family,
    executor: new InlineExecutor({ family: async () => family, trainer: trainerWith(clock, 0.5), now: () => clock.t }),
    display,
    now: () => clock.t,
    startedAt: 0,
  });
  const report = result.report;

  test("every task id is in a valid submission; invalid and skipped tasks get [[0]]", () => {
    const sub = readSubmission(s.output);
    expect(sub.errors).toEqual([]);
    expect([...sub.submission.keys()].sort()).toEqual(["big", "identity", "invert", "ragged"]);
    const sol = new Map(Object.entries(solutions).map(([k, v]) => [k, v.map((r) => ({ height: r.length, width: r[0]!.length, cells: Uint8Array.from(r.flat()) }))]));
    expect(checkSubmissionCovers(sub.submission, sol, s.output)).toEqual([]);
    expect(gridToRows(sub.submission.get("identity")![0]!.attempt_1)).toEqual(rows("56/78"));
    expect(gridToRows(sub.submission.get("identity")![0]!.attempt_2)).toEqual([[0]]);
    expect(sub.submission.get("ragged")!.map((a) => gridToRows(a.attempt_1))).toEqual([[[0]], [[0]]]);
    expect(gridToRows(sub.submission.get("big")![0]!.attempt_1)).toEqual([[0]]);
  });

  test("the model never sees test outputs", () => {
    expect(seenTasks.length).toBeGreaterThan(0);
    for (const t of seenTasks) for (const p of t.test) expect(p.output).toBeUndefined();
  });

  test("statuses, stop reasons and the score (ARC Prize rule and per-output)", () => {
    expect(result.exitCode).toBe(0);
    const by = Object.fromEntries(report.tasks.map((t) => [t.id, t]));
    expect([by.identity!.status, by.identity!.stop, by.identity!.steps]).toEqual(["ok", "steps", 20]);
    expect(by.identity!.correct).toEqual([true, true]);
    expect(by.invert!.correct).toEqual([false]);
    expect([by.big!.status, by.big!.stop]).toEqual(["skipped", "memory"]);
    expect(by.big!.message).toMatch(/over --max-memory 1\.0 GiB: skipped/);
    expect([by.ragged!.status, by.ragged!.stop]).toEqual(["invalid", "invalid"]);
    expect(by.ragged!.message).toMatch(/ragged/);
    expect(report.totals.score).toMatchObject({ score: 0.25, tasks: 4, outputsCorrect: 2, outputsTotal: 6, passed: ["identity"] });
    expect(report.solutions).toBe(join(dir, "set_solutions.json"));
  });

  test("the report's shape", () => {
    expect(Object.keys(report).sort()).toEqual(
      ["command", "loadErrors", "runDir", "settings", "solutions", "source", "startedAt", "state", "submission", "tasks", "tool", "totals", "updatedAt", "version"].sort(),
    );
    expect(report.state).toBe("finished");
    expect(report.totals).toMatchObject({ tasks: 4, ok: 2, skipped: 1, failed: 0, invalid: 1, steps: 40 });
    expect(report.totals.seconds).toBe(clock.t);
    expect(report.totals.medianTaskSeconds).toBeCloseTo(2);
    expect(report.totals.maxTaskSeconds).toBeCloseTo(2);
    expect(report.totals.stepsPerSecond).toBeCloseTo(10);
    const t = report.tasks.find((x) => x.id === "identity")!;
    for (const k of ["steps", "seconds", "finalLoss", "lossCurve", "confidences", "peakMemoryBytes", "correct", "stop", "plan"]) expect(t).toHaveProperty(k);
    expect(t.lossCurve).toHaveLength(20);
    expect(t.lossCurve[19]).toEqual([20, 1 / 20]);
    expect(t.confidences).toEqual([[1], [1]]);
    expect(t.finalLoss).toBeCloseTo(1 / 20);
    expect(report.loadErrors.some((e) => e.includes("ragged"))).toBe(true);
  });

  test("the run directory: run.json, a journal line and a record per task, report.json", () => {
    const runJson = JSON.parse(readFileSync(join(s.runDir, "run.json"), "utf8"));
    expect(runJson.tasks.map((t: { id: string }) => t.id)).toEqual(["identity", "invert", "big", "ragged"]);
    const journal = readFileSync(join(s.runDir, "journal.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(journal.map((j) => j.id).sort()).toEqual(["big", "identity", "invert", "ragged"]);
    for (const j of journal) expect(existsSync(join(s.runDir, j.record))).toBe(true);
    const rec = JSON.parse(readFileSync(join(s.runDir, "tasks/identity.json"), "utf8"));
    expect(rec.answers[0].attempts).toEqual([rows("56/78")]);
    expect(JSON.parse(readFileSync(join(s.runDir, "report.json"), "utf8")).state).toBe("finished");
    expect(() => new (require("../src/ttt/run-dir.ts").RunDir)(s.runDir, [])).toThrow(/already holds a run/);
  });

  test("one line per finished task", () => {
    expect(display.lines.filter((l) => !l.startsWith("warn")).sort()).toEqual(["big skipped memory", "identity ok steps", "invert ok steps", "ragged invalid invalid"]);
  });
});

describe("solve: budgets and failures", () => {
  test("a spent time budget skips the remaining tasks but still writes a valid submission", async () => {
    const clock = { t: 0 };
    const s = settings("run-b", { timeBudget: 10, steps: 1000, taskIds: ["identity", "invert"] });
    // Each chunk takes 1 s; the budget of 10 s (2 s margin) is shared: ~4 s for the first task.
    const r = await solve(s, { family, executor: new InlineExecutor({ family: async () => family, trainer: trainerWith(clock, 1), now: () => clock.t }), display: quiet(), now: () => clock.t, startedAt: 0 });
    const by = Object.fromEntries(r.report.tasks.map((t) => [t.id, t]));
    expect(by.identity!.stop).toBe("time");
    expect(by.identity!.seconds).toBeLessThanOrEqual(4);
    expect(by.invert!.stop).toBe("time");
    expect(clock.t).toBeLessThanOrEqual(8);
    expect(r.report.tasks.map((t) => t.id)).toEqual(["identity", "invert"]);
    expect(readSubmission(s.output).errors).toEqual([]);
  });

  test("no time left at all: tasks are skipped, exit code 1", async () => {
    const clock = { t: 100 };
    const s = settings("run-c", { timeBudget: 50, taskIds: ["identity"] });
    const r = await solve(s, { family, executor: new InlineExecutor({ family: async () => family, trainer: trainerWith(clock, 1) }), display: quiet(), now: () => clock.t, startedAt: 0 });
    expect(r.report.tasks[0]).toMatchObject({ status: "skipped", stop: "no-time" });
    expect(r.exitCode).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(s.output, "utf8")))).toEqual(["identity"]);
  });

  test("a task whose trainer fails is recorded as failed; the others carry on", async () => {
    const failing: TrainerFactory = async (model) => {
      if (model.memoryEstimateBytes > 0 && seenTasks.at(-1)?.id === "identity") throw new Error("no session for you");
      return trainerWith({ t: 0 }, 0)(model, { ep: "cpu", threads: 1, chunk: 5, seed: 0 });
    };
    const s = settings("run-d", { taskIds: ["identity", "invert"] });
    const r = await solve(s, { family, executor: new InlineExecutor({ family: async () => family, trainer: failing }), display: quiet() });
    const by = Object.fromEntries(r.report.tasks.map((t) => [t.id, t]));
    expect(by.identity).toMatchObject({ status: "failed", stop: "error", message: "no session for you" });
    expect(by.invert!.status).toBe("ok");
    expect(r.exitCode).toBe(0);
  });

  test("unknown --tasks ids are a usage problem", async () => {
    await expect(solve(settings("run-e", { taskIds: ["nope"] }), { family, display: quiet() })).rejects.toThrow(/--tasks: no task nope/);
  });
});

test("a model family that cannot be loaded: every task failed, a valid submission, exit code 1", async () => {
  const s = settings("run-f", { family: "./no/such/family.ts", taskIds: ["identity", "invert"] });
  const lines = quiet();
  const r = await solve(s, { display: lines, executor: new InlineExecutor() });
  expect(r.exitCode).toBe(1);
  expect(r.report.tasks.map((t) => [t.id, t.status])).toEqual([["identity", "failed"], ["invert", "failed"]]);
  expect(r.report.tasks[0]!.message).toMatch(/model family "\.\/no\/such\/family\.ts" cannot be loaded \(families: multitensor, colour-map\)/);
  expect(readSubmission(s.output).errors).toEqual([]);
});
