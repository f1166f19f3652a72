// `ttt solve` end to end: the real command in a child process, real worker processes, real ONNX
// Runtime training. The colour-map family (src/models/colour-map.ts) keeps these runs to seconds; the
// default family's run (several fixture tasks) is at the end. Nothing here waits a fixed time: the Ctrl-C
// test signals once the run has surely kept an answer (a marker file the stuck model writes).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSubmissionCovers, loadSolutions, readSubmission } from "../src/arc/index.ts";
import { runTtt, spawnTtt } from "./helpers/cli.ts";
import { StreamText, waitFor } from "./support/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-solve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, TTT_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" };

const ttt = (...args: string[]) => spawnTtt(["solve", ...args], env);

describe("usage errors exit 2 with a clear message", () => {
  test.each([
    [["--time-budget", "soon"], /--time-budget "soon": expected e\.g\. 12h, 90m, 45s, 1h30m/],
    [["--time-per-task", "0s"], /--time-per-task must be more than zero/],
    [["--ep", "tpu"], /--ep must be auto, cuda, webgpu or cpu/],
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

describe("a real run (colour-map family, CPU)", () => {
  const out = join(dir, "sub.json");
  const runDir = join(dir, "run");
  let r: Awaited<ReturnType<typeof ttt>>;
  beforeAll(async () => {
    r = await ttt(
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
  });

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

// The default model family (multitensor), trained for real through the CLI on the fixture tasks it learns
// in a few hundred steps, for a fixed number of steps (so the answers do not depend on the machine's
// speed), two workers. The other fixtures (fill-enclosed, crop-object, scale-2x) need more steps than a
// test should pay for.
const EASY = ["recolour-1-to-2", "flip-horizontal", "transpose", "swap-colours"];
const MT_STEPS = 200;
describe(`default family: ${EASY.length} easy fixture tasks, ${MT_STEPS} steps each, answered right`, () => {
  const out = join(dir, "mt.json");
  // biome-ignore lint/suspicious/noExplicitAny: report.json as the CLI prints it
  let report: any;
  // biome-ignore lint/suspicious/noExplicitAny: one task of that report
  let by: Record<string, any>;
  beforeAll(async () => {
    const r = await ttt(
      "fixtures/tasks_challenges.json",
      "--tasks",
      EASY.join(","),
      "-o",
      out,
      "--run-dir",
      join(dir, "mt"),
      "--ep",
      "cpu",
      "--steps",
      String(MT_STEPS),
      "--patience",
      "0",
      "--workers",
      "2",
      "--json",
    );
    if (r.code !== 0) throw new Error(`ttt solve (default family) exit ${r.code}: ${r.stderr}`);
    report = JSON.parse(r.stdout);
    by = Object.fromEntries(report.tasks.map((t: { id: string }) => [t.id, t]));
  }, 240_000);

  test("the default family ran; a valid submission for every task", async () => {
    expect(report.settings.family).toBe("multitensor");
    expect(report.state).toBe("finished");
    expect(readSubmission(out).errors).toEqual([]);
    const sol = await loadSolutions("fixtures/tasks_solutions.json");
    const mine = new Map([...sol.solutions].filter(([id]) => EASY.includes(id)));
    expect(checkSubmissionCovers(readSubmission(out).submission, mine, out)).toEqual([]);
  });

  test.each(EASY)("%s: every step trained, every test output right", async (id) => {
    const sol = await loadSolutions("fixtures/tasks_solutions.json");
    expect(by[id]).toMatchObject({ status: "ok", stop: "steps", steps: MT_STEPS });
    expect(by[id].correct).toEqual(sol.solutions.get(id)!.map(() => true));
    expect(by[id].finalLoss).toBeLessThan(by[id].lossCurve[0][1]);
  });

  test("score 1", () => {
    expect(report.totals.score).toMatchObject({ score: 1, tasks: EASY.length });
  });
});

/**
 * A family module (written at run time) whose model hangs from its second decode on: a task stuck mid-run.
 * Before it hangs it writes `marker`: the first chunk's answers were sent to the run before that decode.
 */
function stuckFamily(name: string, marker: string): string {
  const file = join(dir, `${name}-family.ts`);
  writeFileSync(
    file,
    `import { writeFileSync } from "node:fs";
import { colourMapFamily } from ${JSON.stringify(join(process.cwd(), "src/models/colour-map.ts"))};
let calls = 0;
export const family = {
  name: "stuck",
  build(task, o) {
    const m = colourMapFamily.build(task, o);
    return {
      ...m,
      decode(out) {
        if (++calls > 1) {
          writeFileSync(${JSON.stringify(marker)}, task.id);
          Bun.sleepSync(60_000);
        }
        return m.decode(out);
      },
    };
  },
};
`,
  );
  return file;
}

test("--copies 2: each task trains two copies whose votes the record and ttt show give", async () => {
  const run = join(dir, "copies");
  const r = await ttt(
    "fixtures/tasks_challenges.json",
    "--tasks",
    "recolour-1-to-2,swap-colours",
    "-o",
    join(dir, "copies.json"),
    "--run-dir",
    run,
    "--ep",
    "cpu",
    "--steps",
    "150",
    "--copies",
    "2",
    "--json",
  );
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.settings).toMatchObject({ copies: 2, restarts: false });
  for (const t of report.tasks) expect(t).toMatchObject({ status: "ok", copies: 2, restarts: 0 });
  const record = JSON.parse(readFileSync(join(run, "tasks", "recolour-1-to-2.json"), "utf8"));
  for (const a of record.answers) {
    expect(a.votes.length).toBe(a.attempts.length);
    for (const v of a.votes) expect(v >= 1 && v <= 2).toBe(true);
  }
  const show = runTtt([
    "show",
    "fixtures/tasks_challenges.json",
    "--task",
    "recolour-1-to-2",
    "--run-dir",
    run,
  ]);
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(/attempt 1 .*\/2 copies/);
  const bad = runTtt(["solve", "fixtures/tasks_challenges.json", "--copies", "0"]);
  expect([bad.code, bad.stderr]).toEqual([
    2,
    expect.stringContaining("--copies must be auto or a whole number"),
  ]);
}, 240_000);

test("--time-budget: a stuck task is killed in time, keeps its answers, and the run ends before the budget", async () => {
  const out = join(dir, "budget.json");
  const runDir = join(dir, "budget");
  const r = await ttt(
    "fixtures/tasks_challenges.json",
    "--tasks",
    "swap-colours,recolour-1-to-2",
    "-o",
    out,
    "--run-dir",
    runDir,
    "--family",
    stuckFamily("budget", join(dir, "budget-stuck")),
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
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  // The run's own account of its length (its clock, which the budget is about) is within the budget.
  expect(report.totals.seconds).toBeLessThanOrEqual(7);
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
  const marker = join(dir, "sigint-stuck");
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
      stuckFamily("sigint", marker),
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
  // The first task's first chunk is done and its answers sent (its record is not written yet, the answers
  // are only live) once its model hangs in the second decode.
  const stderr = new StreamText(p.stderr);
  await waitFor(() => existsSync(marker), {
    what: "the stuck model's marker (the first task's first chunk done)",
    process: p,
    detail: () => stderr.text,
  });
  expect(readFileSync(marker, "utf8")).toBe("recolour-1-to-2");
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
