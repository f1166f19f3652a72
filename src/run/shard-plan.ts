// A sharded solve's share of the tasks: every task of the set planned (cost only, nothing built), the
// set partitioned into N shards by cost, and the record run.json keeps of it. Invalid tasks (that could
// not be loaded) are shards' tasks too, at no cost: each appears in exactly one shard's submission.
import { taskToJson, type Task } from "../arc/index.ts";
import type { ShardRecord } from "../rundir/shard-record.ts";
import { planTask, type PlanOptions } from "../loop/plan.ts";
import { costUnit, partition, shardName, shardCost, taskSetId, type Shard } from "./shard.ts";

export interface ShardInputs {
  /** Valid tasks (without test outputs), in source order. */
  tasks: readonly Task[];
  /** Tasks that could not be loaded, with their number of test inputs. */
  invalid: readonly { id: string; tests: number }[];
}

export interface ShardPlan {
  record: ShardRecord;
  /** The ids this shard solves, in source order. */
  ids: Set<string>;
}

/** The shard's tasks and its run.json record. */
export function planShard(
  shard: Shard,
  inputs: ShardInputs,
  o: PlanOptions & { timePerTask?: number | undefined; timeBudget?: number | undefined },
): ShardPlan {
  const unit = costUnit(o);
  const all = [
    ...inputs.tasks.map((t) => ({
      id: t.id,
      tests: t.test.length,
      cost: shardCost(unit, planTask(t, o)),
      content: taskToJson(t, false),
    })),
    ...inputs.invalid.map((t) => ({ id: t.id, tests: Math.max(1, t.tests), cost: 0, content: null })),
  ];
  const shards = partition(all, shard.count);
  const record: ShardRecord = {
    index: shard.index,
    count: shard.count,
    name: shardName(shard),
    taskSet: taskSetId(all),
    costUnit: unit,
    tasks: all.map((t, i) => ({ id: t.id, tests: t.tests, shard: shards[i]! })),
  };
  return { record, ids: new Set(record.tasks.filter((t) => t.shard === shard.index).map((t) => t.id)) };
}
