// One shard's run directory read back for `ttt merge`: run.json (its shard record), and the records of
// the tasks it has finished: those its journal lists (the last line per task counts), each record file
// checked. Only finished records are read, so a shard that is still running can be read at any moment:
// its record files are replaced atomically and its journal only grows. Reads never write.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { GridRowsSchema } from "../arc/index.ts";
import { readJournal } from "./run-dir.ts";
import { isFinishedRecord, type TaskRecord } from "./records.ts";
import { issueText, ShardRunInfoSchema, type ShardRunInfo } from "./shard-record.ts";

/** A damaged or foreign shard folder: the message names the folder and the file. */
export class ShardFolderError extends Error {}

const RecordSchema = v.looseObject({
  id: v.string(),
  status: v.picklist(["ok", "skipped", "failed", "invalid"]),
  stop: v.string(),
  answers: v.array(
    v.looseObject({
      attempts: v.array(GridRowsSchema),
      confidences: v.array(v.nullable(v.number())),
    }),
  ),
});

export interface ShardRead {
  dir: string;
  info: ShardRunInfo;
  /** Finished tasks' records by id (isFinishedRecord: not interrupted, not stopped for lack of time). */
  finished: Map<string, TaskRecord>;
  /** The shard's tasks not finished yet, in order (those `ttt solve --resume` would run). */
  unfinished: string[];
  /** Those of them the time budget ran out before (record stop "no-time"). */
  noTime: string[];
  /** Seconds the shard's sessions have used (report.json), 0 when unknown. */
  seconds: number;
  /** Things passed over, each naming its file (a journal line cut short by a kill). */
  notes: string[];
}

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ShardFolderError(`${file}: ${what} cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ShardFolderError(
      `${file}: ${what} is not whole JSON (${(e as Error).message}); the folder is damaged`,
    );
  }
}

/** A shard folder's run.json, checked; ShardFolderError when it is missing, damaged or not a shard's. */
export function readShardInfo(dir: string): ShardRunInfo {
  const file = join(dir, "run.json");
  if (!existsSync(file))
    throw new ShardFolderError(`${dir}: no run.json (not a run directory, or its shard has not started)`);
  const raw = readJsonFile(file, "run.json");
  if (raw && typeof raw === "object" && !("shard" in raw))
    throw new ShardFolderError(`${file}: no "shard" field: a run made without --shard cannot be merged`);
  const parsed = v.safeParse(ShardRunInfoSchema, raw);
  if (!parsed.success) throw new ShardFolderError(`${file}: ${issueText(parsed.issues)}`);
  const info = parsed.output;
  const mine = info.shard.tasks.filter((t) => t.shard === info.shard.index).map((t) => t.id);
  const listed = info.tasks.map((t) => t.id);
  if (mine.join("\n") !== listed.join("\n"))
    throw new ShardFolderError(
      `${file}: field "tasks" lists ${listed.length} tasks but the shard record gives shard ${info.shard.index} ${mine.length}; the folder is damaged`,
    );
  return info;
}

/** The shard folder with its finished records. */
export function readShard(dir: string): ShardRead {
  const info = readShardInfo(dir);
  const journal = readJournal(dir);
  const notes = journal.problems.map((p) => `${join(dir, "journal.jsonl")}: ${p}`);
  const last = new Map<string, string>();
  for (const e of journal.entries) last.set(e.id, e.record);
  const finished = new Map<string, TaskRecord>();
  const unfinished: string[] = [];
  const noTime: string[] = [];
  const recordOf = new Map(info.tasks.map((t) => [t.id, t.record]));
  for (const { id } of info.tasks) {
    const rel = last.get(id);
    if (rel === undefined) {
      unfinished.push(id);
      continue;
    }
    if (rel !== recordOf.get(id))
      throw new ShardFolderError(
        `${join(dir, "journal.jsonl")}: task ${id} journaled with record ${rel}, run.json names ${recordOf.get(id)}; the folder is damaged`,
      );
    const file = join(dir, rel);
    const parsed = v.safeParse(RecordSchema, readJsonFile(file, `the record of task ${id}`));
    if (!parsed.success)
      throw new ShardFolderError(`${file}: ${issueText(parsed.issues)}; the folder is damaged`);
    if (parsed.output.id !== id)
      throw new ShardFolderError(
        `${file}: it is the record of ${JSON.stringify(parsed.output.id)}, not of ${id}`,
      );
    const record = parsed.output as unknown as TaskRecord;
    if (isFinishedRecord(record)) finished.set(id, record);
    else {
      unfinished.push(id);
      if (record.stop === "no-time") noTime.push(id);
    }
  }
  let seconds = 0;
  try {
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    seconds = Math.max(0, Number(report?.totals?.seconds) || 0);
  } catch {
    // no report yet (or one being replaced): the time is not known
  }
  return { dir, info, finished, unfinished, noTime, seconds, notes };
}
