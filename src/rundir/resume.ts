// `ttt solve --resume`: what an earlier session of a run left in its directory. The run's settings that
// decide the answers must be the same (else the resume is refused, naming run.json and the setting);
// tasks whose record the journal lists are finished and kept as they are (except those a Ctrl-C or a
// spent budget left unstarted or interrupted: they run again); a journal line cut short by a kill is
// dropped; the time the earlier sessions used counts against --time-budget; a task killed during its
// retry goes on with the retry (its checkpoints say so).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointStore } from "./checkpoint-store.ts";
import type { RetryNote } from "../loop/job.ts";
import type { RunReport, TaskRecord } from "./records.ts";
import { readJournal, RUN_DIR_FORMAT } from "./run-dir.ts";

/** The settings a resumed run must share with the run it continues (they decide the answers). */
export const RESUME_KEYS = ["family", "seed", "steps", "chunk", "patience", "tasks"] as const;

export interface Reopened {
  /** Finished tasks' records, by id. */
  finished: Map<string, TaskRecord>;
  /** Seconds the earlier sessions used (their last report). */
  previousSeconds: number;
  /** run.json as it was (header fields and the list of earlier resumes). */
  runInfo: Record<string, unknown>;
  /** What was found wrong and dealt with (a cut-short journal line, an unreadable record). */
  notes: string[];
}

/** The earlier run in `dir`, or undefined when there is none (no run.json): a fresh run starts. */
export function reopenRun(
  dir: string,
  ids: readonly string[],
  settings: Record<string, unknown>,
): Reopened | undefined {
  const runFile = join(dir, "run.json");
  if (!existsSync(runFile)) return undefined;
  let info: Record<string, any>;
  try {
    info = JSON.parse(readFileSync(runFile, "utf8"));
  } catch (e) {
    throw new Error(
      `run directory ${dir}: run.json cannot be read (${(e as Error).message}); it cannot be resumed`,
    );
  }
  if (info.format !== RUN_DIR_FORMAT)
    throw new Error(
      `run directory ${dir}: run.json format ${info.format}, this ttt resumes format ${RUN_DIR_FORMAT}`,
    );
  const before: string[] = Array.isArray(info.tasks) ? info.tasks.map((t: { id: string }) => t.id) : [];
  if (before.join("\n") !== ids.join("\n")) {
    throw new Error(
      `run directory ${dir}: run.json field "tasks" lists ${before.length} tasks, this command has ${ids.length} (${describeDifference(before, ids)}); resume with the same tasks or choose another --run-dir`,
    );
  }
  for (const key of RESUME_KEYS) {
    const was = JSON.stringify(info.settings?.[key] ?? null);
    const now = JSON.stringify(settings[key] ?? null);
    if (was !== now)
      throw new Error(
        `run directory ${dir}: run.json field "settings.${key}" is ${was}, this command asks ${now}; resume with the same settings or choose another --run-dir`,
      );
  }

  const notes: string[] = [];
  const journal = readJournal(dir, true);
  notes.push(...journal.problems);
  const finished = new Map<string, TaskRecord>();
  const wanted = new Set(ids);
  for (const e of journal.entries) {
    if (!wanted.has(e.id)) continue;
    let record: TaskRecord;
    try {
      record = JSON.parse(readFileSync(join(dir, e.record), "utf8"));
      if (record.id !== e.id) throw new Error(`it is the record of ${JSON.stringify(record.id)}`);
    } catch (err) {
      notes.push(
        `${e.record} (task ${e.id}) cannot be read (${(err as Error).message}): the task runs again`,
      );
      finished.delete(e.id);
      continue;
    }
    if (record.stop === "interrupted" || record.stop === "no-time") finished.delete(e.id);
    else finished.set(e.id, record);
  }
  let previousSeconds = 0;
  try {
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as RunReport;
    previousSeconds = Math.max(0, Number(report.totals?.seconds) || 0);
  } catch {
    // no report yet: the earlier session ended before its first task was written
  }
  return { finished, previousSeconds, runInfo: info, notes };
}

/**
 * The retry a task was in when its run was killed: the newest checkpoint version with a whole
 * manifest says attempt 2 and how it was retried. Undefined for attempt 1 or no checkpoint.
 */
export function pendingRetry(checkpointDir: string): RetryNote | undefined {
  const store = new CheckpointStore(checkpointDir);
  for (const v of store.versions().reverse()) {
    try {
      const m = store.readManifest(v);
      return m.attempt === 2 ? (m.retry as RetryNote) : undefined;
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
