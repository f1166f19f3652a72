// Optimizer configuration: Adam / AdamW hyper-parameters with PyTorch defaults, per-group overrides
// (matched by parameter group tag or by name), gradient clipping and the learning-rate schedule.
import type { Schedule } from "./schedule.ts";

export type OptimKind = "adam" | "adamw";

/** Settings one parameter may override. */
export interface ParamSettings {
  lr: number;
  betas: [number, number];
  eps: number;
  /** Adam: L2 term added to the gradient; AdamW: decoupled decay p *= 1 - lr * wd. */
  weightDecay: number;
}

/** Overrides for the parameters whose group tag is `tag` or whose name is in `names`. */
export interface ParamGroup extends Partial<ParamSettings> {
  tag?: string;
  names?: string[];
}

export interface OptimConfig extends Partial<ParamSettings> {
  kind: OptimKind;
  /** Later groups win over earlier ones; a group matching by name wins over one matching by tag. */
  groups?: ParamGroup[];
  /** Clip the global gradient norm (over all parameters) to this value, PyTorch clip_grad_norm_ style. */
  clipNorm?: number;
  /** Learning-rate schedule: a factor on every group's lr (default constant 1). */
  schedule?: Schedule;
}

/** PyTorch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0 (Adam) / 0.01 (AdamW). */
export function defaults(kind: OptimKind): ParamSettings {
  return { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: kind === "adamw" ? 0.01 : 0 };
}

const pick = (o: Partial<ParamSettings>): Partial<ParamSettings> => {
  const out: Partial<ParamSettings> = {};
  if (o.lr !== undefined) out.lr = o.lr;
  if (o.betas !== undefined) out.betas = o.betas;
  if (o.eps !== undefined) out.eps = o.eps;
  if (o.weightDecay !== undefined) out.weightDecay = o.weightDecay;
  return out;
};

/** The settings for one parameter: defaults < config < groups by tag < groups by name. */
export function resolveSettings(cfg: OptimConfig, name: string, tag?: string): ParamSettings {
  let s: ParamSettings = { ...defaults(cfg.kind), ...pick(cfg) };
  const groups = cfg.groups ?? [];
  for (const gr of groups) if (tag !== undefined && gr.tag === tag) s = { ...s, ...pick(gr) };
  for (const gr of groups) if (gr.names?.includes(name)) s = { ...s, ...pick(gr) };
  return s;
}
