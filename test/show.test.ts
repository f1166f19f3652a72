// `ttt show`: digits when piped or with NO_COLOR, ANSI background colours (256 or truecolor) when forced,
// a run's attempts with their confidences and wrong cells.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { colourMode, gridBlock, sideBySide, xterm256 } from "../src/report/index.ts";

/** An SGR colour sequence (ESC [ ... m); the escape character is the point, so the pattern is built from it. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

const dir = mkdtempSync(join(tmpdir(), "ttt-show-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function show(args: string[], env: Record<string, string | undefined> = {}) {
  const base: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    COLORTERM: undefined,
    ...env,
  };
  const p = Bun.spawn([process.execPath, "src/cli/main.ts", "show", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: base as Record<string, string>,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

describe("colour mode", () => {
  test("NO_COLOR, pipes, FORCE_COLOR, COLORTERM and --color", () => {
    expect(colourMode({}, true)).toBe("256");
    expect(colourMode({}, false)).toBe("none");
    expect(colourMode({ NO_COLOR: "1" }, true)).toBe("none");
    expect(colourMode({ FORCE_COLOR: "1" }, false)).toBe("256");
    expect(colourMode({ COLORTERM: "truecolor" }, true)).toBe("truecolor");
    expect(colourMode({ NO_COLOR: "1" }, true, "always")).toBe("256");
    expect(colourMode({}, true, "never")).toBe("none");
  });
  test("palette to xterm-256", () => {
    expect(xterm256(0)).toBe(16);
    expect(xterm256(5)).toBe(248);
    expect(new Set(Array.from({ length: 10 }, (_, c) => xterm256(c))).size).toBe(10);
  });
  test("blocks side by side keep their columns", () => {
    const a = gridBlock(
      "in",
      [
        [1, 2],
        [3, 4],
      ],
      "256",
    );
    const b = gridBlock("out", [[5]], "none");
    const lines = sideBySide([a, b]);
    expect(lines[0]).toBe("in     out");
    expect(lines[1]!.replace(SGR, "")).toBe("       5");
    expect(gridBlock("x", [[1, 2]], "256", [[1, 3]]).lines[0]).toContain("><");
  });
});

describe("ttt show", () => {
  test("piped: digits, no escape codes", async () => {
    const r = await show(["fixtures/tasks_challenges.json", "--task", "crop-object"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("task crop-object");
    expect(r.stdout).toContain("train 1 input");
    expect(r.stdout).not.toContain("\x1b[");
    expect(r.stdout).toMatch(/^[0-9]{4,}/m);
  });
  test("NO_COLOR wins over FORCE_COLOR-less auto; --color always forces 256 colours", async () => {
    const plain = await show(["fixtures/tasks_challenges.json", "--task", "crop-object"], { NO_COLOR: "1" });
    expect(plain.stdout).not.toContain("\x1b[");
    const forced = await show([
      "fixtures/tasks_challenges.json",
      "--task",
      "crop-object",
      "--color",
      "always",
    ]);
    expect(forced.stdout).toContain("\x1b[48;5;16m");
    expect(forced.stdout).toContain("\x1b[0m");
    const env = await show(["fixtures/tasks_challenges.json", "--task", "crop-object"], {
      FORCE_COLOR: "1",
      COLORTERM: "truecolor",
    });
    expect(env.stdout).toContain("\x1b[48;2;0;0;0m");
  });
  test("with a run directory: attempts, confidences, wrong cells", async () => {
    const run = join(dir, "run");
    mkdirSync(join(run, "tasks"), { recursive: true });
    writeFileSync(
      join(run, "run.json"),
      JSON.stringify({
        format: 2,
        source: "fixtures/tasks_challenges.json",
        tasks: [{ id: "swap-colours", record: "tasks/s.json" }],
      }),
    );
    const rec = {
      id: "swap-colours",
      status: "ok",
      stop: "stable",
      steps: 5,
      seconds: 0.5,
      setupSeconds: 0,
      stepsPerSecond: 10,
      finalLoss: 1,
      lossCurve: [],
      answers: [{ attempts: [[[0]]], confidences: [0.25], distinct: 1 }],
      correct: [false],
      score: 0,
    };
    writeFileSync(join(run, "tasks", "s.json"), JSON.stringify(rec));
    const r = await show(["fixtures/tasks_challenges.json", "--task", "swap-colours", "--run-dir", run]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("attempt 1 25% wrong");
    expect(r.stdout).toContain("truth");
    expect(r.stdout).toContain("status ok (stable), 5 steps");
  });
  test("an unknown task is a usage error", async () => {
    const r = await show(["fixtures/tasks_challenges.json", "--task", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no task nope");
  });
});
