// The run's time budget (`--time-budget`), shared out among the tasks not yet started, re-computed at
// each task start. `workers` tasks run at once, so the remaining wall-clock time times the worker
// count is the capacity; the tasks already running keep what they were given; every pending task gets
// the set-up time seen so far off the top, and the rest is shared by weight (larger tasks get more).
// A safety margin at the end is kept for writing the last files.

/** Seconds kept free at the end of a budget: 2% of it, at least 2 s, at most 2 min. */
export function safetyMargin(totalSeconds: number): number {
  return Math.min(120, Math.max(2, 0.02 * totalSeconds));
}

export interface ShareInput {
  /** Wall-clock seconds left before the run must be finished (margin already taken off). */
  remaining: number;
  /** Weight of the task being started. */
  weight: number;
  /** Sum of the weights of every task not yet started, this one included. */
  pendingWeight: number;
  /** Tasks that run at the same time. */
  workers: number;
  /** Seconds still promised to tasks now running (sum over them of allotment minus time used). */
  inFlight?: number;
  /** Upper bound per task (`--time-per-task`). */
  cap?: number;
  /**
   * Seconds every task needs before it can train (model, graph, sessions), given to each pending task
   * off the top before the rest is shared by weight. Default 0.
   */
  setup?: number;
  /** Tasks not yet started, this one included (for `setup`). Default 1. */
  pendingCount?: number;
}

/**
 * Seconds for one task: the set-up allowance plus its weight's share of what is left of the capacity,
 * never more than the wall-clock left or the cap.
 */
export function shareTime(x: ShareInput): number {
  const remaining = Math.max(0, x.remaining);
  const capacity = Math.max(0, Math.max(1, x.workers) * remaining - Math.max(0, x.inFlight ?? 0));
  const setup = Math.min(Math.max(0, x.setup ?? 0), capacity / Math.max(1, x.pendingCount ?? 1));
  const rest = capacity - setup * Math.max(1, x.pendingCount ?? 1);
  const share = setup + (x.pendingWeight > 0 ? (rest * x.weight) / x.pendingWeight : rest);
  return Math.max(0, Math.min(share, remaining, x.cap ?? Infinity));
}

export interface TimeBudgetOptions {
  /** Whole run, seconds (`--time-budget`); undefined: no run limit. */
  totalSeconds?: number;
  /** Per task, seconds (`--time-per-task`); undefined: no per-task limit. */
  perTaskSeconds?: number;
  workers: number;
  /** Override of the safety margin (seconds). */
  marginSeconds?: number;
  /** A task is not started with less than this many seconds left (default 1). */
  minTaskSeconds?: number;
  /** Clock in seconds (tests replace it). */
  now?: () => number;
  /** Run start on that clock (default: now). */
  startedAt?: number;
}

/** The run's clock and budget: when the run must end, and how long each task may take. */
export class TimeBudget {
  readonly total?: number;
  readonly perTask?: number;
  readonly margin: number;
  readonly workers: number;
  readonly minTask: number;
  readonly startedAt: number;
  private readonly now: () => number;

  constructor(o: TimeBudgetOptions) {
    this.now = o.now ?? (() => performance.now() / 1000);
    this.startedAt = o.startedAt ?? this.now();
    if (o.totalSeconds !== undefined) this.total = o.totalSeconds;
    if (o.perTaskSeconds !== undefined) this.perTask = o.perTaskSeconds;
    this.margin = o.marginSeconds ?? (o.totalSeconds !== undefined ? safetyMargin(o.totalSeconds) : 0);
    this.workers = Math.max(1, o.workers);
    this.minTask = o.minTaskSeconds ?? 1;
  }

  /** Seconds since the run started. */
  elapsed(): number {
    return this.now() - this.startedAt;
  }

  /** Seconds left before the run must be done (margin taken off); Infinity without a run budget. */
  remaining(): number {
    return this.total === undefined ? Infinity : this.total - this.margin - this.elapsed();
  }

  /** The clock value by which everything must be finished; Infinity without a run budget. */
  deadline(): number {
    return this.total === undefined ? Infinity : this.startedAt + this.total - this.margin;
  }

  /**
   * Seconds for a task about to start, or undefined when too little time is left to start one.
   * Infinity when there is neither a run budget nor a per-task limit.
   */
  allot(
    weight: number,
    pendingWeight: number,
    inFlight = 0,
    setup?: { seconds: number; pendingCount: number },
  ): number | undefined {
    const remaining = this.remaining();
    if (remaining < this.minTask) return undefined;
    if (remaining === Infinity) return this.perTask ?? Infinity;
    const share = shareTime({
      remaining,
      weight,
      pendingWeight,
      workers: this.workers,
      inFlight,
      ...(this.perTask !== undefined ? { cap: this.perTask } : {}),
      ...(setup ? { setup: setup.seconds, pendingCount: setup.pendingCount } : {}),
    });
    return Math.min(remaining, Math.max(share, this.minTask));
  }
}
