// `ttt merge`: the shards of one sharded solve put back together. The inputs are a common root (its
// shard-III-of-NNN folders) or shard run directories. Every shard must have been cut from the same task
// set into the same number of shards with the same solve settings (a mix is refused, naming the
// setting), each shard index may appear once, and each task in exactly one shard. A shard that is
// missing or has unfinished tasks is named; the caller refuses to write unless partial results were
// asked for. Nothing here writes (merge-write.ts does).
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { TaskRecord } from "./records.ts";
import { readShard, ShardFolderError, type ShardRead } from "./shard-read.ts";
import { parseShardName, type ShardTask, shardName } from "./shard-record.ts";
import { differingSetting, MERGE_KEYS } from "./settings-keys.ts";

export { MERGE_KEYS } from "./settings-keys.ts";

export class MergeError extends ShardFolderError {}

export interface MergePlan {
  shards: ShardRead[];
  count: number;
  /** Every task of the set, in source order, with its test count and shard. */
  tasks: ShardTask[];
  /** Finished records of every shard present. */
  records: Map<string, TaskRecord>;
  /** Shard indices with no folder. */
  absent: number[];
  /** Shards present with unfinished tasks: name, folder, which (and which of them ran out of time). */
  unfinished: { name: string; dir: string; tasks: string[]; noTime: string[] }[];
  /** Task ids without a finished record. */
  missing: string[];
  notes: string[];
}

/** The shard folders the arguments stand for: a shard folder as it is, a root's shard-* folders. */
export function shardFolders(paths: readonly string[]): { folders: string[]; roots: string[] } {
  const folders: string[] = [];
  const roots: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new MergeError(`${p}: no such folder`);
    if (!statSync(p).isDirectory())
      throw new MergeError(`${p}: not a folder (give a root or shard run directories)`);
    if (existsSync(join(p, "run.json")) || parseShardName(basename(p))) {
      folders.push(p);
      continue;
    }
    const inside = readdirSync(p)
      .filter((f) => parseShardName(f) && statSync(join(p, f)).isDirectory())
      .sort();
    if (inside.length === 0)
      throw new MergeError(
        `${p}: neither a shard run directory (run.json) nor a root of shard-III-of-NNN folders`,
      );
    roots.push(p);
    folders.push(...inside.map((f) => join(p, f)));
  }
  return { folders, roots };
}

/** Read and check the shards; MergeError (naming the folder and the setting) for a mix or damage. */
export function planMerge(paths: readonly string[]): MergePlan {
  const { folders } = shardFolders(paths);
  const shards: ShardRead[] = [];
  const notStarted: { dir: string; index: number; count: number }[] = [];
  for (const dir of folders) {
    const named = parseShardName(basename(dir));
    if (named && !existsSync(join(dir, "run.json"))) {
      notStarted.push({ dir, ...named });
      continue;
    }
    shards.push(readShard(dir));
  }
  if (shards.length === 0)
    throw new MergeError(
      `no shard has started: ${folders.join(", ")} ${folders.length === 1 ? "has" : "have"} no run.json yet`,
    );
  const first = shards[0]!;
  const ref = first.info;
  const label = (s: ShardRead) => `${s.info.shard.name} (${s.dir})`;
  const byIndex = new Map<number, ShardRead>();
  for (const s of shards) {
    const info = s.info;
    if (info.shard.count !== ref.shard.count)
      throw new MergeError(
        `${label(s)} was cut into ${info.shard.count} shards, ${label(first)} into ${ref.shard.count}: these are not shards of one run`,
      );
    if (info.shard.taskSet !== ref.shard.taskSet)
      throw new MergeError(
        `${label(s)} was cut from another task set than ${label(first)} (source ${info.source} vs ${ref.source}; task-set ${info.shard.taskSet.slice(0, 19)}... vs ${ref.shard.taskSet.slice(0, 19)}...)`,
      );
    const differs = differingSetting(MERGE_KEYS, info.settings, ref.settings);
    if (differs)
      throw new MergeError(
        `${label(s)} was solved with setting "${differs.key}" = ${differs.a}, ${label(first)} with ${differs.b}: shards of one run share their settings`,
      );
    if (JSON.stringify(info.shard.tasks) !== JSON.stringify(ref.shard.tasks))
      throw new MergeError(`${label(s)} and ${label(first)} hold different partitions of the same task set`);
    const twin = byIndex.get(info.shard.index);
    if (twin) throw new MergeError(`shard ${info.shard.index} appears twice: ${twin.dir} and ${s.dir}`);
    byIndex.set(info.shard.index, s);
  }
  const count = ref.shard.count;
  for (const n of notStarted)
    if (n.count !== count)
      throw new MergeError(`${n.dir} is a folder for ${n.count} shards, the others were cut into ${count}`);

  const records = new Map<string, TaskRecord>();
  const owner = new Map<string, number>();
  for (const s of shards)
    for (const [id, r] of s.finished) {
      if (owner.has(id))
        throw new MergeError(
          `task ${id} appears in two shards: ${byIndex.get(owner.get(id)!)!.dir} and ${s.dir}`,
        );
      owner.set(id, s.info.shard.index);
      records.set(id, r);
    }
  const absent = [...Array(count).keys()].filter((i) => !byIndex.has(i));
  const unfinished = shards
    .filter((s) => s.unfinished.length > 0)
    .map((s) => ({ name: s.info.shard.name, dir: s.dir, tasks: s.unfinished, noTime: s.noTime }));
  const tasks = ref.shard.tasks;
  const missing = tasks.filter((t) => !records.has(t.id)).map((t) => t.id);
  const notes = shards.flatMap((s) => s.notes);
  shards.sort((a, b) => a.info.shard.index - b.info.shard.index);
  return { shards, count, tasks, records, absent, unfinished, missing, notes };
}

/** One line per shard that is missing or not finished, naming it. */
export function missingLines(plan: MergePlan): string[] {
  const lines = plan.absent.map((i) => {
    const n = plan.tasks.filter((t) => t.shard === i).length;
    return `${shardName({ index: i, count: plan.count })}: not started (no run.json), ${n} task${n === 1 ? "" : "s"} without answers`;
  });
  const few = (ids: readonly string[]) => `${ids.slice(0, 3).join(", ")}${ids.length > 3 ? ", ..." : ""}`;
  const tasks = (n: number) => `${n} task${n === 1 ? "" : "s"}`;
  for (const u of plan.unfinished) {
    lines.push(
      `${u.name} (${u.dir}): unfinished, ${tasks(u.tasks.length)} without a finished record (${few(u.tasks)})`,
    );
    if (u.noTime.length > 0)
      lines.push(
        `${u.name}: ${tasks(u.noTime.length)} ran out of time (the budget was spent before ${u.noTime.length === 1 ? "it" : "they"} started: ${few(u.noTime)}); ttt solve --resume with more time runs ${u.noTime.length === 1 ? "it" : "them"}`,
      );
  }
  return lines;
}
