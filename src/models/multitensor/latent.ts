// The latent input of every member: a learned posterior N(s * mean^, v) per element, where mean^ is
// the learned mean normalised per channel and v = exp(-2 kappa) is set by a per-element capacity
// kappa (nats). kappa = (exp(rate * g + a - mean(a)) * initial + minimum) / n spreads a per-channel
// budget over the n latent elements, with a learned per-channel level g and per-element adjustments a;
// s = sqrt(1 - v) keeps the total variance at one. The KL to N(0, 1) is summed into the loss; the
// sample (scaled down when the channel's budget is small) is projected to the member's channels.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { type Member, cellsOf, weightOwner } from "./members.ts";
import { type Ctx, linear, normalise, widthOf } from "./ops.ts";

/** Shape of a member's latent and of its noise input: flat, [latent channels, cells in D, E, C, X, Y order]. */
export const latentShape = (ctx: Pick<Ctx, "cfg" | "sizes">, m: Member): number[] => [ctx.cfg.latent, cellsOf(m, ctx.sizes)];

export const noiseName = (m: Member): string => `noise_${m.name}`;

export interface Decoded {
  x: Tensor;
  kl: Tensor;
}

export function decodeLatent(ctx: Ctx, m: Member, noise: Tensor): Decoded {
  const { cfg } = ctx;
  return ctx.g.scope(`latent_${m.name}`, () => {
    const shape = latentShape(ctx, m);
    const dz = cfg.latent;
    const n = dz * cellsOf(m, ctx.sizes);
    const owner = weightOwner(m);
    const mean = ctx.p.get(`latent_${m.name}_mean`, shape, { kind: "normal", std: 0.01 });
    const adjust = ctx.p.get(`latent_${m.name}_capacity`, shape, { kind: "zeros" });
    const level = ctx.p.get(`latent_${owner}_level`, [dz, 1], { kind: "zeros" });
    const cellAxes = [1];

    const mu = normalise(ctx, mean);
    const rate = G.mul(level, cfg.capacityRate);
    const local = G.add(G.sub(adjust, G.reduceMean(adjust, cellAxes, true)), rate);
    const kappa = G.add(G.mul(G.exp(local), cfg.capacityInitial / n), cfg.capacityMinimum / n);
    const noiseStd = G.exp(G.neg(kappa));
    const noiseVar = G.mul(noiseStd, noiseStd);
    const signalVar = G.sub(1, noiseVar);
    const signalStd = G.sqrt(signalVar);
    const global = G.add(G.mul(G.exp(rate), cfg.capacityInitial), cfg.capacityMinimum);
    const scale = G.sub(1, G.exp(G.mul(global, -2 / n)));
    const z = G.mul(G.add(G.mul(signalStd, mu), G.mul(noiseStd, noise)), scale);

    // KL(N(s mu, v) || N(0, 1)) = (v + s^2 mu^2 - 1 - log v) / 2, with -log v / 2 = kappa
    const perElement = G.add(G.mul(G.sub(G.add(noiseVar, G.mul(signalVar, G.mul(mu, mu))), 1), 0.5), kappa);
    const kl = G.reduceSum(perElement, undefined, false);

    const width = widthOf(ctx, m);
    const bias = ctx.p.get(`latent_${owner}_bias`, [width, 1], { kind: "normal", std: 1 / Math.sqrt(dz) });
    const x = G.add(linear(ctx, z, `latent_${owner}_decode`, width), bias);
    return { x, kl };
  });
}
