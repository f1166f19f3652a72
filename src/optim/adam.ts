// Adam and AdamW as graph ops, PyTorch semantics. For the step numbered `step` (0-based; t = step + 1):
//   g  = clip(grad)                       (global norm, when configured)
//   g += wd * p                           (Adam's L2 weight decay)
//   p *= 1 - lr * wd                      (AdamW's decoupled weight decay)
//   m  = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// with lr = the parameter's lr times the schedule factor at `step`.
import type { Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";
import { clipByGlobalNorm } from "./clip.ts";
import { type OptimConfig, resolveSettings } from "./config.ts";
import { scheduleFactorOps } from "./schedule.ts";

export interface ParamSlot {
  name: string;
  /** Group tag for per-group settings. */
  group?: string;
  param: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
}

export interface AdamResult {
  params: Tensor[];
  m: Tensor[];
  v: Tensor[];
  /** Global gradient norm before clipping (only when clipping is configured). */
  gradNorm?: Tensor;
  /** The schedule factor (null when constant 1). */
  lrFactor: Tensor | null;
}

/** Emit one optimizer update on the graph of `step` (an int64 scalar: the number of steps already taken). */
export function adamStep(slots: ParamSlot[], step: Tensor, cfg: OptimConfig): AdamResult {
  if (slots.length === 0) throw new Error("adamStep: no parameters");
  const g = step.graph;
  const dtype = slots[0]!.param.dtype;
  return g.scope(cfg.kind === "adamw" ? "AdamW" : "Adam", () => {
    const stepF = G.cast(step, dtype);
    const t = G.add(stepF, 1);
    const lrFactor = scheduleFactorOps(cfg.schedule, stepF);
    let grads = slots.map((s) => s.grad);
    let gradNorm: Tensor | undefined;
    if (cfg.clipNorm !== undefined) ({ grads, norm: gradNorm } = clipByGlobalNorm(grads, cfg.clipNorm));
    // bias corrections are shared by every parameter with the same betas
    const corrections = new Map<string, { bc1: Tensor; sqrtBc2: Tensor }>();
    const correction = (b1: number, b2: number) => {
      const k = `${b1}|${b2}`;
      let c = corrections.get(k);
      if (!c) {
        c = {
          bc1: G.sub(1, G.pow(g.scalar(b1, dtype), t)),
          sqrtBc2: G.sqrt(G.sub(1, G.pow(g.scalar(b2, dtype), t))),
        };
        corrections.set(k, c);
      }
      return c;
    };
    const out: AdamResult = { params: [], m: [], v: [], lrFactor, ...(gradNorm ? { gradNorm } : {}) };
    slots.forEach((s, i) => {
      const set = resolveSettings(cfg, s.name, s.group);
      const [b1, b2] = set.betas;
      const { bc1, sqrtBc2 } = correction(b1, b2);
      g.scope(s.name, () => {
        const lr: Tensor | number = lrFactor ? G.mul(lrFactor, set.lr) : set.lr;
        let grad = grads[i]!;
        let p = s.param;
        if (set.weightDecay !== 0) {
          if (cfg.kind === "adam") grad = G.add(grad, G.mul(p, set.weightDecay));
          else
            p = G.mul(
              p,
              typeof lr === "number" ? 1 - lr * set.weightDecay : G.sub(1, G.mul(lr, set.weightDecay)),
            );
        }
        const m = G.add(G.mul(s.m, b1), G.mul(grad, 1 - b1));
        const v = G.add(G.mul(s.v, b2), G.mul(G.mul(grad, grad), 1 - b2));
        const denom = G.add(G.div(G.sqrt(v), sqrtBc2), set.eps);
        const stepSize = G.div(lr, bc1);
        out.params.push(G.sub(p, G.mul(stepSize, G.div(m, denom))));
        out.m.push(m);
        out.v.push(v);
      });
    });
    return out;
  });
}
