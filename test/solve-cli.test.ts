// `ttt solve` end to end: the real command in a child process, real worker processes, real ONNX
// Runtime training. The colour-map family (src/models/colour-map.ts) keeps these runs to seconds; the
// default family's run is at the end.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSubmissionCovers, loadSolutions, readSubmission } from "../src/arc/index.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-solve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, TTT_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" };

async function ttt(...args: string[]) {
  const p = Bun.spawn([process.execPath, "src/cli/main.ts", "solve", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

describe("usage errors exit 2 with a clear message", () => {
  test.each([
    [["--time-budget", "soon"], /--time-budget "soon": expected e\.g\. 12h, 90m, 45s, 1h30m/],
    [["--time-per-task", "0s"], /--time-per-task must be more than zero/],
    [["--ep", "tpu"], /--ep must be auto, cuda or cpu/],
    [["--workers", "0"], /--workers must be an integer >= 1/],
    [["--steps", "1.5"], /--steps must be an integer >= 1/],
    [["--max-memory", "lots"], /--max-memory "lots"/],
    [["--tasks", "no-such-task"], /--tasks: no task no-such-task/],
    [["extra-arg"], /solve takes one tasks source/],
  ])("%p", async (args, message) => {
    const r = await ttt(
      "fixtures/tasks_challenges.json",
      ...(args as string[]),
      "--run-dir",
      join(dir, `usage-${Math.random()}`),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });
});

describe("a real run (colour-map family, CPU)", async () => {
  const out = join(dir, "sub.json");
  const runDir = join(dir, "run");
  const r = await ttt(
    "fixtures/tasks_challenges.json",
    "-o",
    out,
    "--run-dir",
    runDir,
    "--family",
    "colour-map",
    "--ep",
    "cpu",
    "--steps",
    "60",
    "--json",
  );

  test("exit 0, the report as JSON on stdout, one plain line per task on stderr", () => {
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.state).toBe("finished");
    expect(report.tasks).toHaveLength(7);
    const lines = r.stderr.split("\n").filter((l) => /^\[\d+\/7\] /.test(l));
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.includes("recolour-1-to-2"))).toMatch(
      /ok {2}\d+ steps \(\w+\) {2}\S+ {2}loss \S+ {2}conf [\d.]+(\/[\d.]+)? [\d.]+(\/[\d.]+)? {2}correct$/,
    );
  });

  test("a valid submission with the trivially easy tasks right", async () => {
    const sub = readSubmission(out);
    expect(sub.errors).toEqual([]);
    const sol = await loadSolutions("fixtures/tasks_solutions.json");
    expect(checkSubmissionCovers(sub.submission, sol.solutions, out)).toEqual([]);
    const report = JSON.parse(r.stdout);
    const by = Object.fromEntries(report.tasks.map((t: { id: string }) => [t.id, t]));
    expect(by["recolour-1-to-2"].correct).toEqual([true, true]);
    expect(by["swap-colours"].correct).toEqual([true]);
    expect(report.totals.score.passed).toEqual(expect.arrayContaining(["recolour-1-to-2", "swap-colours"]));
    for (const t of report.tasks) {
      expect(t.status).toBe("ok");
      expect(t.steps).toBeGreaterThan(0);
      expect(t.peakMemoryBytes).toBeGreaterThan(0);
      for (const c of t.confidences.flat()) expect(c >= 0 && c <= 1).toBe(true);
    }
  });

  test("the run directory holds a record per task and the report", () => {
    expect(existsSync(join(runDir, "report.json"))).toBe(true);
    expect(readFileSync(join(runDir, "journal.jsonl"), "utf8").trim().split("\n")).toHaveLength(7);
    expect(
      JSON.parse(readFileSync(join(runDir, "tasks", "swap-colours.json"), "utf8")).answers[0].attempts.length,
    ).toBeGreaterThan(0);
  });
});

test("bad tasks are reported and answered with [[0]]; two workers; text summary on stdout", async () => {
  const out = join(dir, "bad.json");
  const r = await ttt(
    "fixtures/bad_tasks.json",
    "-o",
    out,
    "--run-dir",
    join(dir, "bad"),
    "--family",
    "colour-map",
    "--ep",
    "cpu",
    "--steps",
    "20",
    "--workers",
    "2",
  );
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/ragged-row {2}invalid {2}- .*5 cells, expected 6/);
  expect(r.stdout).toMatch(/^tasks {5}6 \(2 answered, 0 skipped, 0 failed, 4 invalid\)$/m);
  const sub = JSON.parse(readFileSync(out, "utf8"));
  expect(Object.keys(sub).sort()).toEqual([
    "colour-ten",
    "flip-horizontal",
    "missing-test-input",
    "no-train-pairs",
    "ragged-row",
    "transpose",
  ]);
  expect(sub["colour-ten"]).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]);
});

test("nothing could be done: exit 1, still a valid submission", async () => {
  const file = join(dir, "all_bad.json");
  writeFileSync(file, JSON.stringify({ a: { train: [], test: [{ input: [[1]] }, { input: [[2]] }] } }));
  const out = join(dir, "all_bad_sub.json");
  const r = await ttt(file, "-o", out, "--run-dir", join(dir, "all-bad"), "--family", "colour-map");
  expect(r.code).toBe(1);
  expect(JSON.parse(readFileSync(out, "utf8"))).toEqual({
    a: [
      { attempt_1: [[0]], attempt_2: [[0]] },
      { attempt_1: [[0]], attempt_2: [[0]] },
    ],
  });
});

// The default model family on trivially easy tasks, for a fixed number of steps (deterministic).
const hasDefaultFamily = existsSync("src/models/multitensor/index.ts");
test.skipIf(!hasDefaultFamily)(
  "default family: trivially easy tasks answered right",
  async () => {
    const out = join(dir, "mt.json");
    const r = await ttt(
      "fixtures/tasks_challenges.json",
      "--tasks",
      "recolour-1-to-2,swap-colours",
      "-o",
      out,
      "--run-dir",
      join(dir, "mt"),
      "--ep",
      "cpu",
      "--steps",
      "400",
      "--patience",
      "0",
      "--json",
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(readSubmission(out).errors).toEqual([]);
    const by = Object.fromEntries(report.tasks.map((t: { id: string }) => [t.id, t]));
    expect(by["recolour-1-to-2"]).toMatchObject({
      status: "ok",
      stop: "steps",
      steps: 400,
      correct: [true, true],
    });
    expect(by["swap-colours"]).toMatchObject({ status: "ok", stop: "steps", steps: 400, correct: [true] });
    expect(report.totals.score.score).toBe(1);
  },
  90_000,
);

/** A family module (written at run time) whose model hangs from its second decode on: a task stuck mid-run. */
function stuckFamily(): string {
  const file = join(dir, "stuck-family.ts");
  writeFileSync(
    file,
    `import { colourMapFamily } from ${JSON.stringify(join(process.cwd(), "src/models/colour-map.ts"))};
let calls = 0;
export const family = {
  name: "stuck",
  build(task, o) {
    const m = colourMapFamily.build(task, o);
    return { ...m, decode(out) { if (++calls > 1) Bun.sleepSync(60_000); return m.decode(out); } };
  },
};
`,
  );
  return file;
}

test("--time-budget: a stuck task is killed in time, keeps its answers, and the run ends before the budget", async () => {
  const out = join(dir, "budget.json");
  const runDir = join(dir, "budget");
  const started = performance.now();
  const r = await ttt(
    "fixtures/tasks_challenges.json",
    "--tasks",
    "swap-colours,recolour-1-to-2",
    "-o",
    out,
    "--run-dir",
    runDir,
    "--family",
    stuckFamily(),
    "--ep",
    "cpu",
    "--time-budget",
    "7s",
    "--chunk",
    "5",
    "--steps",
    "1000",
    "--workers",
    "1",
    "--json",
  );
  const seconds = (performance.now() - started) / 1000;
  expect(seconds).toBeLessThan(7);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  // Tasks run in the order of the source file.
  const [first, second] = report.tasks;
  expect(first).toMatchObject({ id: "recolour-1-to-2", status: "ok", stop: "time", correct: [true, true] });
  expect(first.message).toMatch(/killed after .*kept the answers after step 5/);
  expect(second).toMatchObject({ id: "swap-colours", status: "skipped", stop: "no-time" });
  const sub = JSON.parse(readFileSync(out, "utf8"));
  expect(Object.keys(sub)).toEqual(["recolour-1-to-2", "swap-colours"]);
  expect(sub["swap-colours"]).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]);
}, 20_000);

test("Ctrl-C: the run stops at once with the answers so far, exit 130", async () => {
  const out = join(dir, "sigint.json");
  const runDir = join(dir, "sigint");
  const p = Bun.spawn(
    [
      process.execPath,
      "src/cli/main.ts",
      "solve",
      "fixtures/tasks_challenges.json",
      "--tasks",
      "swap-colours,recolour-1-to-2",
      "-o",
      out,
      "--run-dir",
      runDir,
      "--family",
      stuckFamily(),
      "--ep",
      "cpu",
      "--chunk",
      "5",
      "--steps",
      "1000",
      "--workers",
      "1",
    ],
    { stdout: "pipe", stderr: "pipe", env },
  );
  // Wait for the first task's first chunk (its record is not written yet, the answers are only live).
  for (let i = 0; i < 100 && !existsSync(join(runDir, "run.json")); i++) await Bun.sleep(50);
  await Bun.sleep(1500);
  p.kill("SIGINT");
  const code = await p.exited;
  expect(code).toBe(130);
  const report = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8"));
  expect(report.state).toBe("interrupted");
  expect(report.tasks[0]).toMatchObject({
    id: "recolour-1-to-2",
    status: "ok",
    stop: "interrupted",
    correct: [true, true],
  });
  expect(report.tasks[1]).toMatchObject({ id: "swap-colours", status: "skipped", stop: "interrupted" });
  expect(readSubmission(out).errors).toEqual([]);
}, 20_000);
