// Fuzz: 1200 generated malformed task files (broken JSON, wrong types, bad colours, ragged rows, bad
// sizes, missing keys, huge numbers, NaN-ish strings, nested garbage). Each must give one clear error
// naming the file, the task and the field, never a crash, and the good tasks beside it must still load.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTasks, Rng } from "../src/arc/index.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";

// biome-ignore lint/suspicious/noExplicitAny: fuzzed JSON of any shape, taken apart and mutated freely
type Json = any;
const FIX = join(PROJECT_ROOT, "fixtures", "tasks");
const BASE: [string, Json][] = readdirSync(FIX)
  .sort()
  .map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(FIX, f), "utf8"))]);
const tmp = mkdtempSync(join(tmpdir(), "ttt-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const clone = (x: Json): Json => JSON.parse(JSON.stringify(x));

// Values that are not colours; RAW:... is written into the text as is (JSON.stringify cannot make it).
const BAD_CELLS: Json[] = [
  10,
  -1,
  1.5,
  1e308,
  -1e308,
  "RAW:1e400",
  "RAW:-0.0001",
  99,
  "NaN",
  "Infinity",
  "nan",
  "3",
  "",
  null,
  true,
  false,
  {},
  [],
  [3],
  { v: 1 },
];
const BAD_THINGS: Json[] = [null, 5, -3.5, "abc", "NaN", true, {}, { rows: [[1]] }, "RAW:1e400"];
const nested = (rng: Rng): Json => {
  let x: Json = rng.pick([1, "x", null, 1e308, {}]);
  for (let d = rng.between(1, 60); d > 0; d--)
    x = rng.chance(0.5) ? [x, rng.int(12)] : { [rng.pick(["a", "input", "train"])]: x };
  return x;
};

interface Case {
  value: Json;
  /** The path the error must start with ("" when the whole task is wrong). */
  path: string;
}

/** Break one task in one way; returns the broken task and where the error must point. */
function breakTask(rng: Rng, task: Json): Case {
  const t = clone(task);
  const section = rng.pick(["train", "test"]) as "train" | "test";
  const i = rng.int(t[section].length);
  const field = section === "train" || t.test[i].output ? rng.pick(["input", "output"]) : "input";
  const grid: number[][] = t[section][i][field];
  const at = `${section}[${i}].${field}`;
  const r = rng.int(grid.length);
  const c = rng.int(grid[r]!.length);
  switch (rng.int(13)) {
    case 0:
    case 1: // a cell that is not a colour
      (grid[r] as Json[])[c] = rng.pick(BAD_CELLS);
      return { value: t, path: `${at} row ${r} col ${c}` };
    case 2: {
      // a ragged row (rows 1.. get one cell more or fewer)
      const row = 1 + rng.int(grid.length - 1);
      if (grid[row]!.length > 1 && rng.chance(0.5)) grid[row]!.pop();
      else grid[row]!.push(0);
      return { value: t, path: `${at} row ${row}` };
    }
    case 3: // 0 or 31 rows
      t[section][i][field] = rng.chance(0.5) ? [] : Array.from({ length: 31 }, () => grid[0]!.slice());
      return { value: t, path: at };
    case 4: // an empty row or a 31-cell row (in every row, so it is not reported as ragged first)
      t[section][i][field] = grid.map(() => (rng.chance(0.5) ? [] : Array(31).fill(1)));
      return { value: t, path: `${at} row 0` };
    case 5: {
      // a missing key inside a pair (test outputs are optional, so a test pair loses its input)
      const key = section === "train" ? field : "input";
      delete t[section][i][key];
      return { value: t, path: `${section}[${i}].${key}` };
    }
    case 6: // a missing top-level key
      delete t[section];
      return { value: t, path: section };
    case 7: // a grid, a row or a pair of the wrong type
      if (rng.chance(0.4)) {
        t[section][i][field] = rng.pick(BAD_THINGS);
        return { value: t, path: at };
      }
      if (rng.chance(0.5)) {
        (grid as Json[])[r] = rng.pick(BAD_THINGS);
        return { value: t, path: `${at} row ${r}` };
      }
      t[section][i] = rng.pick([...BAD_THINGS, [grid, grid]]);
      return { value: t, path: `${section}[${i}]` };
    case 8: // train or test of the wrong type, or empty
      t[section] = rng.pick([[], {}, "train", 0, null, { 0: t[section][0] }]);
      return { value: t, path: section };
    case 9: // nested garbage in place of a grid, row or cell
      if (rng.chance(0.33)) t[section][i][field] = nested(rng);
      else if (rng.chance(0.5)) (grid as Json[])[r] = nested(rng);
      else (grid[r] as Json[])[c] = nested(rng);
      return { value: t, path: at };
    case 10: // the whole task replaced
      return {
        value: rng.pick([
          ...BAD_THINGS.filter((x) => x === null || typeof x !== "object" || Array.isArray(x)),
          [t],
          nested(rng),
        ]),
        path: "",
      };
    case 11: // a huge or fractional number somewhere in a grid, and extra keys that must be tolerated
      t.name = "extra keys are fine";
      t[section][i].note = { anything: [1, 2] };
      (grid[r] as Json[])[c] = rng.pick([1e308, 123456789, 0.5, 9.000001, "RAW:1e400"]);
      return { value: t, path: `${at} row ${r} col ${c}` };
    default: // a row that is a string of digits, a NaN-ish string, or a nested list
      (grid as Json[])[r] = rng.pick(["0123", "NaN", [[0, 1]], grid[r]!.map(String)]);
      return { value: t, path: `${at} row ${r}` };
  }
}

const toText = (value: Json) => JSON.stringify(value).replace(/"RAW:([^"]*)"/g, "$1");

/** Corrupt JSON text so that it no longer parses. */
function breakText(rng: Rng, text: string): string {
  for (;;) {
    const k = rng.int(text.length);
    const broken = rng.pick([
      () => text.slice(0, k),
      () => text.slice(0, k) + text.slice(k + 1),
      () =>
        text.slice(0, k) +
        rng.pick([",", "]", "}", "{", "[", ":", '"', "x", "NaN", "'", "\u0001", ",,", "undefined"]) +
        text.slice(k),
      () => text.replace(/\]\]/, "],]"),
      () => text.replace(/\}$/, ",}"),
      () => text.replace(/"train"/, "train"),
      () => text + rng.pick(["}", "]", " 1", "x", "{}"]),
    ])();
    try {
      JSON.parse(broken);
    } catch {
      return broken;
    }
  }
}

describe("fuzz: malformed task files", () => {
  const rng = new Rng(0xf0221);
  let checked = 0;

  test("600 Kaggle files: one bad task among good ones", async () => {
    for (let n = 0; n < 600; n++) {
      const picks = rng.shuffle(BASE).slice(0, 3);
      const badIndex = rng.int(3);
      const broken = breakTask(rng, picks[badIndex]![1]);
      const challenges: Json = {};
      picks.forEach(([id, task], k) => {
        challenges[id] = k === badIndex ? broken.value : task;
      });
      const file = join(tmp, `kaggle-${n}.json`);
      writeFileSync(file, toText(challenges));
      const result = await loadTasks(file);
      const badId = picks[badIndex]![0];
      expect(result.tasks.map((t) => t.id)).toEqual(picks.filter((_, k) => k !== badIndex).map(([id]) => id));
      expect(result.errors).toHaveLength(1);
      const [error] = result.errors;
      expect(error!.file).toBe(file);
      expect(error!.taskId).toBe(badId);
      expect(error!.path ?? "").toStartWith(broken.path);
      if (broken.path !== "") expect(error!.path).toBeTruthy();
      const where = error!.path === undefined ? `task ${badId}:` : `task ${badId} ${error!.path}:`;
      expect(error!.toString()).toStartWith(`${file}: ${where} `);
      expect(error!.message).not.toMatch(/undefined|\[object|Invalid (type|key|length)/);
      checked++;
    }
  });

  test("300 single-task files: the id is the file stem", async () => {
    for (let n = 0; n < 300; n++) {
      const [, task] = rng.pick(BASE);
      const broken = breakTask(rng, task);
      const file = join(tmp, `task-${n}.json`);
      writeFileSync(file, toText(broken.value));
      const result = await loadTasks(file);
      expect(result.tasks).toEqual([]);
      expect(result.errors).toHaveLength(1);
      const [error] = result.errors;
      expect(error!.file).toBe(file);
      const isObject =
        typeof broken.value === "object" && broken.value !== null && !Array.isArray(broken.value);
      if (isObject && ("train" in broken.value || "test" in broken.value)) {
        expect(error!.taskId).toBe(`task-${n}`);
        expect(error!.path ?? "").toStartWith(broken.path);
      }
      expect(error!.toString()).toStartWith(`${file}: `);
      expect(error!.message).not.toMatch(/undefined|\[object|Invalid (type|key|length)/);
      checked++;
    }
  });

  test("300 files of broken JSON: line and column, no tasks, no crash", async () => {
    for (let n = 0; n < 300; n++) {
      const [id, task] = rng.pick(BASE);
      const text = rng.chance(0.5)
        ? JSON.stringify({ [id]: task }, null, rng.pick([0, 1, 2]))
        : JSON.stringify(task, null, 2);
      const broken = breakText(rng, text);
      const file = join(tmp, `broken-${n}.json`);
      writeFileSync(file, broken);
      const result = await loadTasks(file);
      expect(result.tasks).toEqual([]);
      expect(result.errors).toHaveLength(1);
      const [error] = result.errors;
      expect(error!.taskId).toBeUndefined();
      expect(error!.toString()).toMatch(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: invalid JSON at line \\d+ column \\d+: \\S`,
        ),
      );
      const lines = broken.split("\n");
      expect(error!.line!).toBeLessThanOrEqual(lines.length);
      expect(error!.column!).toBeLessThanOrEqual(lines[error!.line! - 1]!.length + 1);
      checked++;
    }
  });

  test("at least 1000 malformed files were checked", () => {
    expect(checked).toBeGreaterThanOrEqual(1200);
  });
});
