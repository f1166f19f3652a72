// `ttt solve <tasks>`: train a model per task at test time and write a Kaggle submission (always valid,
// rewritten after every task), a run directory with per-task records, checkpoints and a report, and a
// summary. `--resume` continues a killed run in its run directory.
// Exit codes: 0 when some task was answered, 1 when nothing could be done, 2 bad usage, 130 Ctrl-C.
import { defineCommand } from "citty";
import { DEFAULT_FAMILY, FAMILIES } from "../models/registry.ts";
import { defaultWorkers } from "../workers/pool.ts";
import { PlainDisplay, summaryLines, TerminalDisplay } from "../run/progress.ts";
import { defaultRunDir } from "../rundir/run-dir.ts";
import {
  DEFAULT_CHECKPOINT_EVERY,
  DEFAULT_KEEP_CHECKPOINTS,
  solve,
  type SolveSettings,
} from "../run/solve.ts";
import { OptionError, parseSize } from "../util/units.ts";
import { PRETRAIN_FIRST_WITH_SHARD, shardPaths } from "../run/shard-solve.ts";
import { parseDeviceList } from "../workers/devices.ts";
import { EP_CHOICES } from "../runtime/providers.ts";
import { UsageError } from "./usage-error.ts";
import { optionReaders } from "./option-readers.ts";

export default defineCommand({
  meta: {
    name: "solve",
    description:
      "Solve ARC tasks by test-time training: a small model trained per task, two attempts per test input, a Kaggle submission.json",
  },
  args: {
    // Upper-case key: shown as <TASKS> and kept apart from the --tasks option.
    TASKS: {
      type: "positional",
      description: "Tasks: a *_challenges.json, a task .json, a folder of them, or - for stdin",
      required: true,
    },
    output: {
      type: "string",
      alias: "o",
      description:
        "Submission file, rewritten after every task (default submission.json; with --shard <shard dir>/submission.json)",
      valueHint: "file",
    },
    solutions: {
      type: "string",
      description:
        "Solutions for scoring (a *_solutions.json or tasks with test outputs); default: the tasks' own test outputs or the *_solutions.json beside a challenges file",
      valueHint: "file",
    },
    "run-dir": {
      type: "string",
      description:
        "Run directory for per-task records, checkpoints and report.json (default runs/<timestamp>)",
      valueHint: "dir",
    },
    resume: {
      type: "boolean",
      description:
        "Continue the run in --run-dir: finished tasks kept, the one in flight from its last good checkpoint (same tasks and settings; a directory with no run starts one)",
    },
    "checkpoint-every": {
      type: "string",
      description: `Steps between a task's checkpoints; 0: only at its end (default ${DEFAULT_CHECKPOINT_EVERY})`,
      valueHint: "n",
    },
    "keep-checkpoints": {
      type: "string",
      description: `Checkpoint versions kept per running task; a finished task keeps its final one (default ${DEFAULT_KEEP_CHECKPOINTS})`,
      valueHint: "k",
    },
    "time-per-task": {
      type: "string",
      description: "Most time per task, e.g. 90s, 5m (default: no limit)",
      valueHint: "duration",
    },
    "time-budget": {
      type: "string",
      description: "Time for the whole run, shared among the tasks, e.g. 12h, 1h30m (default: no limit)",
      valueHint: "duration",
    },
    steps: {
      type: "string",
      description:
        "Optimizer steps per task (default: ~1000 scaled by task size, 4x that when --time-per-task or --time-budget bounds the run)",
      valueHint: "n",
    },
    chunk: {
      type: "string",
      description: "Steps per ONNX Loop run, answers updated after each (default: by task size)",
      valueHint: "k",
    },
    patience: {
      type: "string",
      description:
        "Stop a task once its answers are unchanged for this many steps; 0 never (default: steps/4)",
      valueHint: "n",
    },
    copies: {
      type: "string",
      description:
        "Independent copies of the model trained per task in one graph, whose answers vote: a number, or auto (default: by task size, 4 for small tasks, 1 for large ones)",
      valueHint: "n|auto",
    },
    restarts: {
      type: "boolean",
      description:
        "With --time-per-task: once a task's answers are stable, train fresh copies in its remaining time (their answers join the vote) instead of stopping (default on; --no-restarts stops)",
    },
    workers: {
      type: "string",
      description: `Tasks run in parallel, each in its own process (default ${defaultWorkers()} here)`,
      valueHint: "n",
    },
    ep: {
      type: "string",
      description:
        "Execution provider: auto (CUDA when available, else WebGPU on a hardware adapter, else the CPU), cuda, webgpu or cpu",
      default: "auto",
      valueHint: "auto|cuda|webgpu|cpu",
    },
    threads: { type: "string", description: "ONNX Runtime threads per worker", default: "1", valueHint: "n" },
    seed: {
      type: "string",
      description: "Run seed; each task's seed comes from it and the task id",
      default: "0",
      valueHint: "n",
    },
    tasks: { type: "string", description: "Only these task ids (comma-separated)", valueHint: "id,id" },
    "max-memory": {
      type: "string",
      description:
        "Skip tasks whose model is estimated to need more, e.g. 4G (default: 80% of memory / workers)",
      valueHint: "size",
    },
    family: {
      type: "string",
      description: `Model family: ${Object.keys(FAMILIES).join(", ")}, or a module path`,
      default: DEFAULT_FAMILY,
      valueHint: "name",
    },
    shard: {
      type: "string",
      description:
        "Solve only shard I of N (0-based; tasks split by cost), in <run-dir>/shard-III-of-NNN; auto: from a Slurm array or Kubernetes Indexed Job",
      valueHint: "I/N|auto",
    },
    devices: {
      type: "string",
      description:
        "GPUs to spread the workers over, by nvidia-smi index or GPU UUID (default: every GPU shown, within CUDA_VISIBLE_DEVICES); each device takes as many workers as its memory holds, each worker pinned by UUID",
      valueHint: "0,1,...",
    },
    prior: {
      type: "string",
      description: "Start every task from this prior (a ttt pretrain file) instead of seeded weights",
      valueHint: "file",
    },
    "no-prior": { type: "boolean", description: "Start every task from seeded weights (no prior)" },
    "pretrain-first": {
      type: "string",
      description:
        "Spend this share of the run's time learning a prior from the run's own tasks, then solve from it (needs --time-per-task or --time-budget; not with --shard)",
      valueHint: "0..1",
    },
    json: { type: "boolean", description: "Print the final report as JSON on stdout" },
  },
  async run({ args }) {
    const extra = args._.slice(1);
    if (extra.length > 0) throw new UsageError(`solve takes one tasks source, got also: ${extra.join(" ")}`);
    let settings: SolveSettings;
    try {
      settings = settingsFrom(args as unknown as Record<string, string | boolean | undefined>);
    } catch (e) {
      if (e instanceof OptionError) throw new UsageError(e.message);
      throw e;
    }
    const controller = new AbortController();
    let sigints = 0;
    const onSigint = () => {
      if (++sigints > 1) process.exit(130);
      process.stderr.write("\nttt solve: interrupted; finishing the submission (Ctrl-C again to quit now)\n");
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    try {
      const display = process.stderr.isTTY ? new TerminalDisplay() : new PlainDisplay();
      const share = pretrainShare(args as unknown as Record<string, string | boolean | undefined>);
      const deps = { display, signal: controller.signal, startedAt: 0 };
      const result =
        share === undefined
          ? await solve(settings, deps)
          : await (await import("../run/pretrain-first.ts")).solveWithPretraining(settings, share, deps);
      if (args.json) process.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
      else for (const line of summaryLines(result.report)) process.stdout.write(`${line}\n`);
      if (result.writeFailure)
        for (const line of result.writeFailure) process.stderr.write(`ttt solve: ${line}\n`);
      else if (result.exitCode !== 0) process.stderr.write("ttt solve: no task could be answered\n");
      process.exitCode = result.interrupted ? 130 : result.exitCode;
    } catch (e) {
      if (e instanceof OptionError) throw new UsageError(e.message);
      throw e;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
});

/** Settings from the parsed arguments; OptionError for a value that cannot be used. */
export function settingsFrom(a: Record<string, string | boolean | undefined>): SolveSettings {
  const { str, int, duration } = optionReaders(a);
  const ep = str("ep") ?? "auto";
  if (!(EP_CHOICES as readonly string[]).includes(ep))
    throw new OptionError(`--ep must be auto, cuda, webgpu or cpu, got "${ep}"`);
  const ids = str("tasks")
    ?.split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  if (str("tasks") !== undefined && (!ids || ids.length === 0))
    throw new OptionError("--tasks needs at least one task id");
  const maxMemory = str("max-memory");
  if (a.resume === true && str("run-dir") === undefined)
    throw new OptionError("--resume needs --run-dir (the run directory to continue)");
  const s: SolveSettings = {
    source: str("TASKS")!,
    output: str("output") ?? "submission.json",
    runDir: str("run-dir") ?? defaultRunDir(),
    workers: int("workers", 1) ?? defaultWorkers(),
    ep: ep as SolveSettings["ep"],
    threads: int("threads", 1) ?? 1,
    seed: int("seed", 0) ?? 0,
    family: str("family") ?? DEFAULT_FAMILY,
  };
  const opt = <K extends keyof SolveSettings>(k: K, v: SolveSettings[K] | undefined) => {
    if (v !== undefined) s[k] = v;
  };
  opt("solutions", str("solutions"));
  opt("timePerTask", duration("time-per-task"));
  opt("timeBudget", duration("time-budget"));
  opt("steps", int("steps", 1));
  opt("chunk", int("chunk", 1));
  opt("patience", int("patience", 0));
  const copies = str("copies");
  if (copies !== undefined && copies !== "auto") {
    const n = Number(copies);
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new OptionError(`--copies must be auto or a whole number from 1 to 64, got "${copies}"`);
    s.copies = n;
  } else opt("copies", copies === "auto" ? "auto" : undefined);
  opt("restarts", a.restarts === false ? false : undefined);
  opt("taskIds", ids);
  opt("resume", a.resume === true ? true : undefined);
  opt("checkpointEvery", int("checkpoint-every", 0));
  opt("keepCheckpoints", int("keep-checkpoints", 1));
  opt("maxMemoryBytes", maxMemory === undefined ? undefined : parseSize(maxMemory, "--max-memory"));
  const devices = str("devices");
  opt("devices", devices === undefined ? undefined : parseDeviceList(devices));
  opt("explicitWorkers", str("workers") !== undefined ? true : undefined);
  const shard = str("shard");
  if (shard !== undefined) Object.assign(s, shardPaths(shard, str("run-dir"), str("output")));
  // citty reads --no-prior as prior = false (the later of --prior and --no-prior wins)
  const prior = str("prior");
  if (prior !== undefined && a["no-prior"] !== true) s.prior = prior;
  const share = pretrainShare(a);
  if (share !== undefined && s.shard !== undefined) throw new OptionError(PRETRAIN_FIRST_WITH_SHARD);
  if (share !== undefined && s.timePerTask === undefined && s.timeBudget === undefined)
    throw new OptionError(
      "--pretrain-first needs --time-per-task or --time-budget (its share is of the run's time)",
    );
  return s;
}

/** --pretrain-first's share of the run's time, checked. */
export function pretrainShare(a: Record<string, string | boolean | undefined>): number | undefined {
  const v = typeof a["pretrain-first"] === "string" ? (a["pretrain-first"] as string) : undefined;
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(x > 0 && x < 1))
    throw new OptionError(`--pretrain-first must be a share between 0 and 1, e.g. 0.25; got "${v}"`);
  return x;
}
