// bench/accuracy: run `ttt solve` over a fixed sample of ARC-AGI-1 tasks with a per-task time budget and
// print pass@2 (per task and per output), pass@pool (the right grid was ever a candidate) and the ranks
// of right grids not chosen, seconds per task, steps/s, copies, peak RSS and the confidence split.
//
//   bun bench/accuracy.ts [--sample train-50|eval-50|training|evaluation] [--time-per-task 60]
//                         [--workers N] [--seed 0] [--data ../shared/arc] [--run-dir dir] [--json]
//                         [--prior FILE | --pretrain-first SHARE] [--family NAME|MODULE]
//                         [--copies N|auto] [--no-restarts]  (passed to ttt solve)
//                         [--extend N]   the sample plus N more tasks of its split (a fixed order:
//                                        FNV-1a hash of the id), e.g. train-50 --extend 150: 200 tasks
//                         [--resume]     go on with an interrupted run in --run-dir (ttt solve --resume)
//                         [--tree DIR]   run the solver of another checkout (e.g. a git worktree of the
//                                        commit before a change, for a paired run)
//   bun bench/accuracy.ts --summarise <bench run-dir>   (the figures of a finished run again)
//
// The solver sees only the challenges; solutions are used for scoring alone.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { poolFigures, readPool } from "./pool.ts";
import { hashString } from "../src/arc/random.ts";

const { values: a } = parseArgs({
  options: {
    sample: { type: "string", default: "train-50" },
    "time-per-task": { type: "string", default: "60" },
    workers: { type: "string" },
    seed: { type: "string", default: "0" },
    data: { type: "string", default: "../shared/arc" },
    "run-dir": { type: "string" },
    json: { type: "boolean", default: false },
    summarise: { type: "string" },
    prior: { type: "string" },
    "pretrain-first": { type: "string" },
    family: { type: "string" },
    copies: { type: "string" },
    extend: { type: "string" },
    resume: { type: "boolean", default: false },
    tree: { type: "string" },
    "no-restarts": { type: "boolean", default: false },
  },
});

const data = resolve(a.data!);
const split = a.sample!.startsWith("eval") ? "evaluation" : "training";
const challengesPath = join(data, "arc-agi-1", `${split}_challenges.json`);
if (!existsSync(challengesPath)) {
  console.error(
    `bench/accuracy: ARC data not found at ${challengesPath} (pass --data <dir holding arc-agi-1/>); nothing measured`,
  );
  process.exit(0);
}
const challenges = JSON.parse(readFileSync(challengesPath, "utf8")) as Record<string, unknown>;
const solutions = JSON.parse(
  readFileSync(join(data, "arc-agi-1", `${split}_solutions.json`), "utf8"),
) as Record<string, unknown>;
const sampleFile = join(data, "samples", `${a.sample}.txt`);
const base = existsSync(sampleFile)
  ? readFileSync(sampleFile, "utf8").split(/\s+/).filter(Boolean)
  : Object.keys(challenges);
const extra = Number(a.extend ?? 0);
const inBase = new Set(base);
const ids = [
  ...base,
  ...Object.keys(challenges)
    .filter((id) => !inBase.has(id))
    .sort((x, y) => hashString(x) - hashString(y) || x.localeCompare(y))
    .slice(0, extra),
];

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const runDir = resolve(
  a.summarise ?? a["run-dir"] ?? join(tmpdir(), `ttt-accuracy-${a.sample}-${a["time-per-task"]}s-${stamp}`),
);
let wall: number;
if (a.summarise) {
  const info = JSON.parse(readFileSync(join(runDir, "run", "report.json"), "utf8"));
  wall = (Date.parse(info.updatedAt) - Date.parse(info.startedAt)) / 1000;
} else {
  mkdirSync(runDir, { recursive: true });
  // Challenges only in the solver's input; solutions kept in a separate file for scoring.
  const subsetChallenges = join(runDir, "sample_challenges.json");
  const subsetSolutions = join(runDir, "sample_scoring.json");
  writeFileSync(subsetChallenges, JSON.stringify(Object.fromEntries(ids.map((id) => [id, challenges[id]]))));
  writeFileSync(subsetSolutions, JSON.stringify(Object.fromEntries(ids.map((id) => [id, solutions[id]]))));

  const args = [
    "src/cli/main.ts",
    "solve",
    subsetChallenges,
    "--solutions",
    subsetSolutions,
    "--run-dir",
    join(runDir, "run"),
    "-o",
    join(runDir, "submission.json"),
    "--time-per-task",
    `${a["time-per-task"]}s`,
    "--seed",
    a.seed!,
  ];
  if (a.workers) args.push("--workers", a.workers);
  if (a.copies) args.push("--copies", a.copies);
  if (a.resume) args.push("--resume");
  if (a["no-restarts"]) args.push("--no-restarts");
  if (a.prior) args.push("--prior", resolve(a.prior));
  if (a["pretrain-first"]) args.push("--pretrain-first", a["pretrain-first"]);
  // a family name, or a module path (resolved here: ttt solve runs from the checkout's root)
  if (a.family) args.push("--family", /[/.]/.test(a.family) ? resolve(a.family) : a.family);
  const started = performance.now();
  const proc = Bun.spawn(["bun", ...args], {
    cwd: a.tree ? resolve(a.tree) : resolve(import.meta.dir, ".."),
    stdout: "ignore",
    stderr: "inherit",
  });
  await proc.exited;
  wall = (performance.now() - started) / 1000;
}
// The run's own report.json (stdout is not parsed: a piped report could be cut short by the process exit).
const report = JSON.parse(readFileSync(join(runDir, "run", "report.json"), "utf8"));

type Entry = {
  id: string;
  score?: number;
  seconds: number;
  steps: number;
  stepsPerSecond: number;
  confidences: number[][];
  correct?: boolean[];
  peakMemoryBytes?: number;
  status: string;
};
const tasks: Entry[] = report.tasks;
const scored = tasks.filter((t) => t.correct);
const perTask = scored.reduce((s, t) => s + (t.score ?? 0), 0) / Math.max(1, ids.length);
const outputs = scored.flatMap((t) => t.correct!);
const perOutput = outputs.filter(Boolean).length / Math.max(1, outputs.length);
const secs = tasks.map((t) => t.seconds).sort((x, y) => x - y);
const med = (xs: number[]) =>
  xs.length ? (xs.length % 2 ? xs[xs.length >> 1]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2) : 0;
// Confidence split: tasks ranked by the mean confidence of their first attempts.
const conf = (t: Entry) =>
  t.confidences.length ? t.confidences.reduce((s, c) => s + (c[0] ?? 0), 0) / t.confidences.length : 0;
const ranked = [...scored].sort((x, y) => conf(y) - conf(x));
const half = Math.ceil(ranked.length / 2);
const acc = (xs: Entry[]) => (xs.length ? xs.reduce((s, t) => s + (t.score ?? 0), 0) / xs.length : 0);
const peak = Math.max(0, ...tasks.map((t) => t.peakMemoryBytes ?? 0));
const poolTasks = readPool(runDir);
const pool = poolFigures(poolTasks);
const copies = poolTasks.map((t) => t.copies ?? 1).sort((x, y) => x - y);

const result = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} vCPU ${cpus()[0]?.model ?? ""}`.trim(),
  sample: extra ? `${a.sample} + ${extra}` : a.sample,
  tasks: ids.length,
  timePerTask: Number(a["time-per-task"]),
  workers: report.settings?.workers,
  pass2PerTask: perTask,
  pass2PerOutput: perOutput,
  solved: scored.filter((t) => (t.score ?? 0) === 1).map((t) => t.id),
  medianSeconds: med(secs),
  maxSeconds: secs[secs.length - 1] ?? 0,
  stepsPerSecond: report.totals?.stepsPerSecond,
  medianSteps: med(tasks.map((t) => t.steps).sort((x, y) => x - y)),
  passPool: pool.passPool,
  outputsInPool: pool.outputsInPool,
  chosenInTopTwo: pool.chosenInTopTwo,
  missedRanks: pool.missedRanks,
  medianCopies: med(copies),
  copiesRange: [copies[0] ?? 0, copies[copies.length - 1] ?? 0],
  tasksRestarted: poolTasks.filter((t) => (t.restarts ?? 0) > 0).length,
  peakRssMiB: peak / 1048576,
  confidentHalf: acc(ranked.slice(0, half)),
  lessConfidentHalf: acc(ranked.slice(half)),
  wallSeconds: wall,
  runDir,
};
if (a.json) console.log(JSON.stringify(result, null, 2));
else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `bench/accuracy ${result.date} on ${result.machine}: ${result.sample} (${result.tasks} tasks), ${result.timePerTask} s/task, ${result.workers} workers`,
  );
  console.log(
    `pass@2            ${pct(perTask)} per task, ${pct(perOutput)} per output (${outputs.filter(Boolean).length}/${outputs.length})`,
  );
  console.log(
    `seconds per task  median ${result.medianSeconds.toFixed(1)}, max ${result.maxSeconds.toFixed(1)}; steps median ${result.medianSteps}; ${result.stepsPerSecond?.toFixed(1)} steps/s`,
  );
  console.log(
    `pass@pool         ${pct(pool.passPool)} per task (${pool.outputsInPool}/${pool.outputs} outputs' right grid was a candidate); chosen in the top two: ${pct(pool.chosenInTopTwo)}; ranks of the others: ${pool.missedRanks.join(", ") || "-"}`,
  );
  console.log(
    `copies            median ${result.medianCopies} per task (trained in all, ${result.copiesRange.join("-")}); ${result.tasksRestarted} tasks restarted`,
  );
  console.log(`peak RSS          ${result.peakRssMiB.toFixed(0)} MiB (per worker process)`);
  console.log(
    `confidence split  more confident half ${pct(result.confidentHalf)}, less confident half ${pct(result.lessConfidentHalf)}`,
  );
  console.log(`solved            ${result.solved.join(" ") || "none"}`);
  console.log(`wall              ${(wall / 60).toFixed(1)} min; run directory ${runDir}`);
}
