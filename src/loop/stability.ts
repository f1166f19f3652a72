// Early stop when the answers have settled: the attempts (a signature of them) have not changed for
// `patience` optimizer steps.

export class StabilityTracker {
  private last: string | undefined;
  private since = 0;

  /** `patience` in steps; 0 or less never reports stable. */
  constructor(readonly patience: number) {}

  /** Record the attempts' signature after `step` steps; true when it has been unchanged for `patience` steps. */
  observe(signature: string, step: number): boolean {
    if (signature !== this.last) {
      this.last = signature;
      this.since = step;
    }
    return this.stable(step);
  }

  /** Steps the current signature has been unchanged, as of `step`. */
  unchangedFor(step: number): number {
    return this.last === undefined ? 0 : step - this.since;
  }

  stable(step: number): boolean {
    return this.patience > 0 && this.last !== undefined && this.unchangedFor(step) >= this.patience;
  }

  /** The state as plain data (for checkpoints); fromState restores it exactly. */
  toState(): { patience: number; last: string | null; since: number } {
    return { patience: this.patience, last: this.last ?? null, since: this.since };
  }

  static fromState(s: ReturnType<StabilityTracker["toState"]>): StabilityTracker {
    const t = new StabilityTracker(s.patience);
    if (s.last !== null) t.last = s.last;
    t.since = s.since;
    return t;
  }
}
