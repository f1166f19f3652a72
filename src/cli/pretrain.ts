// `ttt pretrain <tasks> -o prior.ttt`: learn the default family's task-independent weights across many
// tasks' demonstration pairs (Reptile over short per-task runs on the worker pool), for `ttt solve
// --prior`. Progress one line per round; the run directory keeps the prior after every round, so
// --resume goes on from the next one. Exit codes: 0 done, 1 failure, 2 bad usage, 130 Ctrl-C.
import { existsSync, readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { DEFAULT_FAMILY } from "../models/registry.ts";
import { defaultWorkers } from "../workers/pool.ts";
import { PlainDisplay } from "../run/progress.ts";
import { defaultRunDir } from "../rundir/run-dir.ts";
import { pretrain, type PretrainSettings } from "../run/pretrain.ts";
import { OptionError, formatDuration, formatSize } from "../util/units.ts";
import { EP_CHOICES } from "../runtime/providers.ts";
import { UsageError } from "./usage-error.ts";
import { optionReaders } from "./option-readers.ts";

export const PRETRAIN_DEFAULTS = { innerSteps: 100, innerSeconds: 20, batch: 8, rate: 0.5 } as const;

export default defineCommand({
  meta: {
    name: "pretrain",
    description:
      "Learn a prior (the model's task-independent weights) from many tasks' demonstration pairs, for ttt solve --prior",
  },
  args: {
    TASKS: {
      type: "positional",
      description:
        "Tasks: a *_challenges.json, a task .json or a folder of them (test outputs are never used)",
      required: true,
    },
    output: {
      type: "string",
      alias: "o",
      description: "Prior file to write (default prior.ttt)",
      valueHint: "file",
    },
    "run-dir": {
      type: "string",
      description:
        "Run directory: settings, one line per round, the prior so far (default runs/pretrain-<timestamp>)",
      valueHint: "dir",
    },
    resume: { type: "boolean", description: "Go on from the last finished round in --run-dir" },
    "time-budget": {
      type: "string",
      description: "Time for the whole run, e.g. 20m, 2h",
      valueHint: "duration",
    },
    rounds: {
      type: "string",
      description: "Rounds to run (default: until --time-budget is spent)",
      valueHint: "n",
    },
    "inner-steps": {
      type: "string",
      description: `Optimizer steps per task and round (default ${PRETRAIN_DEFAULTS.innerSteps})`,
      valueHint: "n",
    },
    "inner-seconds": {
      type: "string",
      description: `Most time per task and round (default ${PRETRAIN_DEFAULTS.innerSeconds}s)`,
      valueHint: "duration",
    },
    batch: {
      type: "string",
      description: `Tasks per round, their weights averaged (default ${PRETRAIN_DEFAULTS.batch})`,
      valueHint: "n",
    },
    rate: {
      type: "string",
      description: `Reptile's outer step: prior += rate * (mean task weights - prior) (default ${PRETRAIN_DEFAULTS.rate})`,
      valueHint: "x",
    },
    from: {
      type: "string",
      description: "Start from this prior instead of seeded weights",
      valueHint: "file",
    },
    tasks: { type: "string", description: "Only these task ids (comma-separated)", valueHint: "id,id" },
    exclude: {
      type: "string",
      description:
        "Leave out these task ids: comma-separated, or a file with one id per line (a held-out sample)",
      valueHint: "ids|file",
    },
    workers: {
      type: "string",
      description: `Tasks trained in parallel (default ${defaultWorkers()} here)`,
      valueHint: "n",
    },
    ep: {
      type: "string",
      description: "Execution provider: auto, cuda, webgpu or cpu",
      default: "auto",
      valueHint: "auto|cuda|webgpu|cpu",
    },
    threads: { type: "string", description: "ONNX Runtime threads per worker", default: "1", valueHint: "n" },
    seed: {
      type: "string",
      description: "Seed of the task order, the initial weights and the noise",
      default: "0",
      valueHint: "n",
    },
    family: { type: "string", description: "Model family", default: DEFAULT_FAMILY, valueHint: "name" },
  },
  async run({ args }) {
    const extra = args._.slice(1);
    if (extra.length > 0)
      throw new UsageError(`pretrain takes one tasks source, got also: ${extra.join(" ")}`);
    let settings: PretrainSettings;
    try {
      settings = pretrainSettingsFrom(args as unknown as Record<string, string | boolean | undefined>);
    } catch (e) {
      if (e instanceof OptionError) throw new UsageError(e.message);
      throw e;
    }
    const controller = new AbortController();
    const onSigint = () => {
      process.stderr.write(
        "\nttt pretrain: interrupted; the prior of the last finished round is kept (--resume goes on)\n",
      );
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    try {
      const display = new PlainDisplay();
      display.log(
        "info",
        `pretraining on ${settings.source}${settings.exclude?.length ? ` less ${settings.exclude.length} held-out ids` : ""}: ${settings.batch} tasks per round, ${settings.innerSteps} steps each, rate ${settings.rate}, ${settings.workers} workers, run directory ${settings.runDir}`,
      );
      const r = await pretrain(settings, { display, signal: controller.signal });
      const done = `${r.rounds} rounds over ${r.tasks} tasks in ${formatDuration(r.seconds)}`;
      if (r.interrupted)
        process.stdout.write(
          `interrupted after ${done}; resume with --run-dir ${settings.runDir} --resume\n`,
        );
      else process.stdout.write(`wrote ${r.output} (${formatSize(r.priorBytes)}): ${done}\n`);
      process.exitCode = r.interrupted ? 130 : 0;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
});

export function pretrainSettingsFrom(a: Record<string, string | boolean | undefined>): PretrainSettings {
  const { str, int, duration } = optionReaders(a);
  const rateText = str("rate");
  const rate = rateText === undefined ? PRETRAIN_DEFAULTS.rate : Number(rateText);
  if (!(rate > 0 && rate <= 1)) throw new OptionError(`--rate must be in (0, 1], got "${rateText}"`);
  const ep = str("ep") ?? "auto";
  if (!(EP_CHOICES as readonly string[]).includes(ep))
    throw new OptionError(`--ep must be auto, cuda, webgpu or cpu, got "${ep}"`);
  if (a.resume === true && str("run-dir") === undefined)
    throw new OptionError("--resume needs --run-dir (the pretraining run to continue)");
  const rounds = int("rounds", 1);
  const timeBudget = duration("time-budget");
  if (rounds === undefined && timeBudget === undefined)
    throw new OptionError("pretrain needs --time-budget or --rounds (how long to learn)");
  const list = (v: string | undefined) =>
    v
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const excludeText = str("exclude");
  const exclude =
    excludeText !== undefined && existsSync(excludeText)
      ? readFileSync(excludeText, "utf8").split(/\s+/).filter(Boolean)
      : list(excludeText);
  const s: PretrainSettings = {
    source: str("TASKS")!,
    output: str("output") ?? "prior.ttt",
    runDir: str("run-dir") ?? defaultRunDir(new Date(), "runs", "pretrain-"),
    family: str("family") ?? DEFAULT_FAMILY,
    seed: int("seed", 0) ?? 0,
    innerSteps: int("inner-steps", 1) ?? PRETRAIN_DEFAULTS.innerSteps,
    innerSeconds: duration("inner-seconds") ?? PRETRAIN_DEFAULTS.innerSeconds,
    batch: int("batch", 1) ?? PRETRAIN_DEFAULTS.batch,
    rate,
    workers: int("workers", 1) ?? defaultWorkers(),
    ep: ep as PretrainSettings["ep"],
    threads: int("threads", 1) ?? 1,
  };
  if (rounds !== undefined) s.rounds = rounds;
  if (timeBudget !== undefined) s.timeBudget = timeBudget;
  if (a.resume === true) s.resume = true;
  const ids = list(str("tasks"));
  if (ids?.length) s.taskIds = ids;
  if (exclude?.length) s.exclude = exclude;
  const from = str("from");
  if (from !== undefined) s.from = from;
  return s;
}
