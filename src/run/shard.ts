// `ttt solve --shard I/N|auto`: which of N shards this process solves, and the partition of a task set
// into N shards. The partition is a pure function of the task list (in source order), each task's cost
// and N, so every machine that loads the same tasks with the same settings cuts the same shards without
// talking to the others. Shards are balanced by cost, not by count: tasks are placed from the costliest
// down, each on the shard with the least cost so far (ties: the lower shard), and each shard keeps its
// tasks in source order. `auto` reads the index and count from the job engine: a Slurm job array
// (SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _MAX, _STEP; arrays need not start at 0) or a Kubernetes Indexed
// Job (JOB_COMPLETION_INDEX, with the count in TTT_SHARD_COUNT, which the manifest sets).
import { createHash } from "node:crypto";
import { OptionError } from "../util/units.ts";
import { parseShardName, type Shard, shardName } from "../rundir/shard-record.ts";

export { parseShardName, type Shard, shardName };

type Env = Record<string, string | undefined>;

/** `--shard` given as "I/N" or "auto" (then read from `env`); OptionError names what is wrong. */
export function parseShard(text: string, env: Env = process.env): Shard {
  const value = text.trim();
  if (value === "auto") return shardFromEnv(env);
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(value);
  if (!m) throw new OptionError(`--shard must be I/N (0-based index I of N shards) or auto, got "${text}"`);
  return checked(Number(m[1]), Number(m[2]), `--shard ${value}`);
}

function checked(index: number, count: number, from: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new OptionError(`${from}: the number of shards must be at least 1, got ${count}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw new OptionError(
      `${from}: shard index ${index} is out of range for ${count} shard${count === 1 ? "" : "s"} (0..${count - 1})`,
    );
  return { index, count };
}

/** The shard from a Slurm array or a Kubernetes Indexed Job; OptionError when absent or inconsistent. */
export function shardFromEnv(env: Env): Shard {
  const slurm = env.SLURM_ARRAY_TASK_ID;
  const k8s = env.JOB_COMPLETION_INDEX;
  if (slurm !== undefined && k8s !== undefined)
    throw new OptionError(
      `--shard auto: both a Slurm array (SLURM_ARRAY_TASK_ID=${slurm}) and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=${k8s}) are in the environment; give --shard I/N`,
    );
  const int = (name: string, required: boolean): number | undefined => {
    const v = env[name];
    if (v === undefined || v.trim() === "") {
      if (required)
        throw new OptionError(`--shard auto: ${name} is not set${missingHint(slurm !== undefined)}`);
      return undefined;
    }
    if (!/^\s*\d+\s*$/.test(v))
      throw new OptionError(`--shard auto: ${name} must be a whole number >= 0, got "${v}"`);
    return Number(v);
  };
  const declared = int("TTT_SHARD_COUNT", false);
  if (slurm !== undefined) {
    const id = int("SLURM_ARRAY_TASK_ID", true)!;
    const count = int("SLURM_ARRAY_TASK_COUNT", true)!;
    const min = int("SLURM_ARRAY_TASK_MIN", true)!;
    const max = int("SLURM_ARRAY_TASK_MAX", true)!;
    const step = int("SLURM_ARRAY_TASK_STEP", false) ?? 1;
    const from = `--shard auto (Slurm array task ${id} of ${min}-${max}${step !== 1 ? `:${step}` : ""}, ${count} tasks)`;
    if (step < 1 || max < min || (max - min) % step !== 0 || (max - min) / step + 1 !== count)
      throw new OptionError(
        `${from}: SLURM_ARRAY_TASK_COUNT=${count} does not match the range SLURM_ARRAY_TASK_MIN=${min} .. SLURM_ARRAY_TASK_MAX=${max} (step ${step}); submit the array as one range, e.g. --array=0-${count - 1}`,
      );
    if (id < min || id > max || (id - min) % step !== 0)
      throw new OptionError(`${from}: SLURM_ARRAY_TASK_ID=${id} is not one of the array's indices`);
    if (declared !== undefined && declared !== count)
      throw new OptionError(
        `${from}: TTT_SHARD_COUNT=${declared} but the array has ${count} tasks; submit --array with ${declared} tasks, or give --shard I/N`,
      );
    return checked((id - min) / step, count, from);
  }
  if (k8s !== undefined) {
    const index = int("JOB_COMPLETION_INDEX", true)!;
    if (declared === undefined)
      throw new OptionError(
        `--shard auto: JOB_COMPLETION_INDEX=${index} (a Kubernetes Indexed Job) is set but TTT_SHARD_COUNT is not; the manifest must set it to the Job's completions`,
      );
    return checked(
      index,
      declared,
      `--shard auto (Kubernetes JOB_COMPLETION_INDEX=${index}, TTT_SHARD_COUNT=${declared})`,
    );
  }
  throw new OptionError(
    "--shard auto: neither a Slurm array (SLURM_ARRAY_TASK_ID) nor a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) is in the environment; give --shard I/N",
  );
}

function missingHint(slurm: boolean): string {
  return slurm ? " (Slurm sets it for job arrays: submit with sbatch --array=...)" : "";
}

/** One entry of the partition: a task and its cost (the planner's estimate). */
export interface CostedTask {
  id: string;
  cost: number;
}

/**
 * The shard of each task (same order as `tasks`), for `count` shards: costliest first onto the least
 * loaded shard. Costs that are not finite or below 0 count as 0.
 */
export function partition(tasks: readonly CostedTask[], count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`partition: ${count} shards`);
  const cost = (t: CostedTask) => (Number.isFinite(t.cost) && t.cost > 0 ? t.cost : 0);
  const order = tasks.map((_, i) => i).sort((a, b) => cost(tasks[b]!) - cost(tasks[a]!) || a - b);
  const load = new Array<number>(count).fill(0);
  const sizes = new Array<number>(count).fill(0);
  const out = new Array<number>(tasks.length).fill(0);
  for (const i of order) {
    let best = 0;
    for (let s = 1; s < count; s++)
      if (load[s]! < load[best]! || (load[s] === load[best] && sizes[s]! < sizes[best]!)) best = s;
    out[i] = best;
    load[best]! += cost(tasks[i]!);
    sizes[best]!++;
  }
  return out;
}

/** What a shard's cost is measured in, given the run's limits (the partition's unit, named in run.json). */
export type CostUnit = "task" | "weight" | "weight-steps";

/**
 * The unit a task's cost is counted in: with --time-per-task every task may use its limit (one unit
 * each); with only --time-budget the budget is shared by time weight; otherwise a task's time grows
 * with its weight times its steps.
 */
export function costUnit(o: { timePerTask?: number | undefined; timeBudget?: number | undefined }): CostUnit {
  if (o.timePerTask !== undefined) return "task";
  return o.timeBudget !== undefined ? "weight" : "weight-steps";
}

/** A task's cost in that unit from its plan (weight: plan.weight, steps: plan.steps). */
export function shardCost(unit: CostUnit, plan: { weight: number; steps: number }): number {
  if (unit === "task") return 1;
  return unit === "weight" ? plan.weight : plan.weight * plan.steps;
}

/** A fingerprint of the task set: sha256 over the ids in order and each task's visible content. */
export function taskSetId(tasks: readonly { id: string; content: unknown }[]): string {
  const h = createHash("sha256");
  for (const t of tasks) h.update(`${JSON.stringify(t.id)}\n${JSON.stringify(t.content ?? null)}\n`);
  return `sha256:${h.digest("hex")}`;
}
