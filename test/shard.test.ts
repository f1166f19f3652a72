// `--shard I/N|auto`: the partition (deterministic, every task exactly once, balanced by cost, not by
// count), the shard from a Slurm array (arrays not starting at 0, steps) or a Kubernetes Indexed Job,
// and the usage errors for what is missing or inconsistent; the CLI's exit 2 for bad --shard values.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../src/arc/index.ts";
import { planShard } from "../src/run/shard-plan.ts";
import { parseShard, partition, shardFromEnv, shardName } from "../src/run/shard.ts";
import { loadRunInputs } from "../src/run/inputs.ts";
import { OptionError } from "../src/util/units.ts";
import { PROJECT_ROOT, runTtt } from "./helpers/cli.ts";
import { StreamText } from "./support/wait.ts";

const slurm = (
  id: number,
  min: number,
  max: number,
  count = max - min + 1,
  extra: Record<string, string> = {},
) => ({
  SLURM_ARRAY_TASK_ID: String(id),
  SLURM_ARRAY_TASK_MIN: String(min),
  SLURM_ARRAY_TASK_MAX: String(max),
  SLURM_ARRAY_TASK_COUNT: String(count),
  ...extra,
});

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("partition", () => {
  const rng = new Rng(14);
  const tasks = Array.from({ length: 60 }, (_, i) => ({ id: `t${i}`, cost: 0.5 + 3.5 * rng.float() ** 3 }));

  test("every task in exactly one shard; same input, same partition", () => {
    for (const n of [1, 2, 3, 7, 60, 61]) {
      const p = partition(tasks, n);
      expect(p).toHaveLength(tasks.length);
      expect(p.every((s) => s >= 0 && s < n)).toBe(true);
      expect(partition([...tasks], n)).toEqual(p);
    }
  });

  test("balanced by cost: the heaviest shard is within the costliest task of the lightest", () => {
    for (const n of [2, 3, 5, 8]) {
      const p = partition(tasks, n);
      const load = Array.from({ length: n }, (_, s) =>
        tasks.reduce((a, t, i) => a + (p[i] === s ? t.cost : 0), 0),
      );
      const most = Math.max(...tasks.map((t) => t.cost));
      expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(most);
    }
    // Not by count: one costly task against three cheap ones.
    expect(
      partition(
        [
          { id: "a", cost: 1 },
          { id: "big", cost: 3 },
          { id: "b", cost: 1 },
          { id: "c", cost: 1 },
        ],
        2,
      ),
    ).toEqual([1, 0, 1, 1]);
  });

  test("the fixtures: each machine cuts the same shards from the same tasks and settings", async () => {
    const inputs = await loadRunInputs("fixtures/tasks_challenges.json");
    const a = planShard({ index: 0, count: 3 }, inputs, { seed: 0, steps: 100 });
    const b = planShard({ index: 2, count: 3 }, await loadRunInputs("fixtures/tasks_challenges.json"), {
      seed: 0,
      steps: 100,
    });
    expect(b.record.tasks).toEqual(a.record.tasks);
    expect(b.record.taskSet).toBe(a.record.taskSet);
    expect(a.record.tasks.map((t) => t.id).sort()).toEqual(inputs.tasks.map((t) => t.id).sort());
    expect([...a.ids].every((id) => !b.ids.has(id))).toBe(true);
    expect(a.record.costUnit).toBe("weight-steps");
    expect(planShard({ index: 0, count: 3 }, inputs, { seed: 0, timePerTask: 60 }).record.costUnit).toBe(
      "task",
    );
  });
});

describe("--shard I/N", () => {
  test("0-based index of N; the folder name", () => {
    expect(parseShard("2/8")).toEqual({ index: 2, count: 8 });
    expect(shardName({ index: 3, count: 8 })).toBe("shard-003-of-008");
    expect(shardName({ index: 3, count: 1200 })).toBe("shard-0003-of-1200");
  });

  test("bad values are usage errors naming the value", () => {
    expect(usage(() => parseShard("3/3"))).toContain("shard index 3 is out of range for 3 shards (0..2)");
    expect(usage(() => parseShard("0/0"))).toContain("the number of shards must be at least 1, got 0");
    expect(usage(() => parseShard("1-3"))).toContain(
      '--shard must be I/N (0-based index I of N shards) or auto, got "1-3"',
    );
    expect(usage(() => parseShard("-1/3"))).toContain("--shard must be I/N");
  });
});

describe("--shard auto", () => {
  test("Slurm arrays, from 0 or not, with a step", () => {
    expect(shardFromEnv(slurm(0, 0, 3))).toEqual({ index: 0, count: 4 });
    expect(shardFromEnv(slurm(3, 1, 8))).toEqual({ index: 2, count: 8 });
    expect(shardFromEnv(slurm(8, 1, 8))).toEqual({ index: 7, count: 8 });
    expect(shardFromEnv(slurm(6, 0, 6, 4, { SLURM_ARRAY_TASK_STEP: "2" }))).toEqual({ index: 3, count: 4 });
    expect(shardFromEnv(slurm(2, 0, 2, 3, { TTT_SHARD_COUNT: "3" }))).toEqual({ index: 2, count: 3 });
  });

  test("a Kubernetes Indexed Job: JOB_COMPLETION_INDEX of TTT_SHARD_COUNT", () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: "4", TTT_SHARD_COUNT: "5" })).toEqual({ index: 4, count: 5 });
    expect(parseShard("auto", { JOB_COMPLETION_INDEX: "0", TTT_SHARD_COUNT: "1" })).toEqual({
      index: 0,
      count: 1,
    });
  });

  test("missing or inconsistent: a clear usage error", () => {
    expect(usage(() => shardFromEnv({}))).toContain(
      "neither a Slurm array (SLURM_ARRAY_TASK_ID) nor a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)",
    );
    const { SLURM_ARRAY_TASK_COUNT: _, ...noCount } = slurm(1, 0, 2);
    expect(usage(() => shardFromEnv(noCount))).toContain("SLURM_ARRAY_TASK_COUNT is not set");
    expect(usage(() => shardFromEnv(slurm(3, 1, 7, 3)))).toContain(
      "SLURM_ARRAY_TASK_COUNT=3 does not match the range SLURM_ARRAY_TASK_MIN=1 .. SLURM_ARRAY_TASK_MAX=7",
    );
    expect(usage(() => shardFromEnv(slurm(9, 1, 8)))).toContain(
      "SLURM_ARRAY_TASK_ID=9 is not one of the array's indices",
    );
    expect(usage(() => shardFromEnv(slurm(1, 0, 2, 3, { TTT_SHARD_COUNT: "4" })))).toContain(
      "TTT_SHARD_COUNT=4 but the array has 3 tasks",
    );
    expect(usage(() => shardFromEnv({ ...slurm(0, 0, 1), JOB_COMPLETION_INDEX: "0" }))).toContain(
      "both a Slurm array",
    );
    expect(usage(() => shardFromEnv({ JOB_COMPLETION_INDEX: "2" }))).toContain(
      "JOB_COMPLETION_INDEX=2 (a Kubernetes Indexed Job) is set but TTT_SHARD_COUNT is not",
    );
    expect(usage(() => shardFromEnv({ JOB_COMPLETION_INDEX: "5", TTT_SHARD_COUNT: "5" }))).toContain(
      "shard index 5 is out of range for 5 shards (0..4)",
    );
    expect(usage(() => shardFromEnv({ JOB_COMPLETION_INDEX: "x", TTT_SHARD_COUNT: "5" }))).toContain(
      'JOB_COMPLETION_INDEX must be a whole number >= 0, got "x"',
    );
  });
});

describe("ttt solve --shard on the command line", () => {
  const solve = (...a: string[]) =>
    runTtt(["solve", "fixtures/tasks_challenges.json", "--family", "colour-map", "--steps", "5", ...a]);

  test("bad usage exits 2 with the reason, before any work", () => {
    for (const [args, text] of [
      [["--shard", "3/3", "--run-dir", "/tmp/x"], "shard index 3 is out of range for 3 shards"],
      [["--shard", "0/0", "--run-dir", "/tmp/x"], "the number of shards must be at least 1, got 0"],
      [["--shard", "0/2"], "--shard needs --run-dir"],
      [["--shard", "auto", "--run-dir", "/tmp/x"], "--shard auto: neither a Slurm array"],
    ] as const) {
      const r = solve(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(text);
    }
  });

  test("--pretrain-first with --shard is refused (one prior for all shards: ttt pretrain once, --prior)", () => {
    const root = mkdtempSync(join(tmpdir(), "ttt-shard-pretrain-"));
    try {
      const r = solve("--shard", "0/2", "--run-dir", root, "--time-budget", "2s", "--pretrain-first", "0.5");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "--pretrain-first cannot be used with --shard: each shard would learn a prior of its own, from every task, for a time sized for them all. Learn one prior once with `ttt pretrain <tasks> -o prior.ttt` and give every shard `--prior prior.ttt`",
      );
      expect(existsSync(join(root, "shard-000-of-002"))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

test("a shard requeued on another node waits until the old node's lock heartbeat is stale, then takes over", async () => {
  const root = mkdtempSync(join(tmpdir(), "ttt-shard-lock-"));
  const dir = join(root, "shard-000-of-002");
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "lock");
  const holder = { pid: 4242, startTicks: null, host: "node-that-was-preempted", command: "ttt solve" };
  writeFileSync(lock, `${JSON.stringify({ ...holder, startedAt: new Date().toISOString(), workers: [] })}\n`);
  // The old node beats until the new one says it waits (however long it takes to start), then stops:
  // the lock goes stale TTT_LOCK_STALE_SECONDS after the last beat, whatever the machine's load.
  const beat = () => {
    const now = new Date();
    utimesSync(lock, now, now);
  };
  beat();
  const heart = setInterval(beat, 200);
  const child = Bun.spawn(
    [
      process.execPath,
      "src/cli/main.ts",
      "solve",
      "fixtures/tasks_challenges.json",
      "--family",
      "colour-map",
      "--steps",
      "5",
      "--shard",
      "0/2",
      "--run-dir",
      root,
      "--resume",
    ],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NO_COLOR: "1", TTT_LOCK_STALE_SECONDS: "3" },
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  try {
    const err = new StreamText(child.stderr);
    await err.waitForLine(
      /locked by pid 4242 on node-that-was-preempted; waiting for its heartbeat to stop/,
      {
        what: "the requeued shard saying it waits for the old node's lock",
        timeoutMs: 60_000,
      },
    );
    clearInterval(heart);
    await err.waitForLine(/took over the lock left by pid 4242 on node-that-was-preempted/, {
      what: "the requeued shard taking the lock over once the heartbeat stopped",
      timeoutMs: 60_000,
    });
    expect(await child.exited).toBe(0);
    expect(existsSync(join(dir, "submission.json"))).toBe(true);
  } finally {
    clearInterval(heart);
    child.kill("SIGKILL");
    await child.exited;
    rmSync(root, { recursive: true, force: true });
  }
}, 120_000);
