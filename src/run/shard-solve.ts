// `ttt solve --shard I/N|auto` on top of an ordinary solve: the run directory given is the common root
// of all shards and this shard works in <root>/shard-III-of-NNN/ (its own lock, journal, checkpoints and
// --resume), writing its submission there unless -o is given; the loaded task set is cut down to this
// shard's tasks, and run.json records the partition (shard-record.ts) for `ttt merge`.
import { join } from "node:path";
import type { ShardRecord } from "../rundir/shard-record.ts";
import type { RunInputs } from "./inputs.ts";
import { OptionError } from "../util/units.ts";
import { planShard } from "./shard-plan.ts";
import { parseShard, shardName, type Shard } from "./shard.ts";

/**
 * Why --pretrain-first and --shard do not go together (each shard would learn a prior of its own, from
 * every task, for a time sized for them all), and what to do instead.
 */
export const PRETRAIN_FIRST_WITH_SHARD =
  "--pretrain-first cannot be used with --shard: each shard would learn a prior of its own, from every task, for a time sized for them all. Learn one prior once with `ttt pretrain <tasks> -o prior.ttt` and give every shard `--prior prior.ttt`";

/** The shard and its folders from the command line: root = --run-dir (required with --shard). */
export function shardPaths(
  text: string,
  runDir: string | undefined,
  output: string | undefined,
  env: Record<string, string | undefined> = process.env,
): { shard: Shard; runDir: string; output: string } {
  const shard = parseShard(text, env);
  if (runDir === undefined)
    throw new OptionError(
      "--shard needs --run-dir: the common root on a filesystem every shard sees (each shard works in <root>/shard-III-of-NNN)",
    );
  const dir = join(runDir, shardName(shard));
  return { shard, runDir: dir, output: output ?? join(dir, "submission.json") };
}

export interface ShardSolveSettings {
  shard?: Shard;
  seed: number;
  steps?: number;
  chunk?: number;
  patience?: number;
  timePerTask?: number;
  timeBudget?: number;
}

/** This shard's inputs (tasks and invalid tasks of other shards left out) and its run.json record. */
export function shardInputs(
  inputs: RunInputs,
  s: ShardSolveSettings,
): { inputs: RunInputs; record?: ShardRecord } {
  if (!s.shard) return { inputs };
  const { record, ids } = planShard(s.shard, inputs, {
    seed: s.seed,
    timeLimited: s.timePerTask !== undefined || s.timeBudget !== undefined,
    timePerTask: s.timePerTask,
    timeBudget: s.timeBudget,
    ...(s.steps !== undefined ? { steps: s.steps } : {}),
    ...(s.chunk !== undefined ? { chunk: s.chunk } : {}),
    ...(s.patience !== undefined ? { patience: s.patience } : {}),
  });
  const mine = <T extends { id: string }>(list: readonly T[]) => list.filter((t) => ids.has(t.id));
  const solutions = new Map([...inputs.solutions].filter(([id]) => ids.has(id)));
  return {
    inputs: { ...inputs, tasks: mine(inputs.tasks), invalid: mine(inputs.invalid), solutions },
    record,
  };
}
