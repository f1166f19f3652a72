// The real ARC-AGI-1 data in ../shared/arc/arc-agi-1 (skipped, loudly, when absent): every task loads
// and validates, and scoring reproduces the known answers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildSubmission,
  checkSubmissionCovers,
  loadSolutions,
  loadTasks,
  parseSubmission,
  scoreSubmission,
  testOutputsOf,
  writeSubmission,
  type Grid,
  type Task,
  type TaskAnswers,
} from "../src/arc/index.ts";
import { ARC_AGI_1, hasArcAgi1 } from "./helpers/arc-data.ts";
import { runTtt } from "./helpers/cli.ts";

const present = hasArcAgi1("test/arc-agi-1.test.ts");
const tmp = mkdtempSync(join(tmpdir(), "ttt-arc1-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The truth with one cell changed: right shape, wrong content. */
const nearMiss = (g: Grid): Grid => {
  const cells = g.cells.slice();
  cells[0] = (cells[0]! + 1) % 10;
  return { height: g.height, width: g.width, cells };
};

describe.skipIf(!present)("ARC-AGI-1", () => {
  test.each([["training"], ["evaluation"]])(
    "all 400 %s tasks load and validate with their solutions",
    async (set) => {
      const r = await loadTasks(join(ARC_AGI_1, `${set}_challenges.json`), { solutions: "auto" });
      expect(r.errors.map(String)).toEqual([]);
      expect(r.tasks).toHaveLength(400);
      expect(r.tasks.every((t) => testOutputsOf(t) !== undefined)).toBe(true);
    },
  );

  test("the folder loads all 800 tasks", async () => {
    const r = await loadTasks(ARC_AGI_1);
    expect(r.errors).toEqual([]);
    expect(r.tasks).toHaveLength(800);
  });

  describe("scoring against evaluation_solutions.json", () => {
    let tasks: Task[] = [];
    let solutions = new Map<string, Grid[]>();
    beforeAll(async () => {
      tasks = (await loadTasks(join(ARC_AGI_1, "evaluation_challenges.json"))).tasks;
      solutions = (await loadSolutions(join(ARC_AGI_1, "evaluation_solutions.json"))).solutions;
    });
    const answersFrom = (pick: (truth: Grid) => Grid[]) =>
      new Map<string, TaskAnswers>([...solutions].map(([id, outs]) => [id, outs.map(pick)]));

    test.each([
      ["perfect", (t: Grid) => [t], 1],
      ["attempt_1 wrong (one cell off), attempt_2 right", (t: Grid) => [nearMiss(t), t], 1],
      ["all [[0]]", () => [], 0],
      ["only near misses", (t: Grid) => [nearMiss(t), nearMiss(t)], 0],
    ] as const)("%s", (_, pick, expected) => {
      const json = buildSubmission(tasks, answersFrom(pick));
      const parsed = parseSubmission(JSON.parse(JSON.stringify(json)), "submission.json");
      expect(parsed.errors).toEqual([]);
      expect(checkSubmissionCovers(parsed.submission, solutions, "submission.json")).toEqual([]);
      const report = scoreSubmission(parsed.submission, solutions);
      expect(report.tasks).toBe(400);
      expect(report.outputsTotal).toBe(419);
      expect(report.score).toBe(expected);
      expect(report.outputFraction).toBe(expected);
    });

    test("ttt score on a written submission (attempt_2 right)", () => {
      const path = join(tmp, "submission.json");
      writeSubmission(
        path,
        buildSubmission(
          tasks,
          answersFrom((t) => [nearMiss(t), t]),
        ),
      );
      const r = runTtt(["score", path, join(ARC_AGI_1, "evaluation_solutions.json"), "--json"]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect([out.score, out.tasks, out.outputsCorrect, out.outputsTotal, out.failed]).toEqual([
        1,
        400,
        419,
        419,
        [],
      ]);
    });
  });
});

if (!present) test.skip(`ARC-AGI-1 data missing at ${ARC_AGI_1}: the real-data tests were SKIPPED`, () => {});
