// Hyper-parameters of the multitensor family: which members the multitensor has, channel widths, the
// number of blocks, the latent capacity schedule and the loss weights. Defaults are chosen for speed on
// a one-core CPU (see README.md in this folder for the measurements behind them).

/** Member presets: "full" is every legal axis subset (18); "lite" drops those with colour AND direction. */
export type MemberPreset = "full" | "lite";

export interface MultitensorConfig {
  /** A preset or an explicit list of member names (letters from "ECDXY", e.g. "ECXY"). */
  members: MemberPreset | string[];
  /** Residual blocks. */
  blocks: number;
  /** Residual channels of members without / with the direction axis. */
  width: number;
  widthDir: number;
  /** Channels inside each residual branch. */
  shareUp: number;
  /** Share-up channels of members with the direction axis (their residual is narrower). */
  shareUpDir: number;
  shareDown: number;
  softmax: number;
  cummax: number;
  shift: number;
  mlp: number;
  /** Latent channels per member. */
  latent: number;
  /** Loss = kl * KL + reconstruction * (colour cross-entropy + size NLL), sums over cells. */
  klWeight: number;
  reconstructionWeight: number;
  /**
   * Latent capacity (nats) of a member's channel: exp(rate * g) * initial + minimum, g a learned
   * per-channel value starting at 0 (a large start makes the first steps nearly noise-free).
   */
  capacityInitial: number;
  capacityMinimum: number;
  capacityRate: number;
  /** Multiplier on the colour head's bias (fast learning of the "black or not" prior). */
  headBiasScale: number;
}

export const DEFAULT_CONFIG: MultitensorConfig = {
  members: "lite",
  blocks: 4,
  width: 16,
  widthDir: 8,
  shareUp: 16,
  shareUpDir: 8,
  shareDown: 8,
  softmax: 2,
  cummax: 4,
  shift: 4,
  mlp: 16,
  latent: 4,
  klWeight: 1,
  reconstructionWeight: 10,
  capacityInitial: 10000,
  capacityMinimum: 0.5,
  capacityRate: 10,
  headBiasScale: 100,
};

/** The defaults with `over` applied. */
export function resolveConfig(over: Partial<MultitensorConfig> = {}): MultitensorConfig {
  const cfg = { ...DEFAULT_CONFIG, ...over };
  for (const [k, v] of Object.entries(cfg)) {
    if (typeof v === "number" && !(Number.isFinite(v) && v >= 0))
      throw new RangeError(`multitensor config ${k}: ${v} is not a non-negative number`);
  }
  for (const k of [
    "blocks",
    "width",
    "widthDir",
    "shareUp",
    "shareUpDir",
    "shareDown",
    "softmax",
    "cummax",
    "shift",
    "mlp",
    "latent",
  ] as const) {
    if (!Number.isInteger(cfg[k]))
      throw new RangeError(`multitensor config ${k}: ${cfg[k]} is not an integer`);
  }
  for (const k of [
    "width",
    "widthDir",
    "shareUp",
    "shareUpDir",
    "shareDown",
    "softmax",
    "mlp",
    "latent",
  ] as const) {
    if (cfg[k] < 1) throw new RangeError(`multitensor config ${k} must be at least 1`);
  }
  return cfg;
}
