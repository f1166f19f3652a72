// `ttt show <tasks> [--task id] [--run-dir dir]`: a task's grids (and a run's attempts) in the terminal,
// as coloured blocks on a terminal and as digits when piped or with NO_COLOR.
import { defineCommand } from "citty";
import { gridToRows, loadTasks, type Task } from "../arc/index.ts";
import { colourMode, gridBlock, readRecords, sideBySide, type ColourMode } from "../report/index.ts";
import type { TaskRecord } from "../rundir/records.ts";
import { UsageError } from "./usage-error.ts";

export default defineCommand({
  meta: {
    name: "show",
    description:
      "Print ARC tasks as coloured blocks (digits when piped or NO_COLOR); with --run-dir, a run's attempts too",
  },
  args: {
    tasks: {
      type: "positional",
      description: "Tasks: a *_challenges.json, a task .json, or a folder of them",
      required: true,
    },
    task: { type: "string", description: "Only this task id (default: every task)" },
    "run-dir": {
      type: "string",
      description: "A run directory: show its attempts, confidences and correctness",
    },
    solutions: {
      type: "string",
      description: "Solutions file, 'auto' (beside a challenges file) or 'none'",
      default: "auto",
    },
    color: {
      type: "string",
      description: "auto, always or never",
      default: "auto",
      valueHint: "auto|always|never",
    },
  },
  async run({ args }) {
    const flag = args.color as string;
    if (flag !== "auto" && flag !== "always" && flag !== "never")
      throw new UsageError(`--color must be auto, always or never, got ${flag}`);
    const solutions = args.solutions === "none" ? undefined : (args.solutions as string);
    const loaded = await loadTasks(args.tasks, { solutions });
    let tasks = loaded.tasks;
    if (args.task !== undefined) {
      tasks = tasks.filter((t) => t.id === args.task);
      if (tasks.length === 0) throw new UsageError(`no task ${args.task} in ${args.tasks}`);
    }
    const records = new Map<string, TaskRecord>();
    if (args["run-dir"]) {
      const run = readRecords(args["run-dir"] as string);
      for (const w of run.warnings) process.stderr.write(`warning: ${w}\n`);
      for (const r of run.records) records.set(r.id, r);
    }
    const mode = colourMode(process.env, Boolean(process.stdout.isTTY), flag);
    const out: string[] = [];
    for (const t of tasks) out.push(...showTask(t, records.get(t.id), mode, Boolean(args["run-dir"])), "");
    for (const e of loaded.errors) out.push(`invalid: ${e.toString()}`);
    process.stdout.write(`${out.join("\n")}\n`);
    if (loaded.errors.length > 0) process.exitCode = 1;
  },
});

const pct = (x: number | undefined) => (x === undefined ? "?" : `${(100 * x).toFixed(0)}%`);

/** The lines that show one task (and its record when given). */
export function showTask(
  task: Task,
  record: TaskRecord | undefined,
  mode: ColourMode,
  withRun = false,
): string[] {
  const lines = [`task ${task.id}: ${task.train.length} train pairs, ${task.test.length} test inputs`];
  task.train.forEach((p, i) => {
    lines.push("");
    lines.push(
      ...sideBySide([
        gridBlock(`train ${i + 1} input`, gridToRows(p.input), mode),
        gridBlock("output", gridToRows(p.output), mode),
      ]),
    );
  });
  task.test.forEach((t, i) => {
    const truth = t.output ? gridToRows(t.output) : undefined;
    const blocks = [gridBlock(`test ${i + 1} input`, gridToRows(t.input), mode)];
    const answer = record?.answers[i];
    if (answer) {
      answer.attempts.slice(0, 2).forEach((rows, k) => {
        const mark = truth ? (JSON.stringify(rows) === JSON.stringify(truth) ? " right" : " wrong") : "";
        const votes =
          answer.votes?.[k] !== undefined && record?.copies !== undefined
            ? ` ${answer.votes[k]}/${record.copies} copies`
            : "";
        blocks.push(
          gridBlock(`attempt ${k + 1} ${pct(answer.confidences[k])}${votes}${mark}`, rows, mode, truth),
        );
      });
      if (answer.attempts.length === 0) blocks.push({ title: "no attempt", lines: [], width: 10 });
    } else if (withRun) blocks.push({ title: "not in the run", lines: [], width: 14 });
    if (truth) blocks.push(gridBlock("truth", truth, mode));
    lines.push("");
    lines.push(...sideBySide(blocks));
  });
  if (record)
    lines.push(
      "",
      `status ${record.status} (${record.stop}), ${record.steps} steps, ${record.seconds.toFixed(1)} s${record.score !== undefined ? `, score ${pct(record.score)}` : ""}`,
    );
  return lines;
}
