// Building a complete submission and writing it atomically.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildSubmission,
  gridFromRows,
  NO_ANSWER,
  readSubmission,
  writeSubmission,
} from "../src/arc/index.ts";
import { writeFileAtomic } from "../src/util/atomic-write.ts";
import { StreamText } from "./support/wait.ts";

const tmp = mkdtempSync(join(tmpdir(), "ttt-sub-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const A = gridFromRows([[1, 2]]);
const B = gridFromRows([[3]]);
const tasks = [
  { id: "t1", test: [{}, {}] },
  { id: "t2", test: [{}] },
  { id: "t3", test: [{}] },
];

describe("buildSubmission", () => {
  test("every id, both attempts, [[0]] where there is no answer", () => {
    const answers = new Map([
      ["t1", [[A, B], [A]]],
      ["t2", [undefined]],
    ]);
    expect(buildSubmission(tasks, answers)).toEqual({
      t1: [
        { attempt_1: [[1, 2]], attempt_2: [[3]] },
        { attempt_1: [[1, 2]], attempt_2: NO_ANSWER },
      ],
      t2: [{ attempt_1: [[0]], attempt_2: [[0]] }],
      t3: [{ attempt_1: [[0]], attempt_2: [[0]] }],
    });
  });

  test("a plain object of answers works too, and [[0]] rows are fresh arrays", () => {
    const sub = buildSubmission(tasks, { t3: [[B]] });
    expect(sub.t3).toEqual([{ attempt_1: [[3]], attempt_2: [[0]] }]);
    sub.t2![0]!.attempt_1[0]![0] = 7;
    expect(NO_ANSWER).toEqual([[0]]);
  });
});

describe("atomic writes", () => {
  test("write, overwrite, read back; no temporary files left", () => {
    const path = join(tmp, "submission.json");
    writeSubmission(path, buildSubmission(tasks));
    writeSubmission(path, buildSubmission(tasks, { t1: [[A], [B]] }));
    const back = readSubmission(path);
    expect(back.errors).toEqual([]);
    expect(back.submission.get("t1")![1]!.attempt_1).toEqual(B);
    expect(readdirSync(tmp)).toEqual(["submission.json"]);
  });

  test("a failed write leaves the old file and removes its temporary file", () => {
    const dir = join(tmp, "fail");
    mkdirSync(dir);
    const target = join(dir, "busy");
    mkdirSync(target); // renaming a file over a non-empty folder fails
    writeFileSync(join(target, "inside"), "x");
    expect(() => writeFileAtomic(target, "new")).toThrow();
    expect(readdirSync(dir)).toEqual(["busy"]);
    const file = join(dir, "keep.json");
    writeFileSync(file, "old");
    expect(() => writeFileAtomic(join(dir, "no-such-folder", "x.json"), "new")).toThrow();
    expect(readFileSync(file, "utf8")).toBe("old");
    expect(readdirSync(dir).sort()).toEqual(["busy", "keep.json"]);
  });

  test("a reader in another process never sees a partial file", async () => {
    const path = join(tmp, "many.json");
    const stop = join(tmp, "many.stop");
    writeFileAtomic(path, JSON.stringify({ i: -1 }));
    const reader = `
      const fs = require("node:fs");
      let reads = 0, torn = 0;
      while (!fs.existsSync(${JSON.stringify(stop)})) {
        try { JSON.parse(fs.readFileSync(${JSON.stringify(path)}, "utf8")); } catch { torn++; }
        if (++reads === 1) console.log("reading");
      }
      console.log(JSON.stringify({ reads, torn }));`;
    const child = Bun.spawn([process.execPath, "-e", reader], { stdout: "pipe" });
    const out = new StreamText(child.stdout);
    await out.waitForLine(/^reading$/, { what: "the reader's first read" });
    for (let i = 0; i < 60; i++)
      writeFileAtomic(path, JSON.stringify({ i, pad: "x".repeat(50_000 + i * 1000) }));
    writeFileSync(stop, "");
    const result = JSON.parse((await out.done).trimEnd().split("\n").at(-1)!);
    await child.exited;
    expect(result.reads).toBeGreaterThan(0);
    expect(result.torn).toBe(0);
    expect(JSON.parse(readFileSync(path, "utf8")).i).toBe(59);
  });
});
