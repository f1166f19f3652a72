// `ttt report <run-dir> [-o report.html] [--open]`: one self-contained HTML page for a run.
import { defineCommand } from "citty";
import { writeRunReport } from "../report/index.ts";
import { UsageError } from "./usage-error.ts";

export default defineCommand({
  meta: {
    name: "report",
    description:
      "Write a run's report as one self-contained HTML file (sortable table, grids, attempts, truths, loss curves)",
  },
  args: {
    runDir: { type: "positional", description: "The run directory (holds run.json)", required: true },
    output: { type: "string", alias: "o", description: "Output file (default: <run-dir>/report.html)" },
    tasks: { type: "string", description: "Task source, when the one recorded in run.json has moved" },
    solutions: {
      type: "string",
      description: "Solutions file, when the one recorded has moved; 'none' to skip truths",
    },
    open: { type: "boolean", description: "Open the report in the default browser" },
  },
  async run({ args }) {
    const extra = args._.slice(1);
    if (extra.length > 0)
      throw new UsageError(`report takes one run directory, got also: ${extra.join(" ")}`);
    const t0 = performance.now();
    const r = await writeRunReport(args.runDir, args.output, {
      tasks: args.tasks,
      solutions: args.solutions,
    });
    for (const w of r.warnings) console.error(`warning: ${w}`);
    console.log(
      `wrote ${r.output} (${r.tasks} tasks, ${(r.bytes / 1024).toFixed(0)} KiB, ${(performance.now() - t0).toFixed(0)} ms)`,
    );
    if (args.open) {
      const cmd =
        process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
      try {
        Bun.spawn([cmd, r.output], { stdout: "ignore", stderr: "ignore" }).unref();
      } catch (e) {
        console.error(`could not open a browser (${cmd}): ${(e as Error).message ?? e}`);
      }
    }
  },
});
