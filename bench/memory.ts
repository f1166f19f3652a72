// bench/memory: peak memory per worker against the model's estimate on the largest ARC-AGI-1 tasks.
// For each set, the tasks are ranked by the default model's memory estimate (the copies `ttt solve`
// would choose for them at --time-per-task), the largest N are solved by `ttt solve` as a user runs it
// (one worker, seed 0, defaults otherwise), and each task's record gives its peak resident memory
// (the worker's VmHWM while it ran) beside the estimate the plan used.
//
//   bun bench/memory.ts [arc-root] [--sets training,evaluation] [--top 10] [--time-per-task 20]
//                       [--limit-mib 1024] [--run-dir dir] [--json]
//   arc-root  folder with arc-agi-1/ (default ../shared/arc)
//
// Prints one row per task (grid, copies, estimate, peak, peak / estimate) and per set the worst ratio
// and the largest peak against --limit-mib.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { taskFromJson, withoutTestOutputs } from "../src/arc/task.ts";
import { autoCopies, taskCost } from "../src/loop/plan.ts";
import { buildMultitensor } from "../src/models/multitensor/index.ts";

const ROOT = resolve(import.meta.dir, "..");
const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sets: { type: "string", default: "training,evaluation" },
    top: { type: "string", default: "10" },
    "time-per-task": { type: "string", default: "20" },
    "limit-mib": { type: "string", default: "1024" },
    "run-dir": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const arc = resolve(positionals[0] ?? join(ROOT, "..", "shared", "arc"));
const MiB = 2 ** 20;
const top = Number(a.top);
const seconds = Number(a["time-per-task"]);
const limit = Number(a["limit-mib"]) * MiB;

if (!existsSync(join(arc, "arc-agi-1"))) {
  console.error(`\n!!! bench/memory: ARC-AGI-1 data not found under ${arc}; nothing measured: SKIPPED.\n`);
  process.exit(0);
}

interface Row {
  set: string;
  id: string;
  grid: string;
  copies: number;
  estimateBytes: number;
  peakBytes: number | null;
  status: string;
}

/** The default model's estimate for a task at the copies the solver picks when time bounds the run. */
function estimateOf(raw: unknown, id: string): { estimate: number; copies: number; grid: string } {
  const task = withoutTestOutputs(taskFromJson(id, raw as never));
  const copies = autoCopies(taskCost(task));
  const model = buildMultitensor(task, { seed: 0, copies });
  const s = model.layout.sizes;
  return { estimate: model.memoryEstimateBytes, copies, grid: `${s.X}x${s.Y}` };
}

/** The plan's cost of a task (examples x colours x largest grid), to build only the likely largest models. */
const costOf = (raw: unknown, id: string): number => taskCost(taskFromJson(id, raw as never));

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const base = resolve(a["run-dir"] ?? join(tmpdir(), `ttt-memory-${stamp}`));
const rows: Row[] = [];
for (const set of a.sets!.split(",")) {
  const challenges = JSON.parse(
    readFileSync(join(arc, "arc-agi-1", `${set}_challenges.json`), "utf8"),
  ) as Record<string, unknown>;
  const likely = Object.keys(challenges)
    .sort((x, y) => costOf(challenges[y], y) - costOf(challenges[x], x))
    .slice(0, 4 * top);
  const ranked = likely
    .map((id) => ({ id, ...estimateOf(challenges[id], id) }))
    .sort((x, y) => y.estimate - x.estimate)
    .slice(0, top);
  const dir = join(base, set);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "challenges.json");
  writeFileSync(file, JSON.stringify(Object.fromEntries(ranked.map((t) => [t.id, challenges[t.id]]))));
  const args = [
    "src/cli/main.ts",
    "solve",
    file,
    "--run-dir",
    join(dir, "run"),
    "-o",
    join(dir, "submission.json"),
  ];
  args.push("--workers", "1", "--seed", "0", "--time-per-task", `${seconds}s`);
  const proc = Bun.spawn(["bun", ...args], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  await proc.exited;
  const report = JSON.parse(readFileSync(join(dir, "run", "report.json"), "utf8")) as {
    tasks: {
      id: string;
      status: string;
      memoryEstimateBytes?: number;
      peakMemoryBytes?: number;
      copies?: number;
    }[];
  };
  const byId = new Map(report.tasks.map((t) => [t.id, t]));
  for (const t of ranked) {
    const r = byId.get(t.id);
    rows.push({
      set,
      id: t.id,
      grid: t.grid,
      copies: r?.copies ?? t.copies,
      estimateBytes: r?.memoryEstimateBytes ?? t.estimate,
      peakBytes: r?.peakMemoryBytes ?? null,
      status: r?.status ?? "missing",
    });
  }
}

const mib = (b: number | null) => (b === null ? "-" : (b / MiB).toFixed(0));
const ratio = (r: Row) => (r.peakBytes === null ? null : r.peakBytes / r.estimateBytes);
if (a.json) console.log(JSON.stringify({ seconds, limitBytes: limit, rows }, null, 2));
else {
  console.log(
    `bench/memory ${new Date().toISOString().slice(0, 10)}: largest ${top} tasks of each set by estimate, ttt solve --workers 1 --seed 0 --time-per-task ${seconds}s (runs in ${base})\n`,
  );
  console.log("| set | task | grid | copies | estimate MiB | peak MiB | peak / estimate | status |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.set} | ${r.id} | ${r.grid} | ${r.copies} | ${mib(r.estimateBytes)} | ${mib(r.peakBytes)} | ${ratio(r)?.toFixed(2) ?? "-"} | ${r.status} |`,
    );
  for (const set of new Set(rows.map((r) => r.set))) {
    const rs = rows.filter((r) => r.set === set && r.peakBytes !== null);
    const ratios = rs.map((r) => ratio(r)!);
    const peak = Math.max(...rs.map((r) => r.peakBytes!));
    console.log(
      `\n${set}: peak / estimate ${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}; largest peak ${mib(peak)} MiB (${peak <= limit ? "within" : "OVER"} ${mib(limit)} MiB); ${rs.filter((r) => Math.abs(ratio(r)! - 1) > 0.1).length} of ${rs.length} estimates off by more than 10%`,
    );
  }
}
