// Kill/resume soak: many trials of `ttt solve` on the fixtures (colour-map family, exact step budgets)
// killed with SIGKILL at a seeded random moment and resumed with --resume, each checked as the test
// suite's trials are (test/helpers/kill-resume.ts: nothing finished lost or recomputed, the submission
// valid whenever read, final answers equal to an uninterrupted run's). Worker counts alternate 1 and 2;
// every fifth trial kills the resume once more before the last one. Prints outcomes and timings.
// --family multitensor (the default family) with a short --steps and a few --tasks makes the trials
// real-model ones; --sharded N runs the fixtures as N shards side by side, kills one of them, resumes
// it and merges (test/helpers/kill-resume-shards.ts), the merge checked against one machine's run.
// --kill-points mixed: besides kills at a random moment, every third trial is killed mid-way through a
// worker's n-th checkpoint write (n seeded; TTT_INJECT_FAULT kill@checkpoint:n kills the run, then the
// worker, as a machine dying mid-write), and with --sharded every fifth trial also kills the first merge
// mid-way through a write of its submission, records or report.
//   bun bench/soak.ts [--trials 100] [--seed 1] [--workers alt|1|2] [--family colour-map|multitensor]
//                     [--steps 1000] [--checkpoint-every 100] [--tasks id,id] [--sharded N]
//                     [--kill-points time|mixed] [--json]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../src/arc/index.ts";
import {
  killResumeTrial,
  readResults,
  runSolve,
  solveArgs,
  type TrialResult,
} from "../test/helpers/kill-resume.ts";
import { type ShardTrialResult, shardedKillResumeTrial } from "../test/helpers/kill-resume-shards.ts";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const trials = Number(opt("trials", "100"));
const seed = Number(opt("seed", "1"));
const workersOpt = opt("workers", "alt");
const json = args.includes("--json");
const family = opt("family", "colour-map");
const steps = Number(opt("steps", "1000"));
const taskList = opt("tasks", "");
const tasks = taskList ? taskList.split(",") : undefined;
const sharded = Number(opt("sharded", "0"));
const checkpointEvery = Number(opt("checkpoint-every", "100"));
const setup = { family, steps, checkpointEvery, ...(tasks ? { tasks } : {}) };
const mixed = opt("kill-points", "time") === "mixed";
/** Checkpoint writes one task makes; a worker of `share` of the tasks makes at least that many times its
 * share (the n of kill@checkpoint:n is drawn below it, so the kill surely comes). */
const perTask = Math.max(1, Math.ceil(steps / Math.max(1, checkpointEvery)));
const nTasks = tasks?.length ?? 7;
/** The kill point of trial i: undefined for a kill at a random moment, else the fault that kills the run. */
const killFault = (i: number, rng: Rng, share: number): string | undefined =>
  mixed && i % 3 === 0
    ? `kill@checkpoint:${1 + Math.floor(rng.float() * perTask * Math.max(1, Math.floor(nTasks / share)))}`
    : undefined;
const MERGE_KILLS = ["kill@submission:1", "kill@record:2", "kill@report:1", "kill@run-info:1"];

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const cpu = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";

const root = mkdtempSync(join(tmpdir(), "ttt-soak-"));
const loadBefore = loadavg()[0]!;
const started = performance.now();

// The uninterrupted run with 1 and with 2 workers (twice each; its time is the mean): the answers every
// trial must match, and the times kill moments and overheads are measured against.
const workerCounts = workersOpt === "alt" ? [1, 2] : [Number(workersOpt)];
const refSeconds = new Map<number, number>();
const refs: string[] = [];
for (const w of workerCounts) {
  const times: number[] = [];
  for (const i of [1, 2]) {
    const dir = join(root, `reference-${w}-${i}`);
    const r = await runSolve(solveArgs(dir, { workers: w, ...setup }));
    if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
    times.push(r.seconds);
    refs.push(dir);
  }
  refSeconds.set(w, (times[0]! + times[1]!) / 2);
}
const ref = readResults(refs[0]!, tasks);
for (const dir of refs)
  if (JSON.stringify(readResults(dir, tasks)) !== JSON.stringify(ref))
    throw new Error(`uninterrupted runs disagree (${dir}): the runs are not deterministic`);

if (sharded > 0) await shardSoak();

const rng = new Rng(seed);
const results: (TrialResult & { workers: number; kills: number; dir: string })[] = [];
for (let i = 1; i <= trials; i++) {
  const workers = workersOpt === "alt" ? 1 + (i % 2) : Number(workersOpt);
  const kills = i % 5 === 0 ? 2 : 1;
  const killAtMs = Math.round((0.05 + 1.05 * rng.float()) * refSeconds.get(workers)! * 1000);
  const fault = killFault(i, rng, workers);
  const dir = join(root, `trial-${i}`);
  mkdirSync(dir);
  const r = await killResumeTrial(dir, killAtMs, ref, {
    workers,
    kills: fault ? 1 : kills,
    ...(fault ? { fault } : {}),
    ...setup,
  });
  if (fault) r.category = "during a checkpoint write";
  results.push({ ...r, workers, kills: fault ? 1 : kills, dir });
  if (r.problems.length === 0) rmSync(dir, { recursive: true, force: true });
  process.stderr.write(
    `trial ${i}/${trials}: ${fault ?? `kill at ${killAtMs} ms`}, ${workers} worker(s), ${fault ? 1 : kills} kill(s): ${r.category}; ${r.problems.length ? `PROBLEMS: ${r.problems.join(" | ")}` : "ok"}\n`,
  );
}

const failed = results.filter((r) => r.problems.length > 0);
const categories = new Map<string, number>();
for (const r of results) categories.set(r.category, (categories.get(r.category) ?? 0) + 1);
const overhead = results
  .filter((r) => r.kills === 1 && r.category !== "after the run ended")
  .map((r) => r.killedRunSeconds + r.resumeSeconds - refSeconds.get(r.workers)!);
const summary = {
  machine: `${cpu}, ${availableParallelism()} CPUs, load ${loadBefore.toFixed(2)} before / ${loadavg()[0]!.toFixed(2)} after`,
  trials: results.length,
  passed: results.length - failed.length,
  failed: failed.map((r) => ({ dir: r.dir, problems: r.problems })),
  categories: Object.fromEntries(categories),
  tasksKept: results.reduce((s, r) => s + r.kept, 0),
  continuedFromCheckpoint: results.reduce((s, r) => s + r.fromCheckpoint, 0),
  submissionReads: results.reduce((s, r) => s + r.submissionReads, 0),
  uninterruptedSeconds: Object.fromEntries(refSeconds),
  medianResumeSeconds: quantile(
    results.map((r) => r.resumeSeconds),
    0.5,
  ),
  resumeOverheadSeconds: {
    median: quantile(overhead, 0.5),
    p90: quantile(overhead, 0.9),
    max: quantile(overhead, 1),
  },
  wallSeconds: (performance.now() - started) / 1000,
};
if (failed.length === 0) rmSync(root, { recursive: true, force: true });

if (json) console.log(JSON.stringify(summary, null, 2));
else {
  const s = (x: number) => `${x.toFixed(2)} s`;
  console.log(
    `soak: ${summary.trials} kill -9 / --resume trials of ttt solve on the fixtures (${family}, --steps ${steps}, ${tasks?.length ?? 7} tasks), seed ${seed}`,
  );
  console.log(`machine: ${summary.machine}`);
  console.log(
    `outcome: ${summary.passed} passed, ${failed.length} failed${failed.length ? ` (kept for inspection: ${failed.map((r) => r.dir).join(", ")})` : ""}`,
  );
  console.log(`killed: ${[...categories].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  console.log(
    `tasks finished before a kill and kept: ${summary.tasksKept}; tasks continued from a checkpoint: ${summary.continuedFromCheckpoint}; submission reads during the trials, all valid: ${summary.submissionReads}`,
  );
  console.log(
    `uninterrupted run ${[...refSeconds].map(([w, t]) => `${s(t)} (${w} worker${w > 1 ? "s" : ""})`).join(", ")}; resume run median ${s(summary.medianResumeSeconds)}; resume overhead (killed run + resume - uninterrupted, single kills) median ${s(summary.resumeOverheadSeconds.median)}, p90 ${s(summary.resumeOverheadSeconds.p90)}, max ${s(summary.resumeOverheadSeconds.max)}`,
  );
  console.log(`wall time ${s(summary.wallSeconds)}`);
}
process.exit(failed.length > 0 ? 1 : 0);

/** --sharded N: trials of N shards side by side, one killed and resumed, merged; then exit. */
async function shardSoak(): Promise<never> {
  const timeDir = join(root, "sharded-uninterrupted");
  const t = performance.now();
  const shardOf = (i: number) =>
    runSolve([
      ...solveArgs(timeDir, setup).filter(
        (_, k, a) => !["-o", "--run-dir"].includes(a[k]!) && !["-o", "--run-dir"].includes(a[k - 1] ?? ""),
      ),
      "--shard",
      `${i}/${sharded}`,
      "--run-dir",
      join(timeDir, "root"),
    ]);
  await Promise.all(Array.from({ length: sharded }, (_, i) => shardOf(i)));
  const shardSeconds = (performance.now() - t) / 1000;
  const reference = JSON.parse(readFileSync(join(refs[0]!, "submission.json"), "utf8"));
  const rng = new Rng(seed);
  const out: (ShardTrialResult & { dir: string; kill: string; mergeKill: string | null })[] = [];
  for (let i = 1; i <= trials; i++) {
    const killAtMs = Math.round((0.05 + 1.05 * rng.float()) * shardSeconds * 1000);
    const fault = killFault(i, rng, sharded);
    const mergeFault = mixed && i % 5 === 0 ? MERGE_KILLS[(i / 5) % MERGE_KILLS.length]! : undefined;
    const dir = join(root, `sharded-${i}`);
    mkdirSync(dir);
    const r = await shardedKillResumeTrial(dir, killAtMs, reference, {
      shards: sharded,
      victim: i % sharded,
      ...(fault ? { fault } : {}),
      ...(mergeFault ? { mergeFault } : {}),
      ...setup,
    });
    out.push({ ...r, dir, kill: fault ?? "time", mergeKill: mergeFault ?? null });
    if (r.problems.length === 0) rmSync(dir, { recursive: true, force: true });
    process.stderr.write(
      `sharded trial ${i}/${trials}: shard ${r.victim} ${fault ? `killed by ${fault}` : `killed at ${killAtMs} ms`}${r.endedBefore ? " (after it ended)" : ""}${mergeFault ? `, first merge killed by ${mergeFault}` : ""}: ${r.kept} kept, ${r.fromCheckpoint} from a checkpoint; ${r.problems.length ? `PROBLEMS: ${r.problems.join(" | ")}` : "ok"}\n`,
    );
  }
  const failed = out.filter((r) => r.problems.length > 0);
  console.log(
    `soak --sharded ${sharded}: ${out.length} trials (${family}, --steps ${steps}, ${tasks?.length ?? 7} tasks, seed ${seed}): ${out.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (kept: ${failed.map((r) => r.dir).join(", ")})` : ""}`,
  );
  console.log(
    `killed shard mid-run ${out.filter((r) => !r.endedBefore).length} (during a checkpoint write ${out.filter((r) => r.kill !== "time").length}), after it ended ${out.filter((r) => r.endedBefore).length}; first merge killed mid-write ${out.filter((r) => r.mergeKill).length}; its tasks kept ${out.reduce((a, r) => a + r.kept, 0)}, continued from a checkpoint ${out.reduce((a, r) => a + r.fromCheckpoint, 0)}; every merge compared with the single-machine run`,
  );
  console.log(
    `uninterrupted shards side by side ${shardSeconds.toFixed(2)} s; wall ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (failed.length === 0) rmSync(root, { recursive: true, force: true });
  process.exit(failed.length > 0 ? 1 : 0);
}
