// Loading every layout: Kaggle challenges (+ solutions), single task file, folder, stdin.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findSolutionsFile,
  gridsEqual,
  loadSolutions,
  loadTasks,
  solutionsPathFor,
  taskIdFromFile,
  testOutputsOf,
  withoutTestOutputs,
  type Task,
} from "../src/arc/index.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";

const FIX = join(PROJECT_ROOT, "fixtures");
const IDS = [
  "flip-horizontal",
  "recolour-1-to-2",
  "fill-enclosed",
  "crop-object",
  "transpose",
  "swap-colours",
  "scale-2x",
];
const tmp = mkdtempSync(join(tmpdir(), "ttt-load-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sameTasks = (a: Task[], b: Task[]) => {
  expect(a.map((t) => t.id)).toEqual(b.map((t) => t.id));
  a.forEach((t, i) => {
    const u = b[i]!;
    expect(t.train.length).toBe(u.train.length);
    t.train.forEach((p, j) => {
      expect(gridsEqual(p.input, u.train[j]!.input) && gridsEqual(p.output, u.train[j]!.output)).toBe(true);
    });
    t.test.forEach((p, j) => {
      expect(gridsEqual(p.input, u.test[j]!.input)).toBe(true);
    });
  });
};

describe("layouts", () => {
  test("Kaggle challenges without solutions: no test outputs", async () => {
    const r = await loadTasks(join(FIX, "tasks_challenges.json"));
    expect(r.layout).toBe("challenges");
    expect(r.errors).toEqual([]);
    expect(r.tasks.map((t) => t.id)).toEqual(IDS);
    expect(r.tasks.every((t) => t.test.every((p) => p.output === undefined))).toBe(true);
    expect(r.tasks.find((t) => t.id === "recolour-1-to-2")!.test).toHaveLength(2);
  });

  test("Kaggle challenges with solutions found by naming", async () => {
    const r = await loadTasks(join(FIX, "tasks_challenges.json"), { solutions: "auto" });
    expect(r.errors).toEqual([]);
    expect(r.tasks.every((t) => testOutputsOf(t) !== undefined)).toBe(true);
  });

  test("Kaggle challenges with an explicit solutions file", async () => {
    const r = await loadTasks(join(FIX, "tasks_challenges.json"), {
      solutions: join(FIX, "tasks_solutions.json"),
    });
    expect(r.errors).toEqual([]);
    expect(r.tasks.every((t) => testOutputsOf(t) !== undefined)).toBe(true);
  });

  test("single task file: id is the file stem, test outputs are solutions", async () => {
    const r = await loadTasks(join(FIX, "tasks", "scale-2x.json"));
    expect(r.layout).toBe("task");
    expect(r.errors).toEqual([]);
    expect(r.tasks.map((t) => t.id)).toEqual(["scale-2x"]);
    const out = r.tasks[0]!.test[0]!.output!;
    expect(out.height).toBe(2 * r.tasks[0]!.test[0]!.input.height);
  });

  test("folder of task files equals the Kaggle layout with solutions", async () => {
    const folder = await loadTasks(join(FIX, "tasks"));
    const kaggle = await loadTasks(join(FIX, "tasks_challenges.json"), { solutions: "auto" });
    expect(folder.layout).toBe("folder");
    expect(folder.errors).toEqual([]);
    const byId = (ts: Task[]) => [...ts].sort((a, b) => (a.id < b.id ? -1 : 1));
    sameTasks(byId(folder.tasks), byId(kaggle.tasks));
    for (const t of byId(folder.tasks)) {
      const k = kaggle.tasks.find((x) => x.id === t.id)!;
      testOutputsOf(t)!.forEach((g, i) => {
        expect(gridsEqual(g, testOutputsOf(k)![i]!)).toBe(true);
      });
    }
  });

  test("stdin (-): single task and Kaggle file", async () => {
    const single = readFileSync(join(FIX, "tasks", "transpose.json"), "utf8");
    const r1 = await loadTasks("-", { readStdin: async () => single });
    expect(r1.tasks.map((t) => t.id)).toEqual(["stdin"]);
    const kaggle = readFileSync(join(FIX, "tasks_challenges.json"), "utf8");
    const r2 = await loadTasks("-", { readStdin: async () => kaggle });
    expect(r2.tasks.map((t) => t.id)).toEqual(IDS);
    const r3 = await loadTasks("-", { readStdin: async () => "{oops" });
    expect(r3.errors.map(String)).toEqual([
      "<stdin>: invalid JSON at line 1 column 2: unexpected 'oops', expected a property name in double quotes or '}'",
    ]);
  });

  test("a folder pairs *_challenges.json with *_solutions.json", async () => {
    const dir = join(tmp, "kaggle-folder");
    mkdirSync(dir);
    for (const f of ["tasks_challenges.json", "tasks_solutions.json"])
      writeFileSync(join(dir, f), readFileSync(join(FIX, f)));
    const without = await loadTasks(dir);
    expect(without.errors).toEqual([]);
    expect(without.tasks.map((t) => t.id)).toEqual(IDS);
    const withSolutions = await loadTasks(dir, { solutions: "auto" });
    expect(withSolutions.tasks.every((t) => testOutputsOf(t) !== undefined)).toBe(true);
  });
});

describe("problems while loading", () => {
  test("bad_tasks.json: good tasks load, one error per bad task", async () => {
    const file = join(FIX, "bad_tasks.json");
    const r = await loadTasks(file);
    expect(r.tasks.map((t) => t.id)).toEqual(["flip-horizontal", "transpose"]);
    expect(r.errors.map(String)).toEqual([
      `${file}: task ragged-row train[1].output row 2: 5 cells, expected 6`,
      `${file}: task colour-ten test[0].input row 0 col 1: 10 is not a colour 0..9`,
      `${file}: task no-train-pairs train: empty, expected at least 1 pair`,
      `${file}: task missing-test-input test[0].input: missing`,
    ]);
  });

  test.each([
    ["missing file", "nope.json", "nope.json: cannot read: no such file or folder"],
    [
      "top-level list",
      "[]",
      "f.json: expected a task ({train, test}) or an object of tasks by id, got a list",
    ],
    ["top-level number", "3", "f.json: expected a task ({train, test}) or an object of tasks by id, got 3"],
    ["empty object", "{}", "f.json: no tasks in the file"],
    [
      "solutions file given as tasks",
      '{"a": [[[1]]]}',
      "f.json: this is a solutions file ({id: [grid]}); load it with its challenges file",
    ],
  ])("%s", async (_, content, message) => {
    if (content === "nope.json") {
      const r = await loadTasks("nope.json");
      expect(r.errors.map(String)).toEqual([message]);
      return;
    }
    const file = join(tmp, "f.json");
    writeFileSync(file, content);
    const r = await loadTasks(file);
    expect(r.tasks).toEqual([]);
    expect(r.errors.map(String)).toEqual([message.replace("f.json", file)]);
  });

  test("solutions that do not fit: wrong count, unknown id, bad grid", async () => {
    const dir = join(tmp, "misfit");
    mkdirSync(dir);
    const ok = [[1]];
    const task = { train: [{ input: ok, output: ok }], test: [{ input: ok }] };
    writeFileSync(join(dir, "x_challenges.json"), JSON.stringify({ a: task, b: task, c: task }));
    writeFileSync(
      join(dir, "x_solutions.json"),
      JSON.stringify({ a: [ok, ok], b: [[[1, 2], [3]]], c: [ok], zz: [ok] }),
    );
    const r = await loadTasks(join(dir, "x_challenges.json"), { solutions: "auto" });
    const sol = join(dir, "x_solutions.json");
    expect(r.tasks.map((t) => t.id)).toEqual(["a", "b", "c"]);
    expect(r.errors.map(String)).toEqual([
      `${sol}: task b test[0].output row 1: 1 cells, expected 2`,
      `${sol}: task a: 2 output grids, expected 1 (one per test input)`,
      `${sol}: task zz: solution for a task that is not in the challenges`,
    ]);
    expect(testOutputsOf(r.tasks[2]!)).toBeDefined();
    expect(testOutputsOf(r.tasks[0]!)).toBeUndefined();
  });

  test("tasks and solutions keep the file's order, all-digit ids included", async () => {
    const dir = join(tmp, "order");
    mkdirSync(dir);
    const ok = [[1]];
    const task = { train: [{ input: ok, output: ok }], test: [{ input: ok }] };
    const ids = ["ffff0000", "13713586", "00576224", "42"];
    writeFileSync(
      join(dir, "o_challenges.json"),
      `{${ids.map((id) => `"${id}": ${JSON.stringify(task)}`).join(",")}}`,
    );
    writeFileSync(join(dir, "o_solutions.json"), `{${ids.map((id) => `"${id}": [[[1]]]`).join(",")}}`);
    const r = await loadTasks(join(dir, "o_challenges.json"), { solutions: "auto" });
    expect(r.errors).toEqual([]);
    expect(r.tasks.map((t) => t.id)).toEqual(ids);
    expect([...(await loadSolutions(join(dir, "o_solutions.json"))).solutions.keys()]).toEqual(ids);
  });

  test("duplicate ids in a folder", async () => {
    const dir = join(tmp, "dups");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const text = readFileSync(join(FIX, "tasks", "transpose.json"));
    writeFileSync(join(dir, "transpose.json"), text);
    writeFileSync(join(dir, "sub", "transpose.json"), text);
    writeFileSync(join(dir, "notes.txt"), "not json");
    const r = await loadTasks(dir);
    expect(r.tasks.map((t) => t.id)).toEqual(["transpose"]);
    expect(r.errors.map(String)).toEqual([
      `${join(dir, "transpose.json")}: task transpose: duplicate task id (already loaded from ${join(dir, "sub", "transpose.json")})`,
    ]);
  });

  test("an empty folder", async () => {
    const dir = join(tmp, "empty");
    mkdirSync(dir);
    expect((await loadTasks(dir)).errors.map(String)).toEqual([`${dir}: no .json files in the folder`]);
  });
});

describe("solutions", () => {
  test("naming: *_challenges.json -> *_solutions.json", () => {
    expect(solutionsPathFor("data/arc-agi_evaluation_challenges.json")).toBe(
      "data/arc-agi_evaluation_solutions.json",
    );
    expect(solutionsPathFor("tasks.json")).toBeUndefined();
    expect(findSolutionsFile(join(FIX, "tasks_challenges.json"))).toBe(join(FIX, "tasks_solutions.json"));
    expect(findSolutionsFile(join(FIX, "bad_challenges.json"))).toBeUndefined();
    expect(taskIdFromFile("a/b/007bbfb7.json")).toBe("007bbfb7");
  });

  test.each([
    ["Kaggle solutions file", "tasks_solutions.json"],
    ["challenges file (solutions beside it)", "tasks_challenges.json"],
    ["folder of task files", "tasks"],
  ])("loadSolutions from a %s", async (_, name) => {
    const r = await loadSolutions(join(FIX, name));
    expect(r.errors).toEqual([]);
    expect([...r.solutions.keys()].sort()).toEqual([...IDS].sort());
    expect(r.solutions.get("recolour-1-to-2")).toHaveLength(2);
  });

  test("loadSolutions from tasks without outputs names the missing output", async () => {
    const file = join(tmp, "nosol.json");
    writeFileSync(
      file,
      JSON.stringify({ train: [{ input: [[1]], output: [[1]] }], test: [{ input: [[1]] }] }),
    );
    const r = await loadSolutions(file);
    expect(r.errors.map(String)).toEqual([`${file}: task nosol test[0].output: unknown (no solution given)`]);
  });

  test("withoutTestOutputs hides the solutions", async () => {
    const r = await loadTasks(join(FIX, "tasks", "scale-2x.json"));
    const hidden = withoutTestOutputs(r.tasks[0]!);
    expect(hidden.test.every((t) => t.output === undefined)).toBe(true);
    expect(hidden.train).toBe(r.tasks[0]!.train);
  });
});
