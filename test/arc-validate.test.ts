// Every validation message, exactly as a user reads it.
import { describe, expect, test } from "bun:test";
import { loadText } from "../src/arc/index.ts";

const ok = [
  [1, 2],
  [3, 4],
];
const pair = { input: ok, output: ok };
const task = (over: Record<string, unknown>) => ({ train: [pair, pair], test: [{ input: ok }], ...over });
const row6 = [0, 1, 2, 3, 4, 5];

const CASES: [string, unknown, string][] = [
  [
    "ragged row",
    task({ train: [pair, { input: ok, output: [row6, row6, row6, [1, 2, 3, 4, 5]] }] }),
    "train[1].output row 3: 5 cells, expected 6",
  ],
  ["colour 10", task({ test: [{ input: [[1, 10]] }] }), "test[0].input row 0 col 1: 10 is not a colour 0..9"],
  [
    "colour -1",
    task({ train: [{ input: [[-1]], output: ok }] }),
    "train[0].input row 0 col 0: -1 is not a colour 0..9",
  ],
  [
    "colour 1.5",
    task({ train: [{ input: ok, output: [[1.5]] }] }),
    "train[0].output row 0 col 0: 1.5 is not a colour 0..9",
  ],
  [
    "huge number",
    task({ train: [{ input: [[1e308]], output: ok }] }),
    "train[0].input row 0 col 0: 1e+308 is not a colour 0..9",
  ],
  [
    "string cell",
    task({ train: [{ input: [["NaN"]], output: ok }] }),
    'train[0].input row 0 col 0: "NaN" is not a colour 0..9',
  ],
  [
    "null cell",
    task({ train: [{ input: [[null]], output: ok }] }),
    "train[0].input row 0 col 0: null is not a colour 0..9",
  ],
  [
    "several bad cells",
    task({ train: [{ input: [[10, 11, 12]], output: ok }] }),
    "train[0].input row 0 col 0: 10 is not a colour 0..9 (and 2 more problems)",
  ],
  ["0 rows", task({ train: [{ input: [], output: ok }] }), "train[0].input: 0 rows, expected 1..30"],
  [
    "31 rows",
    task({ train: [{ input: Array(31).fill([1]), output: ok }] }),
    "train[0].input: 31 rows, expected 1..30",
  ],
  [
    "empty row",
    task({ train: [{ input: [[]], output: ok }] }),
    "train[0].input row 0: 0 cells, expected 1..30",
  ],
  [
    "31 columns",
    task({ train: [{ input: [Array(31).fill(1)], output: ok }] }),
    "train[0].input row 0: 31 cells, expected 1..30",
  ],
  [
    "row not a list",
    task({ train: [{ input: [5], output: ok }] }),
    "train[0].input row 0: expected a row (a list of colours), got 5",
  ],
  [
    "grid not a list",
    task({ train: [{ input: "abc", output: ok }] }),
    'train[0].input: expected a grid (a list of rows), got "abc"',
  ],
  [
    "grid is an object",
    task({ train: [{ input: { rows: 1 }, output: ok }] }),
    "train[0].input: expected a grid (a list of rows), got an object",
  ],
  ["missing output", task({ train: [pair, { input: ok }] }), "train[1].output: missing"],
  ["missing input", task({ train: [{ output: ok }] }), "train[0].input: missing"],
  ["pair not an object", task({ train: [7] }), "train[0]: expected an object with input and output, got 7"],
  [
    "pair is a list",
    task({ train: [[ok, ok]] }),
    "train[0]: expected an object with input and output, got a list",
  ],
  ["no train pairs", task({ train: [] }), "train: empty, expected at least 1 pair"],
  ["train missing", { test: [{ input: ok }] }, "train: missing"],
  ["train not a list", task({ train: { a: pair } }), "train: expected a list of pairs, got an object"],
  ["no test inputs", task({ test: [] }), "test: empty, expected at least 1 test input"],
  ["test missing", { train: [pair] }, "test: missing"],
  ["test input missing", task({ test: [{ output: ok }] }), "test[0].input: missing"],
  ["test not a list", task({ test: null }), "test: expected a list of test inputs, got null"],
  ["test entry not an object", task({ test: [ok] }), "test[0]: expected an object with an input, got a list"],
  [
    "bad test output",
    task({ test: [{ input: ok, output: [[1], [2, 3]] }] }),
    "test[0].output row 1: 2 cells, expected 1",
  ],
  ["task is a number", 42, "expected an object with train and test, got 42"],
  ["task is a list", [pair], "expected an object with train and test, got a list"],
  ["task is a string", "x".repeat(40), `expected an object with train and test, got "${"x".repeat(24)}..."`],
];

describe("validation messages (Kaggle file)", () => {
  test.each(CASES)("%s", (_, value, message) => {
    const text = JSON.stringify({ "00576224": value, good0001: task({}) });
    const result = loadText(text, "evaluation.json");
    expect(result.tasks.map((t) => t.id)).toEqual(["good0001"]);
    expect(result.errors.map(String)).toEqual([
      `evaluation.json: task 00576224${message.startsWith("expected") ? ":" : ""} ${message}`,
    ]);
    const [error] = result.errors;
    expect(error!.file).toBe("evaluation.json");
    expect(error!.taskId).toBe("00576224");
  });
});

describe("validation messages (single task file)", () => {
  test.each(CASES)("%s", (_, value, message) => {
    const result = loadText(JSON.stringify(value), "tasks/00576224.json");
    expect(result.tasks).toEqual([]);
    // A value that is not a task at all is not recognised as the single-task layout.
    const isTaskShaped = typeof value === "object" && value !== null && !Array.isArray(value);
    if (isTaskShaped)
      expect(result.errors.map(String)).toEqual([`tasks/00576224.json: task 00576224 ${message}`]);
    else expect(result.errors).toHaveLength(1);
  });
});

describe("tolerated content", () => {
  test("extra keys (name, description) are ignored", () => {
    const text = JSON.stringify({ a: { ...task({}), name: "x", description: { any: 1 } } });
    const result = loadText(text, "f.json");
    expect(result.errors).toEqual([]);
    expect(result.tasks[0]!.train).toHaveLength(2);
  });

  test("a 30 x 30 grid and a 1 x 1 grid are fine", () => {
    const big = Array.from({ length: 30 }, () => Array(30).fill(9));
    const result = loadText(
      JSON.stringify({ a: task({ train: [{ input: big, output: [[0]] }] }) }),
      "f.json",
    );
    expect(result.errors).toEqual([]);
  });

  test("error objects carry the fields and a JSON form", () => {
    const result = loadText(JSON.stringify({ t1: task({ test: [] }) }), "f.json");
    expect(JSON.parse(JSON.stringify(result.errors[0]))).toEqual({
      file: "f.json",
      taskId: "t1",
      path: "test",
      message: "empty, expected at least 1 test input",
      text: "f.json: task t1 test: empty, expected at least 1 test input",
    });
  });
});

describe("problem counting", () => {
  test("one bad cell that breaks two rules counts once", () => {
    const value = { train: [{ input: [[9.5, 12.5]], output: [[1]] }], test: [{ input: [[1]] }] };
    const result = loadText(JSON.stringify({ t: value }), "f.json");
    expect(result.errors.map(String)).toEqual([
      "f.json: task t train[0].input row 0 col 0: 9.5 is not a colour 0..9 (and 1 more problem)",
    ]);
  });
});
