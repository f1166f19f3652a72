// A shard's run directory says which shard it is in run.json's "shard" field: its index and count, the
// fingerprint of the whole task set it was cut from, the cost unit of the partition, and every task of
// the set with its number of test inputs and its shard. So `ttt merge` can check shards against each
// other, and fill in a missing shard's tasks validly, from the shards' own folders alone.
import * as v from "valibot";
import { RUN_DIR_FORMATS_READ } from "./formats/index.ts";

export interface Shard {
  /** 0-based: 0 .. count-1. */
  index: number;
  count: number;
}

/** The shard's folder under the common root: shard-003-of-008 (index 0-based, at least 3 digits). */
export function shardName(s: Shard): string {
  const width = Math.max(3, String(s.count).length);
  return `shard-${String(s.index).padStart(width, "0")}-of-${String(s.count).padStart(width, "0")}`;
}

/** The shard a folder name stands for, or undefined when it is not a shard folder's name. */
export function parseShardName(name: string): Shard | undefined {
  const m = /^shard-(\d+)-of-(\d+)$/.exec(name);
  if (!m) return undefined;
  const s = { index: Number(m[1]), count: Number(m[2]) };
  return s.count >= 1 && s.index < s.count ? s : undefined;
}

export const ShardTaskSchema = v.object({
  id: v.string(),
  tests: v.pipe(v.number(), v.integer(), v.minValue(1)),
  shard: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

export const ShardRecordSchema = v.object({
  index: v.pipe(v.number(), v.integer(), v.minValue(0)),
  count: v.pipe(v.number(), v.integer(), v.minValue(1)),
  name: v.string(),
  taskSet: v.pipe(v.string(), v.startsWith("sha256:")),
  costUnit: v.picklist(["task", "weight", "weight-steps"]),
  tasks: v.array(ShardTaskSchema),
});

export type ShardRecord = v.InferOutput<typeof ShardRecordSchema>;
export type ShardTask = v.InferOutput<typeof ShardTaskSchema>;

/** The part of a shard's run.json that `ttt merge` reads. */
export const ShardRunInfoSchema = v.object({
  format: v.picklist(RUN_DIR_FORMATS_READ),
  source: v.string(),
  solutions: v.nullable(v.string()),
  settings: v.record(v.string(), v.unknown()),
  shard: ShardRecordSchema,
  tasks: v.array(v.object({ id: v.string(), record: v.string() })),
});

export type ShardRunInfo = v.InferOutput<typeof ShardRunInfoSchema>;

/** Where the first problem of a failed parse is, as "field: message" (e.g. `shard.count: missing`). */
export function issueText(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return "invalid";
  const path = (issue.path ?? []).map((p) => String(p.key)).join(".");
  const what = issue.input === undefined ? "missing" : issue.message;
  return path ? `field "${path}": ${what}` : what;
}
