// Priors: the file format (checked, every error naming the file), the Reptile step, a multitensor model
// built from a prior, and `ttt pretrain` / `ttt solve --prior` end to end in child processes with real
// training (three small fixture tasks, a few steps). The kill test waits for a round's line, not a time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTasks } from "../src/arc/index.ts";
import type { Task } from "../src/arc/task.ts";
import {
  buildMultitensor,
  multitensorFamily,
  priorKeyOf,
  resolveConfig,
  WEIGHTS,
} from "../src/models/multitensor/index.ts";
import { colourMapFamily } from "../src/models/colour-map.ts";
import { type Prior, type PriorWeight, reptileStep } from "../src/models/prior.ts";
import { decodePrior, encodePrior, readPriorFile, type PriorMeta } from "../src/rundir/prior-file.ts";
import { readRounds } from "../src/rundir/pretrain-files.ts";
import { PROJECT_ROOT, spawnTtt } from "./helpers/cli.ts";
import { waitForLine } from "./support/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-prior-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, TTT_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" };
const FIXTURES = join(PROJECT_ROOT, "fixtures", "tasks_challenges.json");
const TASKS = "flip-horizontal,transpose,swap-colours";

const ttt = (...args: string[]) => spawnTtt(args, env);

const w = (values: number[], shape = [values.length]): PriorWeight => ({
  shape,
  values: Float32Array.from(values),
});
const META: PriorMeta = {
  createdAt: "2026-12-03T00:00:00.000Z",
  trainedOn: { source: "test", tasks: 2, taskSet: "x" },
  rounds: 1,
  settings: {
    family: "multitensor",
    seed: 0,
    innerSteps: 1,
    innerSeconds: 1,
    batch: 1,
    rate: 1,
    rounds: 1,
    timeBudget: null,
    workers: 1,
  },
};

let tasks: Task[];
beforeAll(async () => {
  tasks = (await loadTasks(FIXTURES)).tasks;
});
const task = (id: string) => tasks.find((t) => t.id === id)!;

describe("prior file", () => {
  const prior: Prior = {
    family: "multitensor",
    configKey: "k1",
    weights: new Map([
      ["b", w([1, 2, 3, 4], [2, 2])],
      ["a", w([0.5])],
    ]),
  };

  test("round-trips names, shapes and values bit for bit", () => {
    const back = decodePrior(encodePrior(prior, META), "p.ttt");
    expect(back.prior.family).toBe("multitensor");
    expect(back.prior.configKey).toBe("k1");
    expect([...back.prior.weights.keys()]).toEqual(["a", "b"]);
    expect(back.prior.weights.get("b")!.shape).toEqual([2, 2]);
    expect([...back.prior.weights.get("b")!.values]).toEqual([1, 2, 3, 4]);
    expect(back.header.trainedOn.tasks).toBe(2);
  });

  test("damage is found and named with the file", () => {
    const bytes = encodePrior(prior, META);
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => decodePrior(flipped, "p.ttt")).toThrow(
      "prior p.ttt: sha256 of the weights does not match the header (damaged)",
    );
    expect(() => decodePrior(bytes.slice(0, bytes.length - 4), "p.ttt")).toThrow(
      /prior p\.ttt: \d+ bytes, the header says \d+/,
    );
    expect(() => decodePrior(bytes.slice(0, 40), "p.ttt")).toThrow("prior p.ttt: header cut short");
    expect(() => decodePrior(new TextEncoder().encode("not a prior at all"), "p.ttt")).toThrow(
      "bad magic number",
    );
    const path = join(dir, "missing.ttt");
    expect(() => readPriorFile(path)).toThrow(`prior ${path}: cannot be read (ENOENT)`);
  });

  test("a header that breaks the schema names the field", () => {
    const bytes = encodePrior(prior, META);
    const len = new DataView(bytes.buffer).getUint32(8, true);
    const head = new TextDecoder()
      .decode(bytes.subarray(12, 12 + len))
      .replace('"rounds":1,"settings"', '"rounds":"1","settings"');
    const enc = new TextEncoder().encode(head);
    expect(enc.length).toBe(len + 2);
    const out = new Uint8Array(bytes.length + 8);
    out.set(bytes.subarray(0, 12));
    new DataView(out.buffer).setUint32(8, enc.length, true);
    out.set(enc, 12);
    const start = Math.ceil((12 + enc.length) / 8) * 8;
    out.set(bytes.subarray(Math.ceil((12 + len) / 8) * 8), start);
    expect(() =>
      decodePrior(out.subarray(0, start + (bytes.length - Math.ceil((12 + len) / 8) * 8)), "p.ttt"),
    ).toThrow('prior p.ttt: rounds: expected number, got "1"');
  });
});

describe("Reptile step", () => {
  test("moves theta by rate towards the tasks' mean, weight by weight", () => {
    const theta = new Map([
      ["a", w([0, 0])],
      ["c", w([7])],
    ]);
    const next = reptileStep(
      theta,
      [
        new Map([["a", w([1, 2])]]),
        new Map([
          ["a", w([3, 4])],
          ["b", w([1])],
        ]),
      ],
      0.5,
    );
    expect([...next.get("a")!.values]).toEqual([1, 1.5]);
    // first sighting: the mean of the tasks that have it; a weight no task has stays
    expect([...next.get("b")!.values]).toEqual([1]);
    expect([...next.get("c")!.values]).toEqual([7]);
    expect([...next.keys()]).toEqual(["a", "b", "c"]);
  });
});

describe("a multitensor model from a prior", () => {
  test("takes every packed weight from it and keeps the task-sized latents seeded", () => {
    const t = task("transpose");
    const plain = buildMultitensor(t, { seed: 1 });
    const init = Object.fromEntries(plain.spec.params.map((p) => [p.name, p.init]));
    const shared = plain.sharedWeights!(init);
    // a prior whose every weight is 0.25
    const weights = new Map(
      [...shared].map(([n, x]) => [
        n,
        { shape: x.shape, values: new Float32Array(x.values.length).fill(0.25) },
      ]),
    );
    const prior: Prior = { family: "multitensor", configKey: priorKeyOf(resolveConfig()), weights };
    const from = buildMultitensor(t, { seed: 1, prior });
    expect(from.fromPrior).toEqual({ weights: shared.size, values: plain.spec.params[0]!.init.length });
    expect([...new Set(from.spec.params[0]!.init)]).toEqual([0.25]);
    expect(from.spec.params[0]!.name).toBe(WEIGHTS);
    for (const p of from.spec.params.slice(1))
      expect(p.init).toEqual(plain.spec.params.find((q) => q.name === p.name)!.init);
    expect(from.key).toBe(plain.key); // the same graphs: only initial values differ
  });

  test("a prior of another family or configuration is refused, naming both", () => {
    const t = task("transpose");
    const prior: Prior = { family: "multitensor", configKey: "other", weights: new Map() };
    expect(() => buildMultitensor(t, { seed: 1, prior })).toThrow(
      /learned for another multitensor configuration \(config key other, this one is [0-9a-f]{24}\)/,
    );
    expect(() => buildMultitensor(t, { seed: 1, prior: { ...prior, family: "colour-map" } })).toThrow(
      "prior: learned for the colour-map family; this run uses multitensor",
    );
    expect(multitensorFamily.priorKey!()).toBe(priorKeyOf(resolveConfig()));
    expect(colourMapFamily.priorKey).toBeUndefined();
  });
});

describe("ttt pretrain and ttt solve --prior (real training)", () => {
  const args = [
    "--tasks",
    TASKS,
    "--rounds",
    "2",
    "--batch",
    "2",
    "--inner-steps",
    "10",
    // steps, never time, end the inner runs (a loaded machine must not change the prior)
    "--inner-seconds",
    "10m",
    "--workers",
    "2",
    "--seed",
    "3",
  ];
  const straight = join(dir, "straight.ttt");
  let first: Awaited<ReturnType<typeof ttt>>;
  beforeAll(async () => {
    first = await ttt("pretrain", FIXTURES, "-o", straight, "--run-dir", join(dir, "pt-straight"), ...args);
  });

  test("writes a prior, one line per round, from train pairs and test inputs", () => {
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/round 1\/2: 2\/2 tasks, mean loss [\d.]+ -> [\d.]+ after 10 steps/);
    expect(first.stdout).toMatch(/wrote .*straight\.ttt \([\d.]+ KiB\): 2 rounds over 3 tasks/);
    const p = readPriorFile(straight);
    expect(p.header.family).toBe("multitensor");
    expect(p.header.configKey).toBe(priorKeyOf(resolveConfig()));
    expect(p.header.rounds).toBe(2);
    expect(p.header.trainedOn.tasks).toBe(3);
    expect(p.header.settings).toMatchObject({ innerSteps: 10, batch: 2, rate: 0.5, seed: 3 });
    const rounds = readRounds(join(dir, "pt-straight", "rounds.jsonl"));
    expect(rounds.map((r) => r.round)).toEqual([1, 2]);
    for (const r of rounds) {
      expect(r.used).toBe(2);
      expect(r.moved).toBeGreaterThan(0);
      expect(r.finalLoss!).toBeLessThan(r.firstLoss!);
    }
  });

  test("killed after a round, --resume ends with the same prior as a run never killed", async () => {
    const runDir = join(dir, "pt-killed");
    const out = join(dir, "killed.ttt");
    const p = Bun.spawn(
      [process.execPath, "src/cli/main.ts", "pretrain", FIXTURES, "-o", out, "--run-dir", runDir, ...args],
      {
        cwd: PROJECT_ROOT,
        stdout: "ignore",
        stderr: "pipe",
        env,
      },
    );
    await waitForLine(p.stderr, /^round 1\/2:/, { what: "the first round's line", timeoutMs: 120_000 });
    p.kill("SIGKILL");
    await p.exited;
    const again = await ttt("pretrain", FIXTURES, "-o", out, "--run-dir", runDir, "--resume", ...args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming .*: [12] rounds done earlier/);
    expect(readPriorFile(out).header.sha256).toBe(readPriorFile(straight).header.sha256);
  });

  test("--resume with other settings is refused, naming the setting", async () => {
    const r = await ttt(
      "pretrain",
      FIXTURES,
      "-o",
      join(dir, "x.ttt"),
      "--run-dir",
      join(dir, "pt-straight"),
      "--resume",
      ...args,
      "--rate",
      "0.9",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("settings.rate is 0.5, this command asks 0.9");
  });

  test("solve --prior records the prior and trains from it; a mismatch or damage is a clear error", async () => {
    const runDir = join(dir, "solve-prior");
    const r = await ttt(
      "solve",
      FIXTURES,
      "--tasks",
      "transpose",
      "--steps",
      "20",
      "--prior",
      straight,
      "--run-dir",
      runDir,
      "-o",
      join(dir, "s.json"),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /every task starts from the prior .*straight\.ttt \(\d+ weights, learned from 3 tasks in 2 rounds\)/,
    );
    const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(run.settings.prior).toBe(readPriorFile(straight).fileSha256);
    const wrong = await ttt(
      "solve",
      FIXTURES,
      "--family",
      "colour-map",
      "--prior",
      straight,
      "--run-dir",
      join(dir, "s2"),
      "-o",
      join(dir, "s2.json"),
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `prior ${straight}: learned for the multitensor family; this run uses colour-map`,
    );
    const damaged = join(dir, "damaged.ttt");
    const bytes = readFileSync(straight);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(damaged, bytes);
    const bad = await ttt(
      "solve",
      FIXTURES,
      "--prior",
      damaged,
      "--run-dir",
      join(dir, "s3"),
      "-o",
      join(dir, "s3.json"),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `prior ${damaged}: sha256 of the weights does not match the header (damaged)`,
    );
  });

  test("solve --pretrain-first learns a prior from the run's own tasks, then solves from it", async () => {
    const runDir = join(dir, "transductive");
    const r = await ttt(
      "solve",
      FIXTURES,
      "--tasks",
      "transpose,flip-horizontal",
      "--time-per-task",
      "30s",
      "--workers",
      "2",
      "--pretrain-first",
      "0.4",
      "--run-dir",
      runDir,
      "-o",
      join(dir, "t.json"),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("learning a prior from the run's 2 tasks first (40% of the time: 12s)");
    const prior = readPriorFile(join(runDir, "pretrain", "prior-final.ttt"));
    expect(prior.header.trainedOn.tasks).toBe(2);
    expect(prior.header.rounds).toBeGreaterThanOrEqual(1);
    const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(run.settings.prior).toBe(prior.fileSha256);
    expect(run.settings.timePerTask).toBeCloseTo(18, 6);
    const report = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8"));
    expect(report.tasks.map((t: { status: string }) => t.status)).toEqual(["ok", "ok"]);
  });

  test("usage errors exit 2", async () => {
    const bad = await ttt(
      "solve",
      FIXTURES,
      "--pretrain-first",
      "1.5",
      "--time-per-task",
      "5s",
      "--run-dir",
      join(dir, "u1"),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--pretrain-first must be a share between 0 and 1");
    const share = await ttt("solve", FIXTURES, "--pretrain-first", "0.3", "--run-dir", join(dir, "u2"));
    expect(share.code).toBe(2);
    expect(share.stderr).toContain("--pretrain-first needs --time-per-task or --time-budget");
    const long = await ttt("pretrain", FIXTURES, "--run-dir", join(dir, "u3"));
    expect(long.code).toBe(2);
    expect(long.stderr).toContain("pretrain needs --time-budget or --rounds");
  });
});
