// bench/shards: scaling by shards on this box. The same sample solved twice: one `ttt solve` with one
// worker, and a Slurm job array of S shards (examples/slurm/submit.sh on a private one-node cluster,
// test/support/slurm.ts; one worker per shard) merged by its dependent job. Prints both wall times and
// their ratio, the scores, and how many tasks got identical answers. With --time-per-task the stop step
// depends on the clock (and shards running side by side share the CPUs), so answers may differ; with
// --steps they must be identical.
//
//   bun bench/shards.ts [--sample train-50] [--time-per-task 15 | --steps N] [--shards 2] [--data ../shared/arc]
//
// Needs slurm-wlm and munge (as .ci/run installs them) and root; prints why and measures nothing otherwise.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SlurmCluster, slurmMissing } from "../test/support/slurm.ts";

const { values: a } = parseArgs({
  options: {
    sample: { type: "string", default: "train-50" },
    "time-per-task": { type: "string" },
    steps: { type: "string" },
    shards: { type: "string", default: "2" },
    seed: { type: "string", default: "0" },
    data: { type: "string", default: "../shared/arc" },
    json: { type: "boolean", default: false },
  },
});
const PROJECT = resolve(import.meta.dir, "..");
const missing = slurmMissing();
if (missing) {
  console.error(`bench/shards: Slurm cannot run here (${missing}); nothing measured`);
  process.exit(0);
}
const data = resolve(a.data!);
const split = a.sample!.startsWith("eval") ? "evaluation" : "training";
const challengesPath = join(data, "arc-agi-1", `${split}_challenges.json`);
if (!existsSync(challengesPath)) {
  console.error(`bench/shards: ARC data not found at ${challengesPath}; nothing measured`);
  process.exit(0);
}
const shards = Number(a.shards);
const limit = a.steps ? ["--steps", a.steps] : ["--time-per-task", `${a["time-per-task"] ?? "15"}s`];
const root = mkdtempSync(join(tmpdir(), "ttt-bench-shards-"));
chmodSync(root, 0o755);
const challenges = JSON.parse(readFileSync(challengesPath, "utf8")) as Record<string, unknown>;
const solutions = JSON.parse(readFileSync(join(data, "arc-agi-1", `${split}_solutions.json`), "utf8"));
const sampleFile = join(data, "samples", `${a.sample}.txt`);
const ids = existsSync(sampleFile)
  ? readFileSync(sampleFile, "utf8").split(/\s+/).filter(Boolean)
  : Object.keys(challenges);
const tasks = join(root, "sample_challenges.json");
const scoring = join(root, "sample_solutions.json");
writeFileSync(tasks, JSON.stringify(Object.fromEntries(ids.map((id) => [id, challenges[id]]))));
writeFileSync(scoring, JSON.stringify(Object.fromEntries(ids.map((id) => [id, solutions[id]]))));
const solveArgs = [...limit, "--seed", a.seed!, "--workers", "1", "--solutions", scoring];
const load0 = loadavg()[0]!;

// One machine, one worker.
const t0 = performance.now();
const single = Bun.spawnSync(
  [
    process.execPath,
    "src/cli/main.ts",
    "solve",
    tasks,
    ...solveArgs,
    "--run-dir",
    join(root, "single"),
    "-o",
    join(root, "single.json"),
  ],
  { cwd: PROJECT, stdout: "ignore", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
);
const singleSeconds = (performance.now() - t0) / 1000;
if (single.exitCode !== 0) throw new Error(`single solve failed: ${single.stderr.toString().slice(-2000)}`);

// The Slurm array and its merge (from the first sbatch to the merge job's end).
const cluster = await SlurmCluster.start(join(root, "cluster"));
let arraySeconds = 0;
let states: string[] = [];
try {
  const env = {
    TTT_TASKS: tasks,
    TTT_ROOT: join(root, "array"),
    TTT_BIN: `${process.execPath} ${join(PROJECT, "src/cli/main.ts")}`,
    TTT_ARGS: solveArgs.join(" "),
    NO_COLOR: "1",
  };
  const t1 = performance.now();
  const out = cluster.run([join(PROJECT, "examples/slurm/submit.sh"), String(shards)], {
    env,
    cwd: root,
  }).stdout;
  const jobs = Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string]),
  );
  states = [...(await cluster.waitDone(jobs.array!, 24 * 3600)).values()];
  await cluster.waitDone(jobs.merge!, 600);
  arraySeconds = (performance.now() - t1) / 1000;
} finally {
  await cluster.stop();
}
const readJson = (f: string) => JSON.parse(readFileSync(f, "utf8"));
const a1 = readJson(join(root, "single.json"));
const a2 = readJson(join(root, "array/submission.json"));
const same = ids.filter((id) => JSON.stringify(a1[id]) === JSON.stringify(a2[id]));
const score = (f: string) => readJson(f).totals.score;
const s1 = score(join(root, "single/report.json"));
const s2 = score(join(root, "array/merged/report.json"));
const summary = {
  sample: a.sample,
  limit: limit.join(" "),
  shards,
  machine: `${availableParallelism()} CPUs, load ${load0.toFixed(2)} before / ${loadavg()[0]!.toFixed(2)} after`,
  singleSeconds,
  arraySeconds,
  ratio: arraySeconds / singleSeconds,
  arrayStates: states,
  identicalAnswers: same.length,
  tasks: ids.length,
  singleScore: s1?.score ?? null,
  arrayScore: s2?.score ?? null,
  runs: root,
};
if (a.json) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(
    `bench/shards: ${a.sample} (${ids.length} tasks), ${summary.limit}, seed ${a.seed}; ${summary.machine}`,
  );
  console.log(
    `one solve, 1 worker:          ${singleSeconds.toFixed(1)} s, score ${(100 * (s1?.score ?? 0)).toFixed(1)}%`,
  );
  console.log(
    `Slurm array of ${shards} + merge:     ${arraySeconds.toFixed(1)} s, score ${(100 * (s2?.score ?? 0)).toFixed(1)}% (${states.join(", ")})`,
  );
  console.log(`wall ratio array/single:      ${summary.ratio.toFixed(2)}`);
  console.log(`identical answers:            ${same.length} of ${ids.length} tasks`);
  console.log(`runs kept in ${root}`);
}
