// A run directory as the run writes it: run.json, the task records and the journal, report.json (their
// names and formats are in formats/). Files other than the journal are replaced atomically, so a killed
// run leaves every file readable; a journal line cut short by a kill is dropped when the run is resumed.
// A write that fails (a full disk) throws a WriteFailure naming the file and leaves the file as it was:
// the journal is cut back to its last whole line.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { appendWhole, writeFileAtomic } from "../util/atomic-write.ts";
import { writing } from "../util/write-failure.ts";
import {
  JOURNAL_FILE,
  type JournalEntry,
  parseJournalLine,
  REPORT_FILE,
  RUN_DIR_FORMAT,
  RUN_FILE,
  type RunHeader,
  type RunInfo,
  type RunReport,
  RunFileError,
  type ResumeNote,
  TASKS_DIR,
  CHECKPOINTS_DIR,
  type TaskRecord,
} from "./formats/index.ts";

/** A file-name stem for a task id: safe characters only, distinct for distinct ids. */
export function fileStems(ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of ids) {
    const base =
      id
        .replace(/[^A-Za-z0-9._-]/g, "_")
        .replace(/^\.+/, "_")
        .slice(0, 100) || "task";
    let stem = base;
    for (let i = 2; used.has(stem.toLowerCase()); i++) stem = `${base}~${i}`;
    used.add(stem.toLowerCase());
    out.set(id, stem);
  }
  return out;
}

/** Default run directory: runs/<UTC timestamp>, e.g. runs/2026-11-24T18-40-12Z (a suffix if taken). */
export function defaultRunDir(date = new Date(), root = "runs", prefix = ""): string {
  const stamp =
    prefix +
    date
      .toISOString()
      .replace(/\.\d+Z$/, "Z")
      .replace(/:/g, "-");
  let dir = join(root, stamp);
  for (let i = 2; existsSync(dir); i++) dir = join(root, `${stamp}-${i}`);
  return dir;
}

export class RunDir {
  private readonly stems: Map<string, string>;

  /**
   * Create (or reuse an empty) run directory for these task ids. Throws when it holds another run,
   * unless `resume` (then the run in it is continued).
   */
  constructor(
    readonly path: string,
    ids: readonly string[],
    o: { resume?: boolean } = {},
  ) {
    if (
      !o.resume &&
      existsSync(path) &&
      readdirSync(path).some((f) => f === RUN_FILE || f === JOURNAL_FILE)
    ) {
      throw new Error(
        `run directory ${path} already holds a run (choose another --run-dir, or add --resume to continue it)`,
      );
    }
    mkdirSync(join(path, TASKS_DIR), { recursive: true });
    this.stems = fileStems(ids);
  }

  /** A task's checkpoint folder, relative to the run directory. */
  checkpointDir(id: string): string {
    return `${CHECKPOINTS_DIR}/${this.stems.get(id) ?? fileStems([id]).get(id)}`;
  }

  /** The record file of a task, relative to the run directory. */
  recordFile(id: string): string {
    return `${TASKS_DIR}/${this.stems.get(id) ?? fileStems([id]).get(id)}.json`;
  }

  /** Write run.json: the header, the earlier sessions' resumes (when there were any), the tasks. */
  writeRunInfo(header: RunHeader, ids: readonly string[], resumes: ResumeNote[] = []): void {
    const info: RunInfo = {
      format: RUN_DIR_FORMAT,
      ...header,
      ...(resumes.length ? { resumes } : {}),
      tasks: ids.map((id) => ({ id, record: this.recordFile(id) })),
    };
    const path = join(this.path, RUN_FILE);
    writing("run-info", path, () => writeFileAtomic(path, JSON.stringify(info, null, 2), "run-info"));
  }

  /** Write a task's record, then note it in the journal. */
  finishTask(record: TaskRecord): void {
    const file = this.recordFile(record.id);
    const path = join(this.path, file);
    writing("record", path, () => writeFileAtomic(path, readableJson(record), "record"));
    const entry: JournalEntry = {
      id: record.id,
      status: record.status,
      stop: record.stop,
      record: file,
      finishedAt: new Date().toISOString(),
    };
    const journal = join(this.path, JOURNAL_FILE);
    writing("journal", journal, () => appendWhole(journal, `${JSON.stringify(entry)}\n`, "journal"));
  }

  writeReport(report: RunReport): void {
    const path = join(this.path, REPORT_FILE);
    writing("report", path, () => writeFileAtomic(path, readableJson(report), "report"));
  }
}

/**
 * The journal's entries in order. A line that is not a whole entry (a kill while it was appended) is
 * left out and named in `problems`; with `repair` the file is rewritten without it (atomically), so the
 * next line appended starts clean.
 */
export function readJournal(dir: string, repair = false): { entries: JournalEntry[]; problems: string[] } {
  const file = join(dir, JOURNAL_FILE);
  if (!existsSync(file)) return { entries: [], problems: [] };
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const entries: JournalEntry[] = [];
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${JOURNAL_FILE} line ${i + 1}`;
    try {
      entries.push(parseJournalLine(line, where));
    } catch (err) {
      const detail = err instanceof RunFileError ? err.message.slice(where.length + 2) : String(err);
      problems.push(`${where} is not a whole entry (${detail}): left out`);
    }
  });
  if (repair && (problems.length > 0 || !text.endsWith("\n")))
    writeFileAtomic(file, entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
  return { entries, problems };
}

/** Indented JSON with arrays of plain numbers (grid rows, [step, loss] points) kept on one line. */
export function readableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s*(-?[\d.eE+-]+|null)(\s*,\s*(-?[\d.eE+-]+|null))*\s*\]/g,
    (m) => m.replace(/\s+/g, ""),
  );
}
