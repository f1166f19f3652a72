// The whole forward pass: latents -> blocks -> heads -> loss. One block: share up, subset softmax,
// directional branch (members with direction, x and y), direction mixing (members with direction),
// SiLU MLP, share down, normalisation. Loss = kl * KL + reconstruction * (colour cross-entropy over
// every known cell + size NLL of the train outputs under the "learned" shape rule; with crop offsets,
// crop.ts's term for the train outputs instead).
import type { Graph, Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import type { MultitensorConfig } from "./config.ts";
import { directional } from "./directional.ts";
import { cropReconstruction } from "./crop.ts";
import { colourCrossEntropy, colourLogits, lineValues, sizeLogProbs } from "./heads.ts";
import { NOISE, decodeLatents } from "./latent.ts";
import type { TaskLayout } from "./layout.ts";
import { AX, type Member, isSubset } from "./members.ts";
import { mixDirections } from "./mixing.ts";
import { type Ctx, normalise } from "./ops.ts";
import type { ParamSource } from "./params.ts";
import { mlp, subsetSoftmax } from "./pointwise.ts";
import { type Stream, shareDown, shareUp } from "./share.ts";

export interface ForwardBatch {
  mask: Tensor;
  target: Tensor;
  cells: Tensor;
  height?: Tensor;
  width?: Tensor;
  cropTarget?: Tensor;
}

export interface ForwardParts {
  loss: Tensor;
  kl: Tensor;
  reconstruction: Tensor;
  /** [copies, 2, E, K, X, Y] colour logits (black at index 0). */
  logits: Tensor;
  /** [copies, E, X] and [copies, E, Y] log-probabilities of each height / width ("learned" rule only). */
  heightLogp?: Tensor;
  widthLogp?: Tensor;
  /** [copies, E, X] and [copies, E, Y] raw row / column values of the crop windows (crop offsets only, crop.ts). */
  rows?: Tensor;
  cols?: Tensor;
}

export interface ForwardArgs {
  g: Graph;
  dtype: "float32" | "float64";
  cfg: MultitensorConfig;
  layout: TaskLayout;
  members: Member[];
  /** Independent copies of the model (the leading axis of every tensor); their losses are summed. */
  copies: number;
  p: ParamSource;
  batch: ForwardBatch;
  noise: Record<string, Tensor>;
}

export function buildForward(a: ForwardArgs): ForwardParts {
  const { g, cfg, layout, members } = a;
  const ctx: Ctx = {
    g,
    dtype: a.dtype,
    cfg,
    sizes: layout.sizes,
    members,
    p: a.p,
    copies: a.copies,
    mask: a.batch.mask,
    memo: new Map(),
  };
  const noise = a.noise[NOISE];
  if (!noise) throw new Error(`multitensor: no noise input "${NOISE}"`);
  const latent = decodeLatents(ctx, noise);
  let xs: Stream = latent.xs;
  const kl = latent.kl;
  // The last block only computes what reaches the heads: the head members after sharing down, their
  // supersets before (every other member's last-block branches would be dead weight).
  const heads = members.filter(
    (m) =>
      m.name === "ECXY" ||
      ((layout.rule === "learned" || layout.offsets) && (m.name === "EX" || m.name === "EY")),
  );
  const feeding = members.filter((m) => heads.some((h) => isSubset(h, m)));
  const each = (
    active: readonly Member[],
    f: (x: Tensor, m: Member) => Tensor,
    which: (m: Member) => boolean = () => true,
  ) => {
    const out: Stream = new Map(xs);
    for (const m of active) if (which(m)) out.set(m.name, f(xs.get(m.name)!, m));
    xs = out;
  };
  for (let blk = 0; blk < cfg.blocks; blk++) {
    const last = blk === cfg.blocks - 1;
    const active = last ? feeding : members;
    xs = shareUp(ctx, xs, blk, active);
    each(active, (x, m) => subsetSoftmax(ctx, x, m, blk));
    if (cfg.cummax + cfg.shift > 0)
      each(
        active,
        (x, m) => directional(ctx, x, m, blk),
        (m) => m.d && m.x && m.y,
      );
    each(
      active,
      (x, m) => mixDirections(ctx, x, m, blk),
      (m) => m.d,
    );
    each(active, (x, m) => mlp(ctx, x, m, blk));
    xs = shareDown(ctx, xs, blk, last ? heads : members);
    each(last ? heads : members, (x) => g.scope(`b${blk}_norm`, () => normalise(ctx, x)));
  }

  const logits = colourLogits(ctx, xs.get("ECXY")!);
  let recon = colourCrossEntropy(logits, a.batch.target, a.batch.cells);
  const parts: ForwardParts = { loss: kl, kl, reconstruction: recon, logits };
  const ex = xs.get("EX");
  const ey = xs.get("EY");
  if (layout.offsets) {
    if (!ex || !ey || !a.batch.cropTarget)
      throw new Error("multitensor: crop offsets need the EX and EY members");
    parts.rows = g.scope("head_size_x", () => lineValues(ctx, ex));
    parts.cols = g.scope("head_size_y", () => lineValues(ctx, ey));
    recon = G.add(recon, cropReconstruction(ctx, layout, logits, a.batch.cropTarget, parts.rows, parts.cols));
  } else if (layout.rule === "learned") {
    if (!ex || !ey || !a.batch.height || !a.batch.width)
      throw new Error("multitensor: the learned shape rule needs the EX and EY members");
    parts.heightLogp = sizeLogProbs(ctx, ex, AX.x);
    parts.widthLogp = sizeLogProbs(ctx, ey, AX.y);
    const nll = G.neg(
      G.add(
        G.reduceSum(G.mul(parts.heightLogp, a.batch.height)),
        G.reduceSum(G.mul(parts.widthLogp, a.batch.width)),
      ),
    );
    recon = G.add(recon, nll);
  }
  parts.reconstruction = recon;
  parts.loss = G.add(G.mul(kl, cfg.klWeight), G.mul(recon, cfg.reconstructionWeight));
  return parts;
}
