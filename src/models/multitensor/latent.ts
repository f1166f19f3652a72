// The latent input of every member: a learned posterior N(s * mean^, v) per element, where mean^ is
// the learned mean normalised per member and channel, and v = exp(-2 kappa) is set by a per-element
// capacity kappa (nats): kappa = (exp(rate * g + a - mean(a)) * initial + minimum) / n spreads a
// per-channel budget over the member's n latent elements, with a learned per-channel level g (shared
// by x/y partners) and per-element adjustments a (centred per member and channel); s = sqrt(1 - v)
// keeps the variance at one. The sample is scaled by 1 - exp(-2 budget / n) (a channel with a tiny
// budget falls silent) and projected to the member's channels; the KL to N(0, 1) enters the loss.
// All members' latents live side by side in [copies, latent, cells] tensors (members in order, each
// member's cells in [D, E, C, X, Y] order), so the element-wise work is a handful of nodes for all of
// them and every copy.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { type Member, cellsOf, weightOwner } from "./members.ts";
import { type Ctx, linear, unitScale, widthOf } from "./ops.ts";
import { withCopies } from "./params.ts";

/**
 * The noise input: uniform [0, 1) values, [copies, 2, latent, cells], turned into N(0, 1) in the graph by
 * Box-Muller (sqrt(-2 ln(1 - u0)) cos(2 pi u1), element by element). Two uniforms cost the trainer's
 * generator less than half of one normal, and element i of the noise depends on element i of the input
 * alone (so permuting cells permutes the noise).
 */
export const NOISE = "noise";

export function gaussianNoise(u: Tensor): Tensor {
  const [copies, , dz, cells] = u.shape as [number, number, number, number];
  const u0 = G.reshape(G.slice(u, [0], [1], [1]), withCopies(copies, [dz, cells]));
  const u1 = G.reshape(G.slice(u, [1], [2], [1]), withCopies(copies, [dz, cells]));
  const angle = G.mul(u1, 2 * Math.PI);
  // TODO(graph owners): G.cos belongs in src/graph; no gradient is needed here (noise is an input)
  const cos = G.cos(angle);
  return G.mul(G.sqrt(G.mul(G.log(G.sub(1, u0)), -2)), cos);
}

export interface LatentSegment {
  member: string;
  /** First cell of the member in the latent tensors' second axis. */
  offset: number;
  cells: number;
}

/** Where each member's cells sit in the latent tensors, and their total. */
export function latentLayout(ctx: Pick<Ctx, "members" | "sizes">): {
  segments: LatentSegment[];
  cells: number;
} {
  let offset = 0;
  const segments = ctx.members.map((m) => {
    const cells = cellsOf(m, ctx.sizes);
    const s = { member: m.name, offset, cells };
    offset += cells;
    return s;
  });
  return { segments, cells: offset };
}

/** Distinct weight owners in member order (x/y partners share one). */
const ownersOf = (members: readonly Member[]) => [...new Set(members.map(weightOwner))];

export function decodeLatents(ctx: Ctx, uniform: Tensor): { xs: Map<string, Tensor>; kl: Tensor } {
  const { cfg, g, members } = ctx;
  return g.scope("latent", () => {
    const noise = gaussianNoise(uniform);
    const dz = cfg.latent;
    const { segments, cells } = latentLayout(ctx);
    const owners = ownersOf(members);
    const sizes = segments.map((s) => s.cells);
    const mean = ctx.p.get("latent_mean", [dz, cells], { kind: "normal", std: 0.01 });
    const adjust = ctx.p.get("latent_capacity", [dz, cells], { kind: "zeros" });
    const level = ctx.p.get("latent_level", [dz, owners.length], { kind: "zeros" });
    const last = mean.rank - 1; // the cells: [copies, latent, cells], or [latent, cells] at one copy

    // per member and channel: the mean normalised, the adjustments centred
    const mu = G.concat(
      G.split(mean, sizes, last).map((m) => G.layerNorm(m, unitScale(ctx, m.shape[last]!), null, last, 1e-6)),
      last,
    );
    const centred = G.concat(
      G.split(adjust, sizes, last).map((a) => G.sub(a, G.reduceMean(a, [last], true))),
      last,
    );
    // per cell: its member's owner, 1 / n
    const ownerOfCell = segments.flatMap((s, i) =>
      new Array<number>(s.cells).fill(owners.indexOf(weightOwner(members[i]!))),
    );
    const invN = g.constant(
      ctx.dtype,
      [1, cells],
      segments.flatMap((s) => new Array<number>(s.cells).fill(1 / (dz * s.cells))),
    );
    const rate = G.mul(level, cfg.capacityRate);
    const rateOfCell = G.gather(rate, g.constant("int64", [cells], ownerOfCell), last);
    const kappa = G.mul(
      G.add(G.mul(G.exp(G.add(centred, rateOfCell)), cfg.capacityInitial), cfg.capacityMinimum),
      invN,
    );
    const noiseStd = G.exp(G.neg(kappa));
    const noiseVar = G.mul(noiseStd, noiseStd);
    const signalVar = G.sub(1, noiseVar);
    const budget = G.add(G.mul(G.exp(rateOfCell), cfg.capacityInitial), cfg.capacityMinimum);
    const scale = G.sub(1, G.exp(G.mul(G.mul(budget, invN), -2)));
    const z = G.mul(G.add(G.mul(G.sqrt(signalVar), mu), G.mul(noiseStd, noise)), scale);

    // KL(N(s mu, v) || N(0, 1)) = (v + s^2 mu^2 - 1 - log v) / 2, with -log v / 2 = kappa
    const perElement = G.add(G.mul(G.sub(G.add(noiseVar, G.mul(signalVar, G.mul(mu, mu))), 1), 0.5), kappa);
    const kl = G.reduceSum(perElement, undefined, false);

    const xs = new Map<string, Tensor>();
    G.split(z, sizes, last).forEach((zm, i) => {
      const m = members[i]!;
      const owner = weightOwner(m);
      const width = widthOf(ctx, m);
      const bias = ctx.p.get(`latent_${owner}_bias`, [width, 1], { kind: "normal", std: 1 / Math.sqrt(dz) });
      xs.set(m.name, G.add(linear(ctx, zm, `latent_${owner}_decode`, width), bias));
    });
    return { xs, kl };
  });
}
