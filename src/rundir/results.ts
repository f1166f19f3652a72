// The results of a run as they come in: each finished task's record goes to the run directory, its
// answers into the submission, which is rewritten (atomically, every id present, [[0]] where there is
// no answer) together with report.json.
import {
  buildSubmission,
  gridFromRows,
  writeSubmission,
  type Attempts,
  type Grid,
  type SubmissionJson,
} from "../arc/index.ts";
import { writing } from "../util/write-failure.ts";
import { reportEntry, runTotals, type RunReport, type TaskRecord } from "./records.ts";
import type { RunDir } from "./run-dir.ts";

/** The fixed part of the report. */
export type ReportHeader = Omit<RunReport, "state" | "updatedAt" | "totals" | "tasks">;

export interface RunResultsOptions {
  /** Every task id of the run, in order, with its number of test inputs. */
  tests: Map<string, number>;
  output: string;
  runDir: RunDir;
  header: ReportHeader;
  solutions: Map<string, Grid[]>;
  /** Seconds since the run started. */
  elapsed: () => number;
}

export class RunResults {
  private readonly records = new Map<string, TaskRecord>();
  private readonly answers = new Map<string, Grid[][]>();
  private readonly tasks: { id: string; test: unknown[] }[];
  private submission: SubmissionJson;
  /** Ids finished in this session whose record and journal line are not written yet. */
  private readonly unrecorded: string[] = [];
  /** How many tasks had finished when the submission was last written. */
  private inSubmission = 0;
  private submissionWrites = 0;

  constructor(private readonly o: RunResultsOptions) {
    this.tasks = [...o.tests].map(([id, n]) => ({ id, test: Array.from({ length: n }) }));
    this.submission = buildSubmission(this.tasks, this.answers);
  }

  /**
   * Record a finished task: its record file, journal line, the submission and the report. A write that
   * fails (a full disk) throws its WriteFailure; the task stays here, its record is written again with
   * the next task's (or at the end) and its answers go into the next submission written.
   */
  finish(r: TaskRecord): void {
    this.records.set(r.id, r);
    this.answers.set(
      r.id,
      r.answers.map((a) => a.attempts.slice(0, 2).map((rows) => gridFromRows(rows))),
    );
    this.unrecorded.push(r.id);
    this.writeRecords();
    this.write("running");
  }

  /** Write the records not yet written, in the order they finished; throws at the first that fails. */
  writeRecords(): void {
    while (this.unrecorded.length > 0) {
      const id = this.unrecorded[0]!;
      this.o.runDir.finishTask(this.records.get(id)!);
      this.unrecorded.shift();
    }
  }

  /** Tasks finished in this session whose record is not written yet (not those a stop cut short). */
  pendingRecords(): string[] {
    return this.unrecorded.filter((id) => ended(this.records.get(id)!));
  }

  /** How many finished tasks the submission as last written holds, and how many have finished. */
  submitted(): { written: number; finished: number; writes: number } {
    return { written: this.inSubmission, finished: this.endedCount(), writes: this.submissionWrites };
  }

  /** Records on disk (this session's and the earlier sessions'): of ended tasks, and of tasks cut short. */
  recordedCount(): { ended: number; cutShort: number } {
    const pending = new Set(this.unrecorded);
    const onDisk = [...this.records.values()].filter((r) => !pending.has(r.id));
    const ended_ = onDisk.filter(ended).length;
    return { ended: ended_, cutShort: onDisk.length - ended_ };
  }

  private endedCount(): number {
    return [...this.records.values()].filter(ended).length;
  }

  /** Take a record finished in an earlier session of the run (nothing is written). */
  restore(r: TaskRecord): void {
    this.records.set(r.id, r);
    this.answers.set(
      r.id,
      r.answers.map((a) => a.attempts.slice(0, 2).map((rows) => gridFromRows(rows))),
    );
  }

  /** Rewrite the submission and report.json; returns the report. */
  write(state: RunReport["state"]): RunReport {
    this.submission = buildSubmission(this.tasks, this.answers);
    const submission = this.submission;
    writing("submission", this.o.output, () => writeSubmission(this.o.output, submission));
    this.inSubmission = this.endedCount();
    this.submissionWrites++;
    const report = this.report(state);
    this.o.runDir.writeReport(report);
    return report;
  }

  report(state: RunReport["state"]): RunReport {
    const list = this.tasks
      .map((t) => this.records.get(t.id))
      .filter((r): r is TaskRecord => r !== undefined);
    return {
      ...this.o.header,
      state,
      updatedAt: new Date().toISOString(),
      totals: runTotals(list, this.o.elapsed(), attemptsMap(this.submission), this.o.solutions),
      tasks: list.map(reportEntry),
    };
  }

  /** True when some task has an answer. */
  answered(): boolean {
    return [...this.records.values()].some((r) => r.status === "ok");
  }
}

/** A task that ended (not one left unstarted or cut short by an interrupt or the budget: those run again). */
const ended = (r: TaskRecord) => r.stop !== "interrupted" && r.stop !== "no-time";

function attemptsMap(sub: SubmissionJson): Map<string, Attempts[]> {
  return new Map(
    Object.entries(sub).map(([id, list]) => [
      id,
      list.map((a) => ({ attempt_1: gridFromRows(a.attempt_1), attempt_2: gridFromRows(a.attempt_2) })),
    ]),
  );
}
