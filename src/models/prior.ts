// A prior: a family's task-independent weights (those whose names and shapes do not depend on a task's
// sizes, colours or example count), learned across tasks (`ttt pretrain`), from which every task's
// training starts. Task-sized parameters (the multitensor's latents) are never in it: they start fresh.
// A prior is tied to its family and the family's config key (a hash of everything that decides the
// weights' names and shapes); a model built from a mismatched one is an error, not a silent fallback.

/** One named weight. */
export interface PriorWeight {
  shape: number[];
  values: Float32Array;
}

export interface Prior {
  family: string;
  /** The family's config key (see ModelFamily.priorKey). */
  configKey: string;
  /** Named weights, in a fixed (sorted) order. */
  weights: Map<string, PriorWeight>;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The prior's weights sorted by name (a canonical order for files and averages). */
export function sortedWeights(weights: Map<string, PriorWeight>): Map<string, PriorWeight> {
  return new Map([...weights.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Throws a message naming both sides when `prior` was not learned for this family and config. */
export function checkPriorFits(
  prior: Prior,
  family: string,
  configKey: string | undefined,
  label = "prior",
): void {
  if (prior.family !== family)
    throw new Error(`${label}: learned for the ${prior.family} family; this run uses ${family}`);
  if (configKey === undefined) throw new Error(`${label}: the ${family} family does not start from a prior`);
  if (prior.configKey !== configKey)
    throw new Error(
      `${label}: learned for another ${family} configuration (config key ${prior.configKey}, this one is ${configKey}); pretrain a prior for this configuration`,
    );
}

/**
 * Overwrite the initial values of the named weights a prior has (same name, same shape); every other
 * weight keeps its own. Returns how many weights and values came from the prior.
 */
export function applyPrior(
  prior: Prior,
  named: Iterable<{ name: string; shape: number[]; target: Float32Array | Float64Array }>,
): { weights: number; values: number } {
  let weights = 0;
  let values = 0;
  for (const n of named) {
    const w = prior.weights.get(n.name);
    if (!w || !sameShape(w.shape, n.shape)) continue;
    n.target.set(w.values);
    weights++;
    values += w.values.length;
  }
  return { weights, values };
}

/**
 * One Reptile step: theta + rate * (mean over tasks of theta_task - theta), weight by weight, the mean
 * over the tasks that have the weight. A weight that theta lacks enters as that mean (its first
 * sighting); weights no task has stay as they are. Tasks are taken in the given order (the sums are in
 * float64, so the result does not depend on it beyond rounding).
 */
export function reptileStep(
  theta: Map<string, PriorWeight>,
  tasks: readonly Map<string, PriorWeight>[],
  rate: number,
): Map<string, PriorWeight> {
  const sums = new Map<string, { shape: number[]; sum: Float64Array; n: number }>();
  for (const t of tasks)
    for (const [name, w] of t) {
      const base = theta.get(name);
      if (base && !sameShape(base.shape, w.shape)) continue;
      let s = sums.get(name);
      if (!s) {
        s = { shape: w.shape, sum: new Float64Array(w.values.length), n: 0 };
        sums.set(name, s);
      } else if (!sameShape(s.shape, w.shape)) continue;
      for (let i = 0; i < w.values.length; i++) s.sum[i]! += w.values[i]!;
      s.n++;
    }
  const out = new Map(theta);
  for (const [name, s] of sums) {
    const base = theta.get(name);
    const values = new Float32Array(s.sum.length);
    for (let i = 0; i < values.length; i++) {
      const mean = s.sum[i]! / s.n;
      values[i] = base ? base.values[i]! + rate * (mean - base.values[i]!) : mean;
    }
    out.set(name, { shape: s.shape, values });
  }
  return sortedWeights(out);
}

/** Root-mean-square difference between two sets of weights over the names they share (how far a step moved). */
export function rmsDifference(a: Map<string, PriorWeight>, b: Map<string, PriorWeight>): number {
  let sum = 0;
  let n = 0;
  for (const [name, w] of a) {
    const o = b.get(name);
    if (!o || o.values.length !== w.values.length) continue;
    for (let i = 0; i < w.values.length; i++) {
      const d = w.values[i]! - o.values[i]!;
      sum += d * d;
    }
    n += w.values.length;
  }
  return n ? Math.sqrt(sum / n) : 0;
}
