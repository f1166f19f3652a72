// Faults with real processes and real training (colour-map family): a NaN loss, an error, memory over
// --max-memory and a worker killed by a signal, each injected into one task (TTT_INJECT_FAULT, see
// src/workers/fault-injection.ts) and retried once with a safer setting; a task failing twice keeps a
// fallback answer and the run goes on; a kill during a retry resumes the retry; two solves on one run
// directory (the second refuses, nothing corrupted); a lock left by a dead process; an unwritable run
// directory (a clear error before any work). Kills and second runs wait for checkpoint files (bounded
// waits that fail naming the file), never for a fixed time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { processId } from "../src/rundir/lock.ts";
import { readResults, runSolve, solveArgs, startSolve, type Results } from "./helpers/kill-resume.ts";
import { waitFor } from "./support/wait.ts";

const root = mkdtempSync(join(tmpdir(), "ttt-faults-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const record = (dir: string, id: string) =>
  JSON.parse(readFileSync(join(dir, "run/tasks", `${id}.json`), "utf8"));

let ref: Results;
beforeAll(async () => {
  const r = await runSolve(solveArgs(join(root, "reference")));
  if (r.code !== 0) throw new Error(r.stderr);
  ref = readResults(join(root, "reference"));
});

describe("faults inside tasks: one retry with a safer setting, the run goes on", () => {
  const dir = join(root, "faults");
  const faults = [
    "nan@recolour-1-to-2:200",
    "error@fill-enclosed:100",
    "memory@crop-object:100",
    "crash@transpose:100",
    "error@swap-colours:0#*",
    "nan@scale-2x:300#*",
  ].join(",");
  let r: Awaited<ReturnType<typeof runSolve>>;
  // biome-ignore lint/suspicious/noExplicitAny: report.json as written
  let report: any;
  // biome-ignore lint/suspicious/noExplicitAny: one task of that report
  let by: Record<string, any>;
  beforeAll(async () => {
    r = await runSolve(solveArgs(dir, { extra: ["--max-memory", "300M"] }), { TTT_INJECT_FAULT: faults });
    report = JSON.parse(readFileSync(join(dir, "run/report.json"), "utf8"));
    by = Object.fromEntries(report.tasks.map((t: { id: string }) => [t.id, t]));
  });

  test("the run finishes (exit 0) with every task recorded and a valid submission", () => {
    expect(r.code).toBe(0);
    expect(report.state).toBe("finished");
    expect(report.tasks).toHaveLength(7);
  });

  test("NaN loss: retried with the learning rate halved, answered right", () => {
    expect(by["recolour-1-to-2"]).toMatchObject({
      status: "ok",
      stop: "steps",
      steps: 1000,
      retry: "learning rate x0.5",
      correct: [true, true],
    });
    expect(by["recolour-1-to-2"].faults).toEqual([
      expect.objectContaining({ try: 1, stop: "nonfinite", error: "loss became NaN/Inf at step 201" }),
    ]);
    expect(r.stderr).toContain(
      "[recolour-1-to-2] loss became NaN/Inf at step 201; retrying once with learning rate x0.5",
    );
  });

  test("an ONNX Runtime error on the CPU: retried with a new seed", () => {
    expect(by["fill-enclosed"]).toMatchObject({ status: "ok", stop: "steps", steps: 1000 });
    expect(by["fill-enclosed"].retry).toMatch(/^new seed \d+$/);
    expect(by["fill-enclosed"].faults[0]).toMatchObject({
      try: 1,
      stop: "error",
      error: "injected fault: the ONNX Runtime session run failed at step 100",
    });
    expect(by["fill-enclosed"].plan.seed).toBe(Number(by["fill-enclosed"].retry.split(" ")[2]));
  });

  test("memory over --max-memory: caught after the chunk, retried with smaller chunks in a fresh worker", () => {
    expect(by["crop-object"]).toMatchObject({
      status: "ok",
      stop: "steps",
      steps: 1000,
      retry: "chunk 5 -> 1",
    });
    expect(by["crop-object"].faults[0].stop).toBe("memory");
    expect(by["crop-object"].faults[0].error).toMatch(
      /^the task took \d+ MiB of memory \(peak \d+ MiB\), over --max-memory 300 MiB$/,
    );
    expect(by["crop-object"].plan.chunk).toBe(1);
  });

  test("a worker killed by a signal (as by the OOM killer): retried with smaller chunks", () => {
    expect(by.transpose).toMatchObject({ status: "ok", stop: "steps", steps: 1000, retry: "chunk 5 -> 1" });
    expect(by.transpose.faults[0].error).toMatch(/^worker process ended \(SIGKILL\)/);
  });

  test("failing twice with no answer: both errors recorded, the test inputs as the fallback answer", () => {
    const t = by["swap-colours"];
    expect(t).toMatchObject({
      status: "failed",
      stop: "error",
      fallback: "the test inputs as they are: no try gave an answer",
    });
    expect(t.faults.map((f: { try: number }) => f.try)).toEqual([1, 2]);
    expect(t.message).toBe("injected fault: the ONNX Runtime session run failed at step 0");
    const sub = JSON.parse(readFileSync(join(dir, "submission.json"), "utf8"));
    const task = JSON.parse(readFileSync("fixtures/tasks_challenges.json", "utf8"))["swap-colours"];
    expect(sub["swap-colours"]).toEqual([{ attempt_1: task.test[0].input, attempt_2: [[0]] }]);
  });

  test("failing twice after some answers: the answers from before the NaN are kept", () => {
    const t = by["scale-2x"];
    expect(t).toMatchObject({ status: "ok", stop: "nonfinite", steps: 305 });
    expect(t.faults.map((f: { error: string }) => f.error)).toEqual([
      "loss became NaN/Inf at step 301",
      "loss became NaN/Inf at step 301",
    ]);
  });

  test("tasks without a fault are untouched: same answers as a run without faults", () => {
    expect(record(dir, "flip-horizontal").answers).toEqual(ref.tasks["flip-horizontal"]!.answers);
    expect(by["flip-horizontal"].faults).toBeUndefined();
  });
});

test("killed during a retry: --resume goes on with the retry from its checkpoint, same answers", async () => {
  const nan = "nan@swap-colours:100";
  const refDir = join(root, "retry-ref");
  expect((await runSolve(solveArgs(refDir), { TTT_INJECT_FAULT: nan })).code).toBe(0);
  const dir = join(root, "retry-kill");
  const run = startSolve(solveArgs(dir), { TTT_INJECT_FAULT: `${nan},stall@swap-colours:600#2` });
  const marker = join(dir, "run/checkpoints/swap-colours");
  const atStep600 = () =>
    existsSync(marker) &&
    readdirSync(marker).some(
      (v) =>
        /^v\d+$/.test(v) && readFileSync(join(marker, v, "manifest.json"), "utf8").includes('"step": 600'),
    );
  await waitFor(atStep600, {
    what: "swap-colours's retry checkpoint at step 600",
    process: run.proc,
    detail: () => run.stderr.text,
    timeoutMs: 60_000,
  });
  run.proc.kill("SIGKILL");
  await run.done;
  const resumed = await runSolve([...solveArgs(dir), "--resume"], { TTT_INJECT_FAULT: nan });
  expect(resumed.code).toBe(0);
  expect(readResults(dir)).toEqual(readResults(refDir));
  const rec = record(dir, "swap-colours");
  expect(rec).toMatchObject({ retry: "learning rate x0.5", resumedFrom: { step: 600 } });
  expect(rec.faults).toEqual([expect.objectContaining({ try: 1, stop: "nonfinite" })]);
}, 90_000);

test("two solves on one run directory: the second refuses naming the first's pid; nothing is corrupted", async () => {
  const dir = join(root, "concurrent");
  // The first run stalls in swap-colours after its checkpoint at step 100, so it surely holds the lock
  // while the others try; it is then killed and resumed (the answers do not change: the steps are exact).
  const first = startSolve(solveArgs(dir), { TTT_INJECT_FAULT: "stall@swap-colours:100" });
  const lock = join(dir, "run/lock");
  await waitFor(() => existsSync(join(dir, "run/checkpoints/swap-colours/v000001/manifest.json")), {
    what: "the first run's swap-colours checkpoint at step 100",
    process: first.proc,
    detail: () => first.stderr.text,
    timeoutMs: 60_000,
  });
  const runJson = readFileSync(join(dir, "run/run.json"), "utf8");
  const holder = `is in use by ttt solve (pid ${first.proc.pid}`;
  const second = await runSolve([...solveArgs(dir, { output: join(dir, "second.json") }), "--resume"]);
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(holder);
  const third = await runSolve(solveArgs(dir, { output: join(dir, "third.json") }));
  expect(third.stderr).toContain(holder);
  const prune = Bun.spawnSync([
    process.execPath,
    "src/cli/main.ts",
    "checkpoints",
    "prune",
    join(dir, "run"),
  ]);
  expect(prune.exitCode).toBe(1);
  expect(prune.stderr.toString()).toContain(`is in use by ttt solve (pid ${first.proc.pid}`);
  expect(existsSync(lock)).toBe(true);
  expect(first.proc.exitCode).toBeNull(); // still stalled, still holding the lock
  expect(readFileSync(join(dir, "run/run.json"), "utf8")).toBe(runJson); // the refused runs left it alone
  first.proc.kill("SIGKILL");
  await first.done;
  const resumed = await runSolve([...solveArgs(dir), "--resume"]);
  expect(resumed.code).toBe(0);
  expect(resumed.stderr).toContain(`took over the lock left by pid ${first.proc.pid} (no longer running)`);
  expect(existsSync(join(dir, "second.json")) || existsSync(join(dir, "third.json"))).toBe(false);
  // The resume only notes itself in run.json.
  expect(JSON.parse(readFileSync(join(dir, "run/run.json"), "utf8"))).toMatchObject(JSON.parse(runJson));
  expect(readResults(dir)).toEqual(ref);
  expect(readFileSync(join(dir, "run/journal.jsonl"), "utf8").trim().split("\n")).toHaveLength(7);
  expect(existsSync(lock)).toBe(false);
}, 60_000);

test("a lock left by a dead process is taken over", async () => {
  const dead = Bun.spawn([process.execPath, "-e", "0"]);
  const id = processId(dead.pid);
  await dead.exited;
  const dir = join(root, "stale");
  mkdirSync(join(dir, "run"), { recursive: true });
  writeFileSync(
    join(dir, "run/lock"),
    JSON.stringify({
      ...id,
      host: hostname(),
      command: "ttt solve",
      startedAt: new Date().toISOString(),
      workers: [],
    }),
  );
  const r = await runSolve(solveArgs(dir, { steps: 20 }));
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`took over the lock left by pid ${dead.pid} (no longer running)`);
}, 30_000);

describe("an unwritable run directory: a clear error before any work starts", () => {
  const blocker = join(root, "a-file");
  writeFileSync(blocker, "not a folder");
  const check = async (args: string[], message: RegExp) => {
    const r = await runSolve(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\[\d+\/\d+\]/m); // no task ran
    expect(r.stderr).not.toMatch(/loss|step \d/); // no worker said anything: none was started
    expect(r.stdout).toBe("");
  };

  test("its parent is a file", async () => {
    const dir = join(root, "unwritable-1");
    await check(
      solveArgs(dir, { runDir: join(blocker, "run") }),
      /run directory .*a-file\/run cannot be written \(ENOTDIR/,
    );
    expect(existsSync(join(dir, "submission.json"))).toBe(false);
  }, 30_000);

  // Without write permission (as root, permissions do not stop writes: a system folder that refuses them).
  const refused = (() => {
    if (process.getuid?.() !== 0) {
      const ro = join(root, "read-only");
      mkdirSync(ro, { mode: 0o555 });
      return join(ro, "run");
    }
    try {
      mkdirSync("/sys/ttt-write-probe");
      rmSync("/sys/ttt-write-probe", { recursive: true });
      return undefined;
    } catch {
      return "/sys/ttt-write-probe/run";
    }
  })();
  test.skipIf(refused === undefined)(
    `a folder where writing is refused (${refused})`,
    async () => {
      await check(
        solveArgs(join(root, "unwritable-2"), { runDir: refused! }),
        /run directory .* cannot be written \((EACCES|EPERM|EROFS)/,
      );
    },
    30_000,
  );

  test("the submission's folder cannot be written", async () => {
    const dir = join(root, "unwritable-3");
    await check(
      solveArgs(dir, { output: join(blocker, "submission.json") }),
      /submission file .*a-file\/submission\.json cannot be written \(ENOTDIR/,
    );
    expect(existsSync(join(dir, "run/lock"))).toBe(false);
  }, 30_000);
});
