// ARC Prize scoring, submission validation and coverage checks.
import { describe, expect, test } from "bun:test";
import {
  buildSubmission,
  checkSubmissionCovers,
  gridFromRows,
  parseSubmission,
  scoreSubmission,
  type Grid,
  type TaskAnswers,
} from "../src/arc/index.ts";

const g = (rows: number[][]) => gridFromRows(rows);
const A = g([
  [1, 2],
  [3, 4],
]);
const B = g([[5]]);
const C = g([[6, 6, 6]]);
const WRONG = g([
  [9, 9],
  [9, 9],
]);
const SOLUTIONS = new Map<string, Grid[]>([
  ["one", [A]],
  ["two", [B, C]],
  ["three", [A, B, C]],
]);
const tasks = [...SOLUTIONS].map(([id, outs]) => ({ id, test: outs }));

function scoreWith(answers: Record<string, TaskAnswers>) {
  const json = buildSubmission(tasks, answers);
  const parsed = parseSubmission(JSON.parse(JSON.stringify(json)), "sub.json");
  expect(parsed.errors).toEqual([]);
  expect(checkSubmissionCovers(parsed.submission, SOLUTIONS, "sub.json")).toEqual([]);
  return scoreSubmission(parsed.submission, SOLUTIONS);
}

describe("ARC Prize scoring", () => {
  test.each([
    ["perfect", { one: [[A]], two: [[B], [C]], three: [[A], [B], [C]] }, 1, 6, [], ["one", "two", "three"]],
    [
      "attempt_1 wrong, attempt_2 right",
      {
        one: [[WRONG, A]],
        two: [
          [WRONG, B],
          [WRONG, C],
        ],
        three: [
          [B, A],
          [A, B],
          [B, C],
        ],
      },
      1,
      6,
      [],
      ["one", "two", "three"],
    ],
    ["all [[0]]", {}, 0, 0, ["one", "two", "three"], []],
    [
      "partial multi-output tasks",
      { one: [[A]], two: [[B], [WRONG, WRONG]], three: [[WRONG], [B], undefined] },
      (1 + 0.5 + 1 / 3) / 3,
      3,
      ["two", "three"],
      ["one"],
    ],
    [
      "right cells, wrong shape",
      { one: [[g([[1, 2, 3, 4]]), g([[1], [2], [3], [4]])]] },
      0,
      0,
      ["one", "two", "three"],
      [],
    ],
  ] as [string, Record<string, TaskAnswers>, number, number, string[], string[]][])(
    "%s",
    (_, answers, score, outputsCorrect, failed, passed) => {
      const r = scoreWith(answers);
      expect(r.score).toBeCloseTo(score, 12);
      expect(r.outputsCorrect).toBe(outputsCorrect);
      expect(r.outputsTotal).toBe(6);
      expect(r.outputFraction).toBeCloseTo(outputsCorrect / 6, 12);
      expect(r.failed).toEqual(failed);
      expect(r.passed).toEqual(passed);
      expect(r.tasks).toBe(3);
    },
  );

  test("per-task scores and extra ids", () => {
    const json = buildSubmission([...tasks, { id: "extra", test: [A] }], { two: [[B], [A]] });
    const { submission } = parseSubmission(json, "sub.json");
    const r = scoreSubmission(submission, SOLUTIONS);
    expect(r.perTask).toEqual([
      { id: "one", correct: 0, total: 1, score: 0 },
      { id: "two", correct: 1, total: 2, score: 0.5 },
      { id: "three", correct: 0, total: 3, score: 0 },
    ]);
    expect(r.extraIds).toEqual(["extra"]);
  });
});

describe("submission structure", () => {
  const good = { attempt_1: [[1]], attempt_2: [[0]] };
  test.each([
    ["missing attempt_2", { t: [{ attempt_1: [[1]] }] }, "sub.json: task t test[0].attempt_2: missing"],
    [
      "bad grid",
      { t: [good, { attempt_1: [[1, 2], [3]], attempt_2: [[0]] }] },
      "sub.json: task t test[1].attempt_1 row 1: 1 cells, expected 2",
    ],
    [
      "colour 10",
      { t: [{ attempt_1: [[1]], attempt_2: [[10]] }] },
      "sub.json: task t test[0].attempt_2 row 0 col 0: 10 is not a colour 0..9",
    ],
    [
      "entry not a list",
      { t: good },
      "sub.json: task t: expected a list with one {attempt_1, attempt_2} per test input, got an object",
    ],
    ["empty entry", { t: [] }, "sub.json: task t: empty, expected one {attempt_1, attempt_2} per test input"],
    [
      "attempts not an object",
      { t: [[[1]]] },
      "sub.json: task t test[0]: expected an object with attempt_1 and attempt_2, got a list",
    ],
    [
      "top level a list",
      [good],
      "sub.json: expected an object of {attempt_1, attempt_2} lists by task id, got a list",
    ],
  ])("%s", (_, value, message) => {
    const r = parseSubmission(value, "sub.json");
    expect(r.errors.map(String)).toEqual([message]);
  });

  test("coverage: missing id and wrong entry count", () => {
    const { submission } = parseSubmission(
      { two: [{ attempt_1: [[5]], attempt_2: [[5]] }], three: [] },
      "sub.json",
    );
    expect(checkSubmissionCovers(submission, SOLUTIONS, "sub.json").map(String)).toEqual([
      "sub.json: task one: missing (the solutions have 1 test output)",
      "sub.json: task two: 1 entries, expected 2 (one per test input)",
      "sub.json: task three: missing (the solutions have 3 test outputs)",
    ]);
  });
});

describe("odd task ids", () => {
  test("__proto__ and numeric-looking ids survive build, JSON and parse", () => {
    const ids = ["__proto__", "constructor", "00576224", "12345678"];
    const json = buildSubmission(
      ids.map((id) => ({ id, test: [A] })),
      new Map([["__proto__", [[A]]]]),
    );
    const text = JSON.stringify(json);
    const { submission, errors } = parseSubmission(JSON.parse(text), "sub.json");
    expect(errors).toEqual([]);
    expect([...submission.keys()].sort()).toEqual([...ids].sort());
    const r = scoreSubmission(submission, new Map(ids.map((id) => [id, [A]])));
    expect(r.passed).toEqual(["__proto__"]);
  });
});
