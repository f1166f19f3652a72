// `ttt solve --resume` with real processes and real training (colour-map family, exact step budgets, so
// answers do not depend on timing): kill -9 at seeded random moments and resume; damaged checkpoints
// (a flipped byte, a truncated manifest, a deleted file, every version damaged) detected, named and
// recovered from; a journal line cut short; a resume with other settings refused. The only fault
// injected into the solver itself is `stall` (test/helpers: a task that never ends its chunk), so the
// kill lands while a known task is surely in flight with known checkpoints.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../src/arc/index.ts";
import {
  FIXTURE as FIXTURE_ARG,
  FIXTURE_IDS,
  killResumeTrial,
  readResults,
  runSolve,
  solveArgs,
  startSolve,
  type Results,
  type TrialResult,
} from "./helpers/kill-resume.ts";
import { waitFor } from "./support/wait.ts";

const root = mkdtempSync(join(tmpdir(), "ttt-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const TRIALS = 20;

let ref: Results;
let refSeconds = 0;
beforeAll(async () => {
  // A warm-up run first: the reference's time sets the kill moments, and a cold first run (graph cache,
  // Bun's transpile cache) can take twice as long, which would put most kills after the end.
  const warm = await runSolve(solveArgs(join(root, "warm-up")));
  if (warm.code !== 0) throw new Error(`warm-up run failed: ${warm.stderr}`);
  const dir = join(root, "reference");
  const r = await runSolve(solveArgs(dir));
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  ref = readResults(dir);
  refSeconds = r.seconds;
});

describe(`kill -9 at a random moment, then --resume (${TRIALS} trials)`, () => {
  const results: TrialResult[] = [];
  // Kill moments from a seeded generator over the uninterrupted run's length (and a little past it).
  const rng = new Rng(20261124);
  const fractions = Array.from({ length: TRIALS }, () => 0.05 + 1.05 * rng.float());

  test.each(fractions.map((f, i) => [i + 1, f.toFixed(2), f] as const))(
    "trial %i: kill at %s of the uninterrupted run's time",
    async (i, _shown, f) => {
      const dir = join(root, `trial-${i}`);
      mkdirSync(dir);
      const r = await killResumeTrial(dir, Math.round(f * refSeconds * 1000), ref);
      results.push(r);
      expect(r.problems).toEqual([]);
    },
    60_000,
  );

  test("the trials covered kills in the middle of tasks", () => {
    const by = new Map<string, number>();
    for (const r of results) by.set(r.category, (by.get(r.category) ?? 0) + 1);
    console.log(
      `kill/resume trials (${results.length}): ${[...by].map(([k, n]) => `${k} ${n}`).join(", ")}; tasks kept ${results.reduce((s, r) => s + r.kept, 0)}, continued from a checkpoint ${results.reduce((s, r) => s + r.fromCheckpoint, 0)}; submission read valid ${results.reduce((s, r) => s + r.submissionReads, 0)} times`,
    );
    expect(results).toHaveLength(TRIALS);
    expect(results.filter((r) => r.fromCheckpoint > 0).length).toBeGreaterThanOrEqual(3);
    expect(results.filter((r) => r.kept > 0).length).toBeGreaterThanOrEqual(3);
  });
});

/**
 * A run killed while swap-colours (6th of 7) is stalled after step 1500: checkpoints v14 (step 1400) and
 * v15 (1500) exist, five tasks are finished. Copied for each damage case.
 */
const stalled = join(root, "stalled");
beforeAll(async () => {
  const run = startSolve(solveArgs(stalled, { steps: 2000 }), {
    TTT_INJECT_FAULT: "stall@swap-colours:1500",
  });
  const v15 = join(stalled, "run/checkpoints/swap-colours/v000015/manifest.json");
  await waitFor(() => existsSync(v15), {
    what: "the stalled run's swap-colours checkpoint v15 (step 1500)",
    process: run.proc,
    timeoutMs: 60_000,
    detail: () => run.stderr.text,
  });
  run.proc.kill("SIGKILL");
  await run.done;
});

let ref2000: Results;
beforeAll(async () => {
  const dir = join(root, "reference-2000");
  const r = await runSolve(solveArgs(dir, { steps: 2000 }));
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  ref2000 = readResults(dir);
});

/** Copy the stalled run, damage it, resume it; the resume's stderr, the swap-colours record, and the results. */
async function damagedResume(name: string, damage: (ckpt: string) => void) {
  const dir = join(root, name);
  cpSync(stalled, dir, { recursive: true });
  damage(join(dir, "run/checkpoints/swap-colours"));
  const r = await runSolve([...solveArgs(dir, { steps: 2000 }), "--resume"]);
  expect(r.code).toBe(0);
  const record = JSON.parse(readFileSync(join(dir, "run/tasks/swap-colours.json"), "utf8"));
  expect(readResults(dir)).toEqual(ref2000);
  return { stderr: r.stderr, record };
}

describe("damaged checkpoints are detected, named, and the previous good version is used", () => {
  test("undamaged: the stalled task goes on from v15 (step 1500)", async () => {
    const { record } = await damagedResume("undamaged", () => {});
    expect(record.resumedFrom).toEqual({ version: 15, step: 1500 });
    expect(record.checkpointProblems).toBeUndefined();
  }, 60_000);

  test("a flipped byte in state.bin: v15 rejected by its sha256, v14 used", async () => {
    const { stderr, record } = await damagedResume("flipped", (d) => {
      const f = join(d, "v000015/state.bin");
      const bytes = readFileSync(f);
      bytes[bytes.length >> 1] ^= 0x01;
      writeFileSync(f, bytes);
    });
    expect(stderr).toContain("checkpoints/swap-colours/v000015/state.bin: sha256 mismatch");
    expect(record.checkpointProblems).toEqual([
      "checkpoint checkpoints/swap-colours/v000015/state.bin: sha256 mismatch (damaged)",
    ]);
    expect(record.resumedFrom).toEqual({ version: 14, step: 1400 });
  }, 60_000);

  test("a truncated manifest: v15 rejected, v14 used", async () => {
    const { stderr, record } = await damagedResume("truncated-manifest", (d) =>
      truncateSync(join(d, "v000015/manifest.json"), 40),
    );
    expect(stderr).toContain("checkpoints/swap-colours/v000015/manifest.json: not valid JSON");
    expect(record.resumedFrom).toEqual({ version: 14, step: 1400 });
  }, 60_000);

  test("a truncated state file: its size disagrees with the manifest", async () => {
    const { record } = await damagedResume("truncated-state", (d) =>
      truncateSync(join(d, "v000015/state.bin"), 100),
    );
    expect(record.checkpointProblems[0]).toMatch(
      /v000015\/state\.bin: 100 bytes, the manifest says \d+ \(truncated or damaged\)/,
    );
    expect(record.resumedFrom).toEqual({ version: 14, step: 1400 });
  }, 60_000);

  test("a deleted file: v15 rejected as incomplete, v14 used", async () => {
    const { stderr, record } = await damagedResume("deleted", (d) => rmSync(join(d, "v000015/loop.json")));
    expect(stderr).toContain("checkpoints/swap-colours/v000015/loop.json: missing");
    expect(record.resumedFrom).toEqual({ version: 14, step: 1400 });
  }, 60_000);

  test("every version damaged: each named, the task starts afresh, same answers", async () => {
    const { record } = await damagedResume("all-damaged", (d) => {
      rmSync(join(d, "v000015/manifest.json"));
      writeFileSync(join(d, "v000014/loop.json"), "{}");
    });
    expect(record.checkpointProblems).toHaveLength(2);
    expect(record.checkpointProblems.join("\n")).toMatch(
      /v000015\/manifest\.json: missing[\s\S]*v000014\/loop\.json: \d+ bytes, the manifest says/,
    );
    expect(record.resumedFrom).toBeUndefined();
  }, 60_000);

  test("ttt checkpoints verify names the damaged file and exits 1; list shows the versions", async () => {
    const dir = join(root, "verify");
    cpSync(stalled, dir, { recursive: true });
    const cli = (...a: string[]) =>
      Bun.spawnSync([process.execPath, "src/cli/main.ts", "checkpoints", ...a], {
        env: { ...process.env, NO_COLOR: "1" },
      });
    expect(cli("verify", join(dir, "run")).exitCode).toBe(0);
    const list = cli("list", join(dir, "run")).stdout.toString();
    expect(list).toMatch(
      /swap-colours {2}\(checkpoints\/swap-colours\)\n {2}v000014 {2}step 1400 {2}loss \S+ {2}\S+ {2}try 1 {2}\S+ KiB\n {2}v000015 {2}step 1500/,
    );
    const f = join(dir, "run/checkpoints/swap-colours/v000014/state.bin");
    writeFileSync(f, readFileSync(f).subarray(0, 50));
    const v = cli("verify", join(dir, "run"));
    expect(v.exitCode).toBe(1);
    expect(v.stdout.toString()).toMatch(
      /^DAMAGED {2}checkpoints\/swap-colours\/v000014\/state\.bin: 50 bytes, the manifest says \d+/m,
    );
    const p = cli("prune", join(dir, "run"), "--keep", "1");
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString()).toContain("removed  checkpoints/swap-colours/v000014");
    expect(existsSync(join(dir, "run/checkpoints/swap-colours/v000015"))).toBe(true);
  }, 60_000);
});

describe("the run directory on resume", () => {
  test("a journal line cut short by the kill is dropped; that task is taken from its final checkpoint", async () => {
    const dir = join(root, "cut-journal");
    cpSync(stalled, dir, { recursive: true });
    const journal = join(dir, "run/journal.jsonl");
    const lines = readFileSync(journal, "utf8").trimEnd().split("\n");
    // The fifth task's line is cut in the middle: as if the kill came while it was being appended.
    writeFileSync(journal, `${lines.slice(0, 4).join("\n")}\n${lines[4]!.slice(0, 30)}`);
    const r = await runSolve([...solveArgs(dir, { steps: 2000 }), "--resume"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/journal\.jsonl line 5 is not a whole entry/);
    expect(readResults(dir)).toEqual(ref2000);
    const ids = readFileSync(journal, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).id);
    expect(ids.sort()).toEqual([...FIXTURE_IDS].sort());
    expect(JSON.parse(readFileSync(join(dir, "run/tasks/transpose.json"), "utf8")).resumedFrom).toEqual({
      version: 20,
      step: 2000,
    });
  }, 60_000);

  test("a resume with other settings is refused, naming run.json and the setting", async () => {
    const dir = join(root, "other-settings");
    cpSync(stalled, dir, { recursive: true });
    const r = await runSolve([...solveArgs(dir, { steps: 1000 }), "--resume"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `run directory ${join(dir, "run")}: run.json field "settings.steps" is 2000, this command asks 1000`,
    );
    const r2 = await runSolve([
      ...solveArgs(dir, { steps: 2000, extra: ["--tasks", "swap-colours"] }),
      "--resume",
    ]);
    expect(r2.stderr).toMatch(
      /run\.json field "tasks" lists 7 tasks, this command has 1 \(missing: flip-horizontal, recolour-1-to-2, fill-enclosed, \.\.\.\)/,
    );
  }, 60_000);

  test("--resume without --run-dir is a usage error (exit 2)", async () => {
    const r = await runSolve([FIXTURE_ARG, "--resume", "--family", "colour-map"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--resume needs --run-dir (the run directory to continue)");
  });

  test("without --resume an existing run is refused; --resume on an empty folder starts a new run", async () => {
    const dir = join(root, "no-resume");
    cpSync(stalled, dir, { recursive: true });
    const r = await runSolve(solveArgs(dir, { steps: 2000 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "already holds a run (choose another --run-dir, or add --resume to continue it)",
    );
    const fresh = join(root, "fresh");
    const f = await runSolve([...solveArgs(fresh, { steps: 20 }), "--resume", "--tasks", "swap-colours"]);
    expect(f.code).toBe(0);
    expect(f.stderr).toContain("nothing to resume in");
  }, 60_000);
});

describe("copies and restarts (default family): kill -9 after a checkpoint, --resume, the same submission", () => {
  // Two copies per task, restarts on (a per-task time far above what 240 steps take, so time never
  // binds and the answers do not depend on it), answers settling after 30 steps: each task restarts.
  const ids = ["recolour-1-to-2", "flip-horizontal"];
  const args = (dir: string) =>
    solveArgs(dir, {
      family: "multitensor",
      steps: 240,
      chunk: 10,
      patience: 30,
      tasks: ids,
      checkpointEvery: 20,
      extra: ["--copies", "2", "--time-per-task", "1h"],
    });
  test("restarted copies, killed mid-task, resumed: same answers, losses and submission", async () => {
    const refDir = join(root, "copies-ref");
    const r0 = await runSolve(args(refDir));
    expect(r0.code).toBe(0);
    const want = readResults(refDir, ids);
    const records = ids.map((id) =>
      JSON.parse(readFileSync(join(refDir, "run/tasks", `${id}.json`), "utf8")),
    );
    // a settled task stops once fewer than `patience` steps are left for fresh copies
    for (const r of records)
      expect([r.copies, ["steps", "stable"].includes(r.stop)]).toEqual([2 * (r.restarts + 1), true]);
    expect(records.some((r) => r.restarts > 0)).toBe(true);

    const dir = join(root, "copies-killed");
    const run = startSolve(args(dir));
    // one task finished, the other past its checkpoint at step 120 (after its first restart)
    const second = join(dir, "run/checkpoints");
    await waitFor(
      () =>
        existsSync(join(dir, "run/tasks")) &&
        ids.some((id) => existsSync(join(dir, "run/tasks", `${id}.json`))) &&
        ids.some(
          (id) =>
            !existsSync(join(dir, "run/tasks", `${id}.json`)) &&
            existsSync(join(second, id, "v000006", "manifest.json")),
        ),
      {
        what: "one task finished and the other's checkpoint v6 (step 120)",
        process: run.proc,
        timeoutMs: 120_000,
        detail: () => run.stderr.text,
      },
    );
    run.proc.kill("SIGKILL");
    await run.done;
    const r1 = await runSolve([...args(dir), "--resume"]);
    expect(r1.code).toBe(0);
    expect(r1.stderr).toContain("going on from");
    expect(readResults(dir, ids)).toEqual(want);
  }, 300_000);
});
