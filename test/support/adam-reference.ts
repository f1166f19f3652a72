// A plain TypeScript (float64) Adam/AdamW written from PyTorch's documented update, independent of
// src/optim, for the tests to check the graph version against.

export interface RefConfig {
  kind: "adam" | "adamw";
  clipNorm?: number;
  /** Schedule factor for a 0-based step. */
  factor?: (step: number) => number;
  /** Settings of each parameter by name. */
  settings: Record<string, { lr: number; betas: [number, number]; eps: number; weightDecay: number }>;
}

export interface RefState {
  step: number;
  params: Record<string, Float64Array>;
  m: Record<string, Float64Array>;
  v: Record<string, Float64Array>;
}

/** One step in place; returns the gradient norm before clipping. */
export function refAdamStep(cfg: RefConfig, s: RefState, grads: Record<string, Float64Array>): number {
  const names = Object.keys(s.params);
  let sq = 0;
  for (const n of names) for (const g of grads[n]!) sq += g * g;
  const norm = Math.sqrt(sq);
  const coef = cfg.clipNorm === undefined ? 1 : Math.min(1, cfg.clipNorm / (norm + 1e-6));
  const t = s.step + 1;
  const f = cfg.factor ? cfg.factor(s.step) : 1;
  for (const n of names) {
    const {
      lr: baseLr,
      betas: [b1, b2],
      eps,
      weightDecay: wd,
    } = cfg.settings[n]!;
    const lr = baseLr * f;
    const p = s.params[n]!;
    const m = s.m[n]!;
    const v = s.v[n]!;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      let g = grads[n]![i]! * coef;
      if (cfg.kind === "adam" && wd) g += wd * p[i]!;
      if (cfg.kind === "adamw" && wd) p[i] = p[i]! * (1 - lr * wd);
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps;
      p[i] = p[i]! - (lr / bc1) * (m[i]! / denom);
    }
  }
  s.step++;
  return norm;
}

/** Cosine with linear warm-up, written out for the reference. */
export function refCosine(warm: number, total: number, min: number): (step: number) => number {
  return (s) => {
    if (s < warm) return (s + 1) / warm;
    const p = Math.min(1, (s - warm) / Math.max(1, total - warm));
    return min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * p));
  };
}
