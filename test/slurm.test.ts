// Sharded solves run by a real Slurm (a private one-node cluster, test/support/slurm.ts): the example
// scripts in examples/slurm submit an array of 3 shards over the fixtures and the merge as a job that
// depends on it; the merged submission must equal a single-machine run with the same seed and --steps.
// Then one array task is cancelled midway (scancel while a known task is stalled in flight), the merge
// names the unfinished shard and refuses, --partial writes what exists, the shard is resubmitted (it
// continues with --resume) and the merge gives the same answers. Skips loudly without slurm-wlm/munge.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planShard } from "../src/run/shard-plan.ts";
import { loadRunInputs } from "../src/run/inputs.ts";
import { readJournal } from "../src/rundir/run-dir.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";
import { FIXTURE, runSolve } from "./helpers/kill-resume.ts";
import { SlurmCluster, slurmMissing } from "./support/slurm.ts";
import { waitFor } from "./support/wait.ts";

const missing = slurmMissing();
if (missing) console.warn(`SKIP test/slurm.test.ts: Slurm cannot run here: ${missing}`);

const STEPS = 400;
const SOLVE_ARGS = `--family colour-map --ep cpu --steps ${STEPS} --chunk 5 --patience 0 --workers 1 --seed 0 --checkpoint-every 100`;
const TTT_BIN = `${process.execPath} ${join(PROJECT_ROOT, "src/cli/main.ts")}`;
const EXAMPLES = join(PROJECT_ROOT, "examples/slurm");
const root = mkdtempSync(join(tmpdir(), "ttt-slurm-"));
chmodSync(root, 0o755); // munged (the munge user) has its socket folder under it
let cluster: SlurmCluster | undefined;
let reference: unknown;

const readJson = (f: string) => JSON.parse(readFileSync(f, "utf8"));
const line = (s: string) => console.log(`slurm: ${s}`);

describe.skipIf(missing !== undefined)("Slurm job array of shards, merged", () => {
  beforeAll(async () => {
    cluster = await SlurmCluster.start(join(root, "cluster"));
    line(`cluster up (${cluster.conf})`);
    const r = await runSolve([
      FIXTURE,
      ...SOLVE_ARGS.split(" "),
      "--run-dir",
      join(root, "single"),
      "-o",
      join(root, "single.json"),
    ]);
    if (r.code !== 0) throw new Error(`single-machine run failed: ${r.stderr}`);
    reference = readJson(join(root, "single.json"));
  }, 90_000);

  afterAll(async () => {
    try {
      await cluster?.stop();
      if (cluster) line("daemons stopped (munged, slurmctld, slurmd by pid)");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const env = (runRoot: string, extra: Record<string, string> = {}) => ({
    TTT_TASKS: join(PROJECT_ROOT, FIXTURE),
    TTT_ROOT: runRoot,
    TTT_BIN,
    TTT_ARGS: SOLVE_ARGS,
    NO_COLOR: "1",
    ...extra,
  });

  /** examples/slurm/submit.sh or resubmit-shard.sh: the job ids it prints. */
  const submit = (script: string, args: string[], e: Record<string, string>) => {
    const out = cluster!.run([join(EXAMPLES, script), ...args], { env: e, cwd: root }).stdout;
    return Object.fromEntries(
      out
        .trim()
        .split("\n")
        .map((l) => l.split(" ") as [string, string]),
    );
  };

  test("an array of 3 over the fixtures, merged by a dependent job, equals one machine's run", async () => {
    const runRoot = join(root, "array");
    const ids = submit("submit.sh", ["3"], env(runRoot));
    line(
      `array submitted: job ${ids.array} (3 tasks), merge job ${ids.merge} --dependency=afterany:${ids.array}`,
    );
    const shards = await cluster!.waitDone(ids.array!, 120);
    line(`shards done: ${[...shards].map(([k, v]) => `${k} ${v}`).join(", ")}`);
    expect([...shards.values()]).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
    const merge = await cluster!.waitDone(ids.merge!, 60);
    expect([...merge.values()]).toEqual(["COMPLETED"]);
    const merged = readJson(join(runRoot, "submission.json"));
    expect(merged).toEqual(reference);
    expect(Object.keys(merged)).toEqual(Object.keys(reference as object));
    const report = readJson(join(runRoot, "merged/report.json"));
    expect(report.tasks).toHaveLength(7);
    expect(report.totals.score.tasks).toBe(7);
    expect(existsSync(join(runRoot, "merged/report.html"))).toBe(true);
    const log = readFileSync(join(root, `ttt-merge-${ids.merge}.out`), "utf8");
    line(`merge job output: ${log.trim().replace(/\n/g, " | ")}`);
    line(`merged submission equals the single-machine run (7 tasks, seed 0, --steps ${STEPS})`);
  }, 180_000);

  test("scancel one array task midway, merge refuses naming it, --partial, resubmit with --resume: same answers", async () => {
    const runRoot = join(root, "cancelled");
    // The last task of shard 1 stalls at step 300 (checkpoints every 100): the shard is surely midway.
    const inputs = await loadRunInputs(join(PROJECT_ROOT, FIXTURE));
    const mine = [
      ...planShard({ index: 1, count: 3 }, inputs, { seed: 0, steps: STEPS, chunk: 5, patience: 0 }).ids,
    ];
    const stalled = mine[mine.length - 1]!;
    const ids = submit("submit.sh", ["3"], env(runRoot, { TTT_INJECT_FAULT: `stall@${stalled}:300` }));
    line(
      `array submitted: job ${ids.array}; shard 1 holds ${mine.join(", ")}; ${stalled} stalls at step 300`,
    );
    const shardDir = join(runRoot, "shard-001-of-003");
    await waitFor(
      () => (existsSync(join(shardDir, `checkpoints/${stalled}/v000003/manifest.json`)) ? true : undefined),
      {
        what: `${stalled}'s checkpoint at step 300`,
        timeoutMs: 90 * 1000,
        detail: () => JSON.stringify([...cluster!.states(ids.array!)]),
      },
    );
    const before = readJournal(shardDir).entries.map((e) => e.id);
    expect(before).toEqual(mine.slice(0, -1));
    cluster!.run(["scancel", `${ids.array}_1`]);
    const states = await cluster!.waitDone(ids.array!, 120);
    line(
      `scancel ${ids.array}_1 with ${before.length} of ${mine.length} tasks of shard 1 finished: ${[...states].map(([k, v]) => `${k} ${v}`).join(", ")}`,
    );
    expect(states.get(`${ids.array}_1`)).toBe("CANCELLED");
    await cluster!.waitDone(ids.merge!, 60);
    const failedMerge = readFileSync(join(root, `ttt-merge-${ids.merge}.out`), "utf8");
    line(`merge after the cancel: ${failedMerge.trim().replace(/\n/g, " | ")}`);
    expect(failedMerge).toContain("shard-001-of-003");
    expect(failedMerge).toContain("unfinished");
    expect(existsSync(join(runRoot, "submission.json"))).toBe(false);

    // --partial writes what exists: the stalled task with [[0]] attempts.
    const partial = Bun.spawnSync(
      [...TTT_BIN.split(" "), "merge", runRoot, "-o", join(root, "partial.json"), "--partial"],
      { stdout: "pipe", stderr: "pipe" },
    );
    line(
      `ttt merge --partial: exit ${partial.exitCode}; ${partial.stderr.toString().trim().replace(/\n/g, " | ")} | ${partial.stdout.toString().trim().replace(/\n/g, " | ")}`,
    );
    expect(partial.exitCode).toBe(0);
    expect(partial.stderr.toString()).toContain("1 of 7 tasks missing");
    const part = readJson(join(root, "partial.json"));
    expect(part[stalled]).toEqual(
      (reference as Record<string, unknown[]>)[stalled]!.map(() => ({ attempt_1: [[0]], attempt_2: [[0]] })),
    );

    const again = submit("resubmit-shard.sh", ["1", "3"], env(runRoot));
    line(`resubmitted shard 1 as job ${again.shard} (TTT_SHARD=1/3, --resume), merge job ${again.merge}`);
    const resumed = await cluster!.waitDone(again.shard!, 120);
    expect([...resumed.values()]).toEqual(["COMPLETED"]);
    await cluster!.waitDone(again.merge!, 60);
    const after = readJournal(shardDir).entries.map((e) => e.id);
    expect(after).toEqual(mine);
    const record = readJson(join(shardDir, `tasks/${stalled}.json`));
    expect(record.resumedFrom).toEqual({ version: 3, step: 300 });
    expect(readJson(join(runRoot, "submission.json"))).toEqual(reference);
    line(
      `after the resubmission: ${stalled} went on from step ${record.resumedFrom.step}; merged answers equal the single-machine run`,
    );
  }, 300_000);
});
