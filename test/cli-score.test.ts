// `ttt score` as a user runs it: exit codes 0 (scored), 1 (invalid input), 2 (bad usage).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, runTtt } from "./helpers/cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "ttt-score-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SOLUTIONS = "fixtures/tasks_solutions.json";
const solutions: Record<string, number[][][]> = JSON.parse(
  readFileSync(join(PROJECT_ROOT, SOLUTIONS), "utf8"),
);

function submission(
  name: string,
  pick: (truth: number[][], id: string, i: number) => { attempt_1: unknown; attempt_2: unknown },
) {
  const sub: Record<string, unknown[]> = {};
  for (const [id, outs] of Object.entries(solutions)) sub[id] = outs.map((truth, i) => pick(truth, id, i));
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(sub));
  return path;
}

const perfect = submission("perfect.json", (t) => ({ attempt_1: t, attempt_2: [[0]] }));
const second = submission("second.json", (t) => ({ attempt_1: [[0]], attempt_2: t }));
const zeros = submission("zeros.json", () => ({ attempt_1: [[0]], attempt_2: [[0]] }));
const partial = submission("partial.json", (t, id, i) =>
  id === "recolour-1-to-2" && i === 1
    ? { attempt_1: [[0]], attempt_2: [[0]] }
    : { attempt_1: t, attempt_2: t },
);

describe("ttt score", () => {
  test.each([
    ["perfect", perfect, "100.00%", "8/8"],
    ["attempt_1 wrong, attempt_2 right", second, "100.00%", "8/8"],
    ["all [[0]]", zeros, "0.00%", "0/8"],
  ])("%s", (_, sub, score, outputs) => {
    const r = runTtt(["score", sub, SOLUTIONS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`score    ${score}  (ARC Prize: mean over 7 tasks of correct / test outputs)`);
    expect(r.stdout).toContain(`outputs  ${outputs} correct`);
  });

  test("partial task: listed as failed with its fraction; --json report", () => {
    const r = runTtt(["score", partial, SOLUTIONS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("failed   1: recolour-1-to-2(1/2)");
    expect(r.stdout).toContain(`score    ${((100 * 6.5) / 7).toFixed(2)}%`);
    const j = JSON.parse(runTtt(["score", partial, SOLUTIONS, "--json"]).stdout);
    expect(j.score).toBeCloseTo(6.5 / 7, 12);
    expect(j.outputFraction).toBeCloseTo(7 / 8, 12);
    expect(j.failed).toEqual(["recolour-1-to-2"]);
    expect(j.passed).toHaveLength(6);
  });

  test("solutions from a folder of task files or a challenges file", () => {
    expect(runTtt(["score", perfect, "fixtures/tasks"]).stdout).toContain("score    100.00%");
    expect(runTtt(["score", perfect, "fixtures/tasks_challenges.json"]).stdout).toContain("score    100.00%");
  });

  test("submission from stdin", () => {
    const r = runTtt(["score", "-", SOLUTIONS], readFileSync(second, "utf8"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("score    100.00%");
  });

  test.each([
    [
      "missing attempt key",
      { "scale-2x": [{ attempt_1: [[0]] }] },
      "task scale-2x test[0].attempt_2: missing",
    ],
    [
      "bad grid",
      { "scale-2x": [{ attempt_1: [[0, 1], [2]], attempt_2: [[0]] }] },
      "task scale-2x test[0].attempt_1 row 1: 1 cells, expected 2",
    ],
    ["missing task id", {}, "task transpose: missing (the solutions have 1 test output)"],
    [
      "too few entries",
      { "recolour-1-to-2": [{ attempt_1: [[0]], attempt_2: [[0]] }] },
      "task recolour-1-to-2: 1 entries, expected 2 (one per test input)",
    ],
  ])("invalid submission (%s): exit 1, error names file, task and field", (name, patch, message) => {
    const base = JSON.parse(readFileSync(zeros, "utf8"));
    if (name === "missing task id") delete base.transpose;
    const path = join(tmp, `bad-${name.replace(/ /g, "-")}.json`);
    writeFileSync(path, JSON.stringify({ ...base, ...patch }));
    const r = runTtt(["score", path, SOLUTIONS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ttt score: invalid submission");
    expect(r.stderr).toContain(`${path}: ${message}`);
  });

  test("malformed submission JSON: line and column, exit 1", () => {
    const path = join(tmp, "broken.json");
    writeFileSync(path, '{\n  "a": [\n    {"attempt_1": [[1]] "attempt_2": [[0]]}\n  ]\n}');
    const r = runTtt(["score", path, SOLUTIONS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path}: invalid JSON at line 3 column 25: unexpected '"', expected ',' or '}'`,
    );
  });

  test("invalid solutions: exit 1", () => {
    const r = runTtt(["score", perfect, "fixtures/bad_tasks.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ttt score: invalid solutions");
  });

  test.each([
    ["no arguments", ["score"], "Missing required positional argument: SUBMISSION"],
    ["one argument", ["score", "sub.json"], "Missing required positional argument: SOLUTIONS"],
    [
      "three arguments",
      ["score", "a", "b", "c"],
      "score takes a submission and a solutions source, got also: c",
    ],
  ])("bad usage (%s): exit 2", (_, args, message) => {
    const r = runTtt(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test("--help", () => {
    const r = runTtt(["score", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ttt score");
  });
});
