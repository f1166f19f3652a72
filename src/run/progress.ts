// What a run shows while it works, on stderr. In a terminal: one progress line redrawn in place (tasks
// done, the running task's step and loss, elapsed and ETA) with a line printed above it per finished
// task. Piped: just one plain line per finished task. Also the per-task line and the final summary.
import { formatDuration, formatSize, formatLoss } from "../util/units.ts";
import { type RunReport, type TaskRecord, taskNotes } from "../rundir/records.ts";

export interface Display {
  /** `totalWeight`: sum of the tasks' time weights (for the ETA); `deadline`: seconds from now the run must end by. */
  begin(total: number, totalWeight: number, deadline?: number): void;
  taskStarted(id: string, weight: number): void;
  chunk(id: string, step: number, steps: number, loss: number): void;
  taskDone(r: TaskRecord, weight: number): void;
  log(level: "info" | "warn" | "error", message: string): void;
  end(): void;
}

/**
 * The one line about a finished task: "[3/7] flip-horizontal  ok  400 steps (stable)  12.3s  loss 0.0123
 * conf 0.91/0.05  votes 3 of 4 copies  correct".
 */
export function taskLine(r: TaskRecord, done: number, total: number): string {
  const parts = [`[${done}/${total}] ${r.id}`, r.status];
  if (r.status === "ok" || r.steps > 0) {
    parts.push(`${r.steps} steps (${r.stop})`, formatDuration(r.seconds), `loss ${formatLoss(r.finalLoss)}`);
    parts.push(
      `conf ${r.answers.map((a) => (a.confidences.length ? a.confidences.map((c) => c.toFixed(2)).join("/") : "-")).join(" ")}`,
    );
    // copies trained in all, and how many of them produced each test input's attempt 1
    if (r.copies !== undefined && r.copies > 1)
      parts.push(
        `votes ${r.answers.map((a) => `${a.votes?.[0] ?? "-"}`).join(" ")} of ${r.copies} copies${r.restarts ? ` (${r.restarts} restarts)` : ""}`,
      );
  }
  if (r.correct) {
    const n = r.correct.filter(Boolean).length;
    parts.push(n === r.correct.length ? "correct" : n === 0 ? "wrong" : `correct ${n}/${r.correct.length}`);
  }
  const notes = taskNotes(r);
  if (notes.length) parts.push(`[${notes.join("; ")}]`);
  if (r.message && r.status !== "ok") parts.push(`- ${r.message}`);
  else if (r.message) parts.push(`(${r.message})`);
  return parts.join("  ");
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The final summary, a few lines of text. */
export function summaryLines(report: RunReport): string[] {
  const t = report.totals;
  const lines: string[] = [];
  const counts = [
    `${t.ok} answered`,
    `${t.skipped} skipped`,
    `${t.failed} failed`,
    `${t.invalid} invalid`,
  ].join(", ");
  lines.push(`tasks     ${t.tasks} (${counts})`);
  if (t.score) {
    lines.push(
      `score     ${pct(t.score.score)} (ARC Prize: mean over ${t.score.tasks} tasks of correct / test outputs)`,
    );
    lines.push(
      `outputs   ${t.score.outputsCorrect}/${t.score.outputsTotal} correct (${pct(t.score.outputFraction)})`,
    );
  } else {
    lines.push("score     - (no solutions known)");
  }
  lines.push(
    `time      ${formatDuration(t.seconds)} in all; per task median ${formatDuration(t.medianTaskSeconds)}, max ${formatDuration(t.maxTaskSeconds)}`,
  );
  lines.push(
    `steps     ${t.steps} (${t.stepsPerSecond.toFixed(1)} steps/s of training)${t.peakMemoryBytes !== null ? `; peak memory ${formatSize(t.peakMemoryBytes)}` : ""}`,
  );
  lines.push(`written   ${report.submission}; run directory ${report.runDir}`);
  return lines;
}

/** One plain line per finished task (and for messages). */
export class PlainDisplay implements Display {
  private done = 0;
  private total = 0;
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {}
  begin(total: number, _totalWeight?: number, _deadline?: number): void {
    this.total = total;
  }
  taskStarted(_id: string, _weight: number): void {}
  chunk(_id: string, _step: number, _steps: number, _loss: number): void {}
  taskDone(r: TaskRecord, _weight?: number): void {
    this.write(taskLine(r, ++this.done, this.total));
  }
  log(level: "info" | "warn" | "error", message: string): void {
    this.write(level === "info" ? message : `${level}: ${message}`);
  }
  end(): void {}
}

/** A progress line redrawn in place on a terminal, task lines printed above it. */
export class TerminalDisplay implements Display {
  private done = 0;
  private total = 0;
  private totalWeight = 0;
  private doneWeight = 0;
  private started = performance.now();
  private deadlineAt = Infinity;
  private readonly running = new Map<string, { step: number; steps: number; loss: number; weight: number }>();
  private last: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  begin(total: number, totalWeight: number, deadline?: number): void {
    this.total = total;
    this.totalWeight = totalWeight;
    this.started = performance.now();
    if (deadline !== undefined && Number.isFinite(deadline)) this.deadlineAt = this.started + deadline * 1000;
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref?.();
    this.draw();
  }
  taskStarted(id: string, weight: number): void {
    this.running.set(id, { step: 0, steps: 0, loss: NaN, weight });
    this.draw();
  }
  chunk(id: string, step: number, steps: number, loss: number): void {
    const r = this.running.get(id);
    if (r) Object.assign(r, { step, steps, loss });
    this.last = id;
    this.draw();
  }
  taskDone(r: TaskRecord, weight: number): void {
    this.running.delete(r.id);
    this.done++;
    this.doneWeight += weight;
    this.print(taskLine(r, this.done, this.total));
  }
  log(level: "info" | "warn" | "error", message: string): void {
    this.print(level === "info" ? message : `${level}: ${message}`);
  }
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.stream.write("\r\x1b[2K");
  }

  private print(line: string): void {
    this.stream.write(`\r\x1b[2K${line}\n`);
    this.draw();
  }

  /** The progress line: bar, tasks done, the running task's step and loss, elapsed, ETA. */
  line(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const width = 20;
    const frac = this.total ? this.done / this.total : 0;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const cur = this.last && this.running.get(this.last) ? this.last : this.running.keys().next().value;
    const run = cur !== undefined ? this.running.get(cur) : undefined;
    const more = this.running.size > 1 ? ` (+${this.running.size - 1} running)` : "";
    const task =
      run && cur !== undefined
        ? `${cur} ${run.step > 0 ? `step ${run.step}/${run.steps} loss ${formatLoss(run.loss)}` : "setting up"}${more}`
        : "";
    const left = Math.max(0, this.totalWeight - this.doneWeight);
    let eta = this.doneWeight > 0 ? (elapsed * left) / this.doneWeight : NaN;
    if (Number.isFinite(this.deadlineAt)) {
      const toDeadline = Math.max(0, (this.deadlineAt - performance.now()) / 1000);
      eta = Number.isFinite(eta) ? Math.min(eta, toDeadline) : toDeadline;
    }
    return `[${bar}] ${this.done}/${this.total} tasks  ${task}  ${formatDuration(elapsed)} elapsed, ETA ${Number.isFinite(eta) ? formatDuration(eta) : "-"}`;
  }

  private draw(): void {
    const cols = this.stream.columns || 100;
    let text = this.line();
    if (text.length > cols - 1) text = `${text.slice(0, cols - 2)}…`;
    this.stream.write(`\r\x1b[2K${text}`);
  }
}
