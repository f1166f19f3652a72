// `ttt merge <root | shard run dirs...> -o submission.json [--partial]`: the shards of a sharded solve
// (`ttt solve --shard`) as one submission and one report. Reads finished records only, so it is safe
// while shards still run; writes only the submission and the merged folder (default <root>/merged).
// Exit codes: 0 merged, 1 a shard missing or unfinished (without --partial), or damaged, or a mix of
// runs; 2 bad usage.
import { defineCommand } from "citty";
import { dirname, join, resolve } from "node:path";
import { missingLines, planMerge, shardFolders } from "../rundir/merge.ts";
import { writeMerge } from "../run/merge-write.ts";
import { UsageError } from "./usage-error.ts";

export default defineCommand({
  meta: {
    name: "merge",
    description:
      "Merge the shards of `ttt solve --shard` into one submission, report.json and report.html (checks they belong together)",
  },
  args: {
    DIRS: {
      type: "positional",
      description: "The common root of the shards (its shard-III-of-NNN folders), or shard run directories",
      required: true,
    },
    output: {
      type: "string",
      alias: "o",
      description: "Submission file over all tasks",
      default: "submission.json",
      valueHint: "file",
    },
    "report-dir": {
      type: "string",
      description:
        "Folder for the merged records, report.json and report.html (default <root>/merged, or merged/ beside the submission)",
      valueHint: "dir",
    },
    partial: {
      type: "boolean",
      description: "Write what exists when shards are missing or unfinished (their tasks get [[0]] attempts)",
    },
    json: { type: "boolean", description: "Print the result as JSON" },
  },
  async run({ args }) {
    const paths = [args.DIRS, ...args._.slice(1)].filter((p): p is string => typeof p === "string");
    if (paths.length === 0) throw new UsageError("merge needs a root folder or shard run directories");
    const output = args.output ?? "submission.json";
    const { roots } = shardFolders(paths);
    const folder =
      args["report-dir"] ??
      (roots.length === 1 && paths.length === 1
        ? join(roots[0]!, "merged")
        : join(dirname(output), "merged"));
    const plan = planMerge(paths);
    if (plan.shards.some((s) => resolve(s.dir) === resolve(folder)))
      throw new UsageError(`--report-dir ${folder} is a shard's run directory`);
    const lines = missingLines(plan);
    const say = (line: string) => process.stderr.write(`ttt merge: ${line}\n`);
    for (const n of plan.notes) say(`note: ${n}`);
    const total = plan.tasks.length;
    const done = total - plan.missing.length;
    if (plan.missing.length > 0 && !args.partial) {
      for (const l of lines) say(l);
      say(
        `${plan.missing.length} of ${total} tasks have no finished record; nothing written (--partial writes what exists)`,
      );
      process.exitCode = 1;
      return;
    }
    const out = await writeMerge(plan, output, folder);
    for (const w of out.warnings) say(`warning: ${w}`);
    if (plan.missing.length > 0) {
      for (const l of lines) say(l);
      say(`--partial: ${plan.missing.length} of ${total} tasks missing, written with [[0]] attempts`);
    }
    const score = out.totals.score;
    const summary = {
      shards: plan.count,
      shardsFinished: plan.count - plan.absent.length - plan.unfinished.length,
      tasks: total,
      tasksFinished: done,
      missing: plan.missing,
      /** Tasks the shards' time budgets never reached (`--resume` with more time runs them). */
      outOfTime: plan.unfinished.flatMap((u) => u.noTime),
      submission: output,
      folder,
      score: score ? score.score : null,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `merged ${summary.shardsFinished} of ${plan.count} shards finished, ${done} of ${total} tasks -> ${output}\n`,
    );
    process.stdout.write(`report: ${join(folder, "report.html")}\n`);
    if (score)
      process.stdout.write(
        `score: ${(100 * score.score).toFixed(1)}% of ${score.tasks} tasks (${score.outputsCorrect}/${score.outputsTotal} outputs)\n`,
      );
  },
});
