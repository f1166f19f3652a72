// Which task runs when, and with how much time: `workers` loops take the planned tasks in order; each
// task's seconds are shared out from the time budget when it starts (the tasks in flight keep what they
// were promised; every pending task first gets the median set-up time seen so far). After an
// interrupt no task is started. The scheduler owns the queue, the allotments and the set-up times;
// what a task does and what becomes of its record are the caller's (SchedulerHooks).
import type { TaskPlan } from "../loop/plan.ts";
import { median, type TaskRecord } from "../rundir/records.ts";
import type { TimeBudget } from "./budget.ts";

export interface SchedulerHooks {
  /** Run a task given `allot` seconds; resolves with its record. */
  run(plan: TaskPlan, allot: number): Promise<TaskRecord>;
  /** A task that was not started: the budget was spent ("no-time") or the run was interrupted. */
  notStarted(plan: TaskPlan, stop: "no-time" | "interrupted"): void;
  /** A task that ran, with its record. */
  ran(plan: TaskPlan, record: TaskRecord): void;
}

export class Scheduler {
  private readonly queue: TaskPlan[];
  /** Sum of the weights of the tasks not yet started. */
  private pendingWeight: number;
  /** The tasks running: their allotment and when they started (on the budget's clock). */
  private readonly inFlight = new Map<string, { allot: number; started: number }>();
  /** Set-up seconds of the tasks answered so far. */
  private readonly setups: number[] = [];
  private stopped = false;

  constructor(
    plans: readonly TaskPlan[],
    private readonly budget: TimeBudget,
    private readonly now: () => number,
  ) {
    this.queue = [...plans];
    this.pendingWeight = this.queue.reduce((a, p) => a + p.weight, 0);
  }

  /** No task is started from now on (Ctrl-C). */
  interrupt(): void {
    this.stopped = true;
  }

  get interrupted(): boolean {
    return this.stopped;
  }

  /** Run every task, `workers` at a time. */
  async run(workers: number, hooks: SchedulerHooks): Promise<void> {
    const loop = async () => {
      for (let plan = this.queue.shift(); plan; plan = this.queue.shift()) await this.runOne(plan, hooks);
    };
    await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
  }

  private async runOne(plan: TaskPlan, hooks: SchedulerHooks): Promise<void> {
    if (this.stopped) return hooks.notStarted(plan, "interrupted");
    const started = this.now();
    const allot = this.allot(plan, started);
    if (allot === undefined) return hooks.notStarted(plan, "no-time");
    this.inFlight.set(plan.id, { allot, started });
    const record = await hooks.run(plan, allot);
    this.inFlight.delete(plan.id);
    if (record.status === "ok" && record.setupSeconds > 0) this.setups.push(record.setupSeconds);
    if (this.stopped && record.stop === "error") record.stop = "interrupted";
    hooks.ran(plan, record);
  }

  /** Seconds for a task starting at `t`, or undefined when the budget has too little left. */
  private allot(plan: TaskPlan, t: number): number | undefined {
    let promised = 0;
    for (const f of this.inFlight.values())
      if (Number.isFinite(f.allot)) promised += Math.max(0, f.allot - (t - f.started));
    const allot = this.budget.allot(plan.weight, this.pendingWeight, promised, {
      seconds: median(this.setups),
      pendingCount: this.queue.length + 1,
    });
    this.pendingWeight -= plan.weight;
    return allot;
  }
}
