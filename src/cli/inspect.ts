// `ttt inspect <tasks>`: load tasks in any layout, validate them and print summary figures.
// Exit 1 when any task is invalid.
import { defineCommand } from "citty";
import {
  findSolutionsFile,
  loadTasks,
  SIZE_BUCKETS,
  STDIN_NAME,
  taskSetStats,
  type LoadError,
  type TaskSetStats,
} from "../arc/index.ts";
import { UsageError } from "./usage-error.ts";

export default defineCommand({
  meta: {
    name: "inspect",
    description:
      "Load ARC tasks (Kaggle challenges file, task file, folder, or - for stdin), validate them and print figures",
  },
  args: {
    tasks: {
      type: "positional",
      description: "Tasks: a *_challenges.json, a task .json, a folder of them, or - for stdin",
      required: true,
    },
    solutions: {
      type: "string",
      description:
        "Solutions file for a challenges file; 'auto' finds *_solutions.json beside it, 'none' skips it",
      default: "auto",
      valueHint: "file|auto|none",
    },
    json: { type: "boolean", description: "Print one JSON object instead of text" },
  },
  async run({ args }) {
    const extra = args._.slice(1);
    if (extra.length > 0)
      throw new UsageError(`inspect takes one tasks source, got also: ${extra.join(" ")}`);
    const source = args.tasks;
    const solutions = args.solutions === "none" ? undefined : args.solutions;
    const loaded = await loadTasks(source, { solutions });
    const solutionsFile =
      loaded.layout === "challenges" && solutions !== undefined
        ? solutions === "auto"
          ? findSolutionsFile(source)
          : solutions
        : undefined;
    const stats = taskSetStats(loaded.tasks);
    if (args.json) {
      const out = {
        source,
        layout: loaded.layout,
        solutionsFile: solutionsFile ?? null,
        ...stats,
        errors: loaded.errors.map((e) => e.toJSON()),
      };
      console.log(JSON.stringify(out, null, 2));
    } else if (stats.tasks === 0 && loaded.errors.length > 0) {
      // nothing loaded: the figures would all be zero, the error is the whole answer
      for (const e of loaded.errors) console.error(`ttt: ${e.toString()}`);
    } else {
      printReport(source === "-" ? STDIN_NAME : source, loaded.layout, solutionsFile, stats, loaded.errors);
    }
    if (loaded.errors.length > 0) process.exitCode = 1;
  },
});

const LAYOUT_NAMES: Record<string, string> = {
  task: "single task file",
  challenges: "Kaggle challenges file",
  solutions: "Kaggle solutions file",
  folder: "folder of task files",
  unreadable: "unreadable",
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function printReport(
  source: string,
  layout: string,
  solutionsFile: string | undefined,
  s: TaskSetStats,
  errors: LoadError[],
): void {
  const line = (label: string, value: string) => console.log(`${label.padEnd(20)}${value}`);
  line(
    "source",
    `${source} (${LAYOUT_NAMES[layout] ?? layout}${solutionsFile ? `, solutions from ${solutionsFile}` : ""})`,
  );
  line("tasks", String(s.tasks));
  line(
    "train pairs",
    `${s.trainPairs}${s.tasks ? ` (${(s.trainPairs / s.tasks).toFixed(2)} per task)` : ""}`,
  );
  const perTask = Object.entries(s.testInputsPerTask)
    .map(([n, c]) => `${c} with ${n}`)
    .join(", ");
  line(
    "test inputs",
    `${s.testInputs}, outputs known for ${s.testOutputsKnown}${perTask ? ` (tasks: ${perTask})` : ""}`,
  );
  const g = s.gridSize;
  line(
    "grid size",
    `max(height, width) over ${g.grids} grids: min ${g.min}, median ${g.median}, max ${g.max}`,
  );
  for (const b of SIZE_BUCKETS) {
    const n = g.buckets[b] ?? 0;
    console.log(`  ${b.padEnd(6)}${String(n).padStart(7)}  ${g.grids ? pct(n / g.grids).padStart(6) : ""}`);
  }
  line("colours", "tasks using each colour:");
  console.log(`  ${s.colours.tasksUsing.map((n, c) => `${c}: ${n}`).join("  ")}`);
  line(
    "colours per task",
    Object.entries(s.colours.coloursPerTask)
      .map(([k, n]) => `${k}: ${n}`)
      .join("  ") || "-",
  );
  line(
    "same-shape outputs",
    `${s.sameShapeTasks} of ${s.tasks} tasks${s.tasks ? ` (${pct(s.sameShapeShare)})` : ""}`,
  );
  if (errors.length === 0) {
    line("invalid", "none");
    return;
  }
  line("invalid", `${errors.length} problem${errors.length === 1 ? "" : "s"}:`);
  for (const e of errors) console.log(`  ${e.toString()}`);
}
