// Learning-rate schedules as a factor on the base lr, for the optimizer step numbered `step` (0 for
// the first step): linear warm-up (step+1)/warmup over the first `warmupSteps`, then constant or a
// cosine from 1 down to `minFactor` at `totalSteps` (held there afterwards).
import type { Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";

export type Schedule =
  | { kind: "constant"; warmupSteps?: number }
  | { kind: "cosine"; warmupSteps?: number; totalSteps: number; minFactor?: number };

/** The factor at `step` (TypeScript, float64): the reference the graph version follows. */
export function scheduleFactor(s: Schedule | undefined, step: number): number {
  if (!s) return 1;
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (step + 1) / warm;
  if (s.kind === "constant") return 1;
  const min = s.minFactor ?? 0;
  const progress = Math.min(1, (step - warm) / Math.max(1, s.totalSteps - warm));
  return min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** The factor as graph ops from `stepF`, the step number as a float scalar; null for a constant 1. */
export function scheduleFactorOps(s: Schedule | undefined, stepF: Tensor): Tensor | null {
  if (!s) return null;
  const warm = s.warmupSteps ?? 0;
  if (s.kind === "constant" && warm === 0) return null;
  const g = stepF.graph;
  return g.scope("lr_schedule", () => {
    let after: Tensor | number = 1;
    if (s.kind === "cosine") {
      const min = s.minFactor ?? 0;
      const progress = G.min(G.div(G.sub(stepF, warm), Math.max(1, s.totalSteps - warm)), 1);
      const cos = g.node("Cos", [G.mul(progress, Math.PI)], [{ dtype: stepF.dtype, shape: [] }])[0]!;
      after = G.add(G.mul(G.add(cos, 1), (1 - min) * 0.5), min);
    }
    if (warm === 0) return after as Tensor;
    const ramp = G.div(G.add(stepF, 1), warm);
    return G.where(G.less(stepF, warm), ramp, after);
  });
}
