// `ttt inspect` as a user runs it: exit codes 0 (fine), 1 (invalid tasks), 2 (bad usage).
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, runTtt } from "./helpers/cli.ts";

describe("ttt inspect", () => {
  test("Kaggle fixtures: figures, solutions found beside, exit 0", () => {
    const r = runTtt(["inspect", "fixtures/tasks_challenges.json"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Kaggle challenges file, solutions from fixtures/tasks_solutions.json");
    expect(r.stdout).toMatch(/^tasks\s+7$/m);
    expect(r.stdout).toMatch(/^test inputs\s+8, outputs known for 8 \(tasks: 6 with 1, 1 with 2\)$/m);
    expect(r.stdout).toMatch(/^grid size\s+max\(height, width\) over 62 grids: min 3, median 6, max 10$/m);
    expect(r.stdout).toMatch(/^same-shape outputs\s+4 of 7 tasks \(57\.1%\)$/m);
    expect(r.stdout).toMatch(/^invalid\s+none$/m);
  });

  test("--json prints one JSON object", () => {
    const r = runTtt(["inspect", "fixtures/tasks", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      source: "fixtures/tasks",
      layout: "folder",
      tasks: 7,
      trainPairs: 23,
      testInputs: 8,
      testOutputsKnown: 8,
      errors: [],
    });
    expect(out.gridSize.buckets).toEqual({
      "1-5": 22,
      "6-10": 40,
      "11-15": 0,
      "16-20": 0,
      "21-25": 0,
      "26-30": 0,
    });
    expect(out.colours.tasksUsing).toHaveLength(10);
    expect(out.colours.tasksUsing[0]).toBe(7);
  });

  test("invalid tasks: listed with their errors, exit 1", () => {
    const r = runTtt(["inspect", "fixtures/bad_tasks.json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^tasks\s+2$/m);
    expect(r.stdout).toContain("4 problems:");
    expect(r.stdout).toContain(
      "fixtures/bad_tasks.json: task ragged-row train[1].output row 2: 5 cells, expected 6",
    );
    expect(r.stdout).toContain("fixtures/bad_tasks.json: task missing-test-input test[0].input: missing");
    const j = runTtt(["inspect", "fixtures/bad_tasks.json", "--json"]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).errors.map((e: { taskId: string }) => e.taskId)).toEqual([
      "ragged-row",
      "colour-ten",
      "no-train-pairs",
      "missing-test-input",
    ]);
  });

  test("stdin: a single task, and malformed JSON with line and column", () => {
    const task = readFileSync(join(PROJECT_ROOT, "fixtures/tasks/transpose.json"), "utf8");
    const ok = runTtt(["inspect", "-"], task);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("<stdin> (single task file)");
    const bad = runTtt(["inspect", "-", "--json"], '{"train": [\n  {"input": [[1]], "output": [[1]]},\n]}');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).errors[0].text).toBe(
      "<stdin>: invalid JSON at line 3 column 1: unexpected ']', expected a value",
    );
  });

  test("a missing file is a failure (exit 1)", () => {
    const r = runTtt(["inspect", "no/such/file.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("ttt: no/such/file.json: cannot read: no such file or folder");
  });

  test.each([
    ["an empty object", "empty.json", "{}", "no tasks in the file"],
    ["malformed JSON", "bad.json", "{bad", "invalid JSON at line 1 column 2:"],
    ["an empty folder", "none", null, "no .json files in the folder"],
  ])(
    "a source with no tasks (%s): the error alone, no all-zero figures, exit 1",
    (_, name, text, message) => {
      const dir = mkdtempSync(join(tmpdir(), "ttt-inspect-"));
      try {
        const path = join(dir, name);
        if (text === null) mkdirSync(path);
        else writeFileSync(path, text);
        const r = runTtt(["inspect", path]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr.trim().split("\n")).toEqual([expect.stringContaining(`ttt: ${path}: ${message}`)]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test.each([
    ["no tasks argument", ["inspect"], "Missing required positional argument: TASKS"],
    [
      "two tasks arguments",
      ["inspect", "a.json", "b.json"],
      "inspect takes one tasks source, got also: b.json",
    ],
  ])("bad usage (%s): usage and exit 2", (_, args, message) => {
    const r = runTtt(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout + r.stderr).toContain("USAGE");
  });

  test("--help", () => {
    const r = runTtt(["inspect", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ttt inspect");
    expect(r.stdout).toContain("--json");
  });
});
