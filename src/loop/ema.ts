// Exponential moving average of the model's output arrays, updated once per chunk of K steps with the
// per-step decay raised to K (0.97 per step: 0.97^K per chunk). The first update copies the outputs.

/** Per-step decay of the output EMA (CompressARC's practice). */
export const EMA_DECAY = 0.97;

export class OutputEma {
  private values: Record<string, Float32Array> | undefined;
  /** Updates so far. */
  updates = 0;

  constructor(readonly decay = EMA_DECAY) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`EMA decay must be in [0, 1), got ${decay}`);
  }

  /** Fold in outputs observed after `steps` more optimizer steps; returns the current average. */
  update(outputs: Record<string, Float32Array>, steps: number): Record<string, Float32Array> {
    if (this.values === undefined) {
      this.values = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, Float32Array.from(v)]));
    } else {
      const keep = this.decay ** Math.max(0, steps);
      for (const [name, x] of Object.entries(outputs)) {
        const avg = this.values[name];
        if (!avg || avg.length !== x.length) {
          this.values[name] = Float32Array.from(x);
          continue;
        }
        for (let i = 0; i < x.length; i++) avg[i] = keep * avg[i]! + (1 - keep) * x[i]!;
      }
    }
    this.updates++;
    return this.values;
  }

  /** The current average (undefined before the first update). */
  get current(): Record<string, Float32Array> | undefined {
    return this.values;
  }

  /** The state as plain data (for checkpoints), arrays copied; fromState restores it exactly. */
  toState(): { decay: number; updates: number; values: Record<string, Float32Array> | null } {
    const values = this.values
      ? Object.fromEntries(Object.entries(this.values).map(([k, v]) => [k, Float32Array.from(v)]))
      : null;
    return { decay: this.decay, updates: this.updates, values };
  }

  static fromState(s: ReturnType<OutputEma["toState"]>): OutputEma {
    const ema = new OutputEma(s.decay);
    ema.updates = s.updates;
    if (s.values)
      ema.values = Object.fromEntries(Object.entries(s.values).map(([k, v]) => [k, Float32Array.from(v)]));
    return ema;
  }
}
