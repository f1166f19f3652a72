// A run whose files cannot be written (a full disk, a spent quota): the first failed write of a task
// record, journal line, submission or report stops the run. No task starts after it, the tasks in flight
// are stopped (each keeps its last checkpoint; a checkpoint write that fails only warns, in its worker).
// Nothing written before is lost: every file is replaced atomically and the journal cut back to its last
// whole line. The run ends with what failed and where, what is kept, and the command that goes on.
import { WriteFailure, writeFailureReason } from "../util/write-failure.ts";
import type { RunResults } from "../rundir/results.ts";
import { dirname } from "node:path";
import type { Display } from "./progress.ts";
import type { SolveSettings } from "./settings.ts";

export class WriteStop {
  /** The first write that failed. */
  first: WriteFailure | null = null;
  private stopRun: (() => void) | null = null;
  private readonly seen = new Set<string>();

  constructor(private readonly display: Display) {}

  /** How to stop the run (set once the scheduler runs); called at once if a write failed before. */
  onStop(stop: () => void): void {
    this.stopRun = stop;
    if (this.first) stop();
  }

  /** Run a write step; a WriteFailure is reported (once per kind of file) and stops the run, others propagate. */
  guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (!(e instanceof WriteFailure)) throw e;
      if (!this.seen.has(e.kind)) this.display.log("error", e.message);
      this.seen.add(e.kind);
      if (this.first) return;
      this.first = e;
      this.display.log(
        "error",
        "the run stops: no further task starts, the tasks in flight stop at their last checkpoint",
      );
      this.stopRun?.();
    }
  }

  /** The closing lines: what failed, what is kept, what is not recorded, how to go on. */
  summary(
    results: RunResults,
    o: { output: string; command: string; notFinished: string[]; total: number },
  ): string[] {
    const f = this.first;
    if (!f) return [];
    const pending = results.pendingRecords();
    const sub = results.submitted();
    const rec = results.recordedCount();
    const kept = sub.writes
      ? `${o.output} as last written (every task id, answers of ${plural(sub.written, "finished task")})`
      : `${o.output} as it was before this session (not written in it)`;
    const lines = [
      `the run stopped: ${f.message}`,
      `kept: ${kept}; the records of ${plural(rec.ended, "finished task")}${rec.cutShort ? ` (and of ${rec.cutShort} not finished, marked so)` : ""}; each task's checkpoints up to the last one written`,
    ];
    if (o.notFinished.length)
      lines.push(
        `not finished: ${o.notFinished.length} of ${o.total} task${o.total === 1 ? "" : "s"} (${listed(o.notFinished)}); --resume runs them, each from its last checkpoint`,
      );
    if (pending.length)
      lines.push(
        `finished, record not written: ${listed(pending)} (--resume takes ${pending.length === 1 ? "it" : "them"} up again from the final checkpoint)`,
      );
    lines.push(
      `${f.outOfSpace ? `free space on the file system of ${f.path}${f.quota ? " (or raise the quota)" : ""}` : `fix what stopped the write (${writeFailureReason(f.cause)})`}, then go on with: ${o.command}`,
    );
    return lines;
  }
}

const listed = (ids: string[]) => (ids.length > 5 ? `${ids.slice(0, 5).join(", ")}, ...` : ids.join(", "));
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** The command that goes on with this run (the arguments that decide its answers, and --resume). */
export function resumeCommand(s: SolveSettings): string {
  const q = (x: string) => (/^[\w./:=,@+-]+$/.test(x) ? x : `'${x.replace(/'/g, "'\\''")}'`);
  // a shard's run directory is <root>/shard-III-of-NNN, its submission inside it
  const args = s.shard
    ? [
        "ttt",
        "solve",
        s.source,
        "--run-dir",
        dirname(s.runDir),
        "--shard",
        `${s.shard.index}/${s.shard.count}`,
      ]
    : ["ttt", "solve", s.source, "-o", s.output, "--run-dir", s.runDir];
  args.push("--resume");
  if (s.family !== "multitensor") args.push("--family", s.family);
  if (s.seed !== 0) args.push("--seed", String(s.seed));
  for (const [flag, v] of [
    ["--steps", s.steps],
    ["--chunk", s.chunk],
    ["--patience", s.patience],
  ] as const)
    if (v !== undefined) args.push(flag, String(v));
  if (s.taskIds) args.push("--tasks", s.taskIds.join(","));
  if (s.prior) args.push("--prior", s.prior);
  // the time settings too: whether settled tasks restart follows from them (a resume keeps it)
  if (s.timePerTask !== undefined) args.push("--time-per-task", `${s.timePerTask}s`);
  if (s.timeBudget !== undefined) args.push("--time-budget", `${s.timeBudget}s`);
  if (s.copies !== undefined && s.copies !== "auto") args.push("--copies", String(s.copies));
  if (s.restarts === false) args.push("--no-restarts");
  return args.map(q).join(" ");
}
