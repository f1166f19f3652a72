// `ttt solve --resume`: what an earlier session of a run left in its directory. The run's settings that
// decide the answers must be the same (else the resume is refused, naming run.json and the setting);
// tasks whose record the journal lists are finished and kept as they are (except those a Ctrl-C or a
// spent budget left unstarted or interrupted: they run again); a journal line cut short by a kill is
// dropped; the time the earlier sessions used counts against --time-budget; a task killed during its
// retry goes on with the retry (its checkpoints say so).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RetryNote } from "../loop/job.ts";
import { CheckpointStore } from "./checkpoint-store.ts";
import {
  parseRunInfo,
  parseRunReport,
  parseTaskRecord,
  readFileText,
  REPORT_FILE,
  RUN_FILE,
  type StoredRunInfo,
  type RunSettings,
  type TaskRecord,
} from "./formats/index.ts";
import { isFinishedRecord } from "./records.ts";
import { readJournal } from "./run-dir.ts";
import { differingSetting, RESUME_KEYS } from "./settings-keys.ts";

export { RESUME_KEYS } from "./settings-keys.ts";

export interface Reopened {
  /** Finished tasks' records, by id. */
  finished: Map<string, TaskRecord>;
  /** Seconds the earlier sessions used (their last report). */
  previousSeconds: number;
  /** run.json as it was (header fields and the list of earlier resumes). */
  runInfo: StoredRunInfo;
  /** What was found wrong and dealt with (a cut-short journal line, an unreadable record). */
  notes: string[];
}

/**
 * The earlier run in `dir`, or undefined when there is none (no run.json): a fresh run starts. Throws
 * when run.json is not a run's (naming the file and the field) or the run asked for other settings.
 */
export function reopenRun(dir: string, ids: readonly string[], settings: RunSettings): Reopened | undefined {
  const runFile = join(dir, RUN_FILE);
  if (!existsSync(runFile)) return undefined;
  let info: StoredRunInfo;
  try {
    info = parseRunInfo(readFileText(runFile), runFile);
  } catch (e) {
    throw new Error(
      `${(e as Error).message}; run directory ${dir} cannot be resumed (it holds no ttt run this version reads: choose another --run-dir)`,
    );
  }
  const before = info.tasks.map((t) => t.id);
  if (before.join("\n") !== ids.join("\n")) {
    throw new Error(
      `run directory ${dir}: run.json field "tasks" lists ${before.length} tasks, this command has ${ids.length} (${describeDifference(before, ids)}); resume with the same tasks or choose another --run-dir`,
    );
  }
  const changed = differingSetting(RESUME_KEYS, info.settings, { ...settings });
  if (changed)
    throw new Error(
      `run directory ${dir}: run.json field "settings.${changed.key}" is ${changed.a}, this command asks ${changed.b}; resume with the same settings or choose another --run-dir`,
    );

  const notes: string[] = [];
  const journal = readJournal(dir, true);
  notes.push(...journal.problems);
  const finished = new Map<string, TaskRecord>();
  const wanted = new Set(ids);
  for (const e of journal.entries) {
    if (!wanted.has(e.id)) continue;
    let record: TaskRecord;
    try {
      record = parseTaskRecord(readFileText(join(dir, e.record), e.record), e.record);
      if (record.id !== e.id)
        throw new Error(`${e.record}: it is the record of ${JSON.stringify(record.id)}`);
    } catch (err) {
      notes.push(`${(err as Error).message} (task ${e.id}): the task runs again`);
      finished.delete(e.id);
      continue;
    }
    if (isFinishedRecord(record)) finished.set(e.id, record);
    else finished.delete(e.id);
  }
  return { finished, previousSeconds: previousSeconds(dir, notes), runInfo: info, notes };
}

/** Seconds the earlier sessions used, from their last report.json (0 when there is none). */
function previousSeconds(dir: string, notes: string[]): number {
  const file = join(dir, REPORT_FILE);
  // No report yet: the earlier session ended before its first task was written.
  if (!existsSync(file)) return 0;
  try {
    return Math.max(0, parseRunReport(readFileText(file, REPORT_FILE), REPORT_FILE).totals.seconds);
  } catch (e) {
    notes.push(`${(e as Error).message}: the time earlier sessions used is not counted`);
    return 0;
  }
}

/**
 * The retry a task was in when its run was killed: the newest checkpoint version with a whole
 * manifest says try 2 and how it was retried. Undefined for try 1 or no checkpoint.
 */
export function pendingRetry(checkpointDir: string): RetryNote | undefined {
  const store = new CheckpointStore(checkpointDir);
  for (const v of store.versions().reverse()) {
    try {
      const m = store.readManifest(v);
      return m.try === 2 && m.retry ? m.retry : undefined;
    } catch {
      // a damaged manifest: look at the one before
    }
  }
  return undefined;
}

function describeDifference(before: readonly string[], now: readonly string[]): string {
  const was = new Set(before);
  const is = new Set(now);
  const added = now.filter((id) => !was.has(id));
  const gone = before.filter((id) => !is.has(id));
  if (added.length === 0 && gone.length === 0) return "in another order";
  return [
    added.length ? `new: ${added.slice(0, 3).join(", ")}${added.length > 3 ? ", ..." : ""}` : "",
    gone.length ? `missing: ${gone.slice(0, 3).join(", ")}${gone.length > 3 ? ", ..." : ""}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}
