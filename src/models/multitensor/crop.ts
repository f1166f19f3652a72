// Crop offsets: where a train output is smaller than its example's region (the union of its input and
// output rectangles), the model may draw it anywhere inside that region, as in CompressARC. A crop-like
// task ("cut out the marked object") then needs no translation to the corner: the model paints the
// answer where the object already is, and the row / column heads say where the window lies.
//
// Per axis, the row head gives one value m_i per row of the region; a window [o, o + h) scores
// 2 (S[o+h] - S[o]) (S the exclusive prefix sums of m: rows inside count +m, rows outside -m, up to a
// constant). Its log-probability is normalised over the offsets alone when the output shape is known
// ("fixed" rule), or over every window that fits in the region when the shape is learned (so height
// and place are one choice). The reconstruction term of an output is
//   -log sum_{ox, oy} P_x(ox) P_y(oy) P(colours of the output | the window at (ox, oy)),
// and the colour likelihood of every window comes from two "skew" sums (pad, reshape, slice: the
// diagonal trick), not from one node per offset.
import type { Tensor } from "../../graph/graph.ts";
import * as G from "../../graph/index.ts";
import { BIG, type Ctx } from "./ops.ts";
import type { TaskLayout } from "./layout.ts";

/** One train output drawn through the crop term. */
export interface CropExample {
  e: number;
  /** Output height and width. */
  h: number;
  w: number;
  /** The example's region (union of its input and output rectangles, at the top-left). */
  H: number;
  W: number;
}

/** An example's region: the union of its input and output rectangles (both at the top-left). */
export const regionOf = (s: TaskLayout["shapes"][number]): [number, number] => [
  Math.max(s.input[0], s.output[0]),
  Math.max(s.input[1], s.output[1]),
];

/** The train outputs of a task that go through the crop term (all of them, or none). */
export function cropExamples(lay: TaskLayout): CropExample[] {
  if (!lay.offsets) return [];
  return lay.shapes.slice(0, lay.nTrain).map((s, e) => {
    const [H, W] = regionOf(s);
    return { e, h: s.output[0], w: s.output[1], H, W };
  });
}

/** [n] log-probabilities of the windows [o, o + len) for o < n, within the first `region` entries of m [L]. */
export function windowLogProbs(ctx: Ctx, m: Tensor, region: number, len: number, learned: boolean): Tensor {
  const n = region - len + 1;
  const S = G.pad(G.cumSum(G.slice(m, [0], [region], [0]), 0), [1, 0], 0); // [region + 1], S[0] = 0
  const score = G.mul(G.sub(G.slice(S, [len], [len + n], [0]), G.slice(S, [0], [n], [0])), 2);
  if (!learned) return G.logSoftmax(score, 0);
  // every window (start < end <= region): 2 (S[end] - S[start]), the rest masked out
  const all = G.mul(G.sub(G.unsqueeze(S, [0]), G.unsqueeze(S, [1])), 2);
  const open = new Float64Array((region + 1) * (region + 1));
  for (let s = 0; s <= region; s++)
    for (let t = 0; t <= region; t++) open[s * (region + 1) + t] = t > s ? 0 : -BIG;
  const z = G.logSumExp(
    G.add(all, ctx.g.constant(ctx.dtype, [region + 1, region + 1], open)),
    undefined,
    false,
  );
  return G.sub(score, z);
}

/**
 * [nx, ny] negative log-likelihood of the output's colours for every window position: nll [K, H, W]
 * (the example's output-slot cells), onehot [K, h, w] (the output's colours).
 */
export function windowNll(nll: Tensor, onehot: Tensor, c: CropExample): Tensor {
  const { h, w, H, W } = c;
  const K = nll.shape[0]!;
  const nx = H - h + 1;
  const ny = W - w + 1;
  // P[(i, j), (x, y)] = nll[colour of (i, j), x, y]
  const P = G.gemm(G.reshape(onehot, [K, h * w]), G.reshape(nll, [K, H * W]), undefined, { transA: true });
  // along y: Q[i, x, oy] = sum_j P[i, j, x, oy + j]  (rows j of stride W read with stride W + 1)
  const pj = G.reshape(G.transpose(G.reshape(P, [h, w, H, W]), [0, 2, 1, 3]), [h, H, w * W]);
  const Q = G.reduceSum(
    G.slice(G.reshape(G.pad(pj, [0, 0, 0, 0, 0, w], 0), [h, H, w, W + 1]), [0], [ny], [3]),
    [2],
    false,
  );
  // along x: R[ox, oy] = sum_i Q[i, ox + i, oy]  (rows i of stride H ny read with stride (H + 1) ny)
  const qi = G.pad(G.reshape(Q, [h * H * ny]), [0, h * ny], 0);
  return G.reduceSum(
    G.reshape(G.slice(G.reshape(qi, [h, (H + 1) * ny]), [0], [nx * ny], [1]), [h, nx, ny]),
    [0],
    false,
  );
}

/**
 * Sum over the copies and the crop examples of -log sum over windows of P(window) P(colours | window).
 * logits [copies, 2, E, K, X, Y]; cropTarget [nTrain, K, X, Y] one-hot at the top-left; rows
 * [copies, E, X], cols [copies, E, Y]. Each copy's term is built apart (its windows are small graphs).
 */
export function cropReconstruction(
  ctx: Ctx,
  lay: TaskLayout,
  logits: Tensor,
  cropTarget: Tensor,
  rows: Tensor,
  cols: Tensor,
): Tensor {
  return ctx.g.scope("crop", () => {
    const R = logits.shape[0]!;
    const pick = (t: Tensor, r: number) =>
      G.reshape(R === 1 ? t : G.slice(t, [r], [r + 1], [0]), t.shape.slice(1));
    const terms = Array.from({ length: R }, (_, r) =>
      copyTerm(ctx, lay, pick(logits, r), cropTarget, pick(rows, r), pick(cols, r)),
    );
    return terms.reduce((a, b) => G.add(a, b));
  });
}

/** One copy's crop term: logits [2, E, K, X, Y], rows [E, X], cols [E, Y]. */
function copyTerm(
  ctx: Ctx,
  lay: TaskLayout,
  logits: Tensor,
  cropTarget: Tensor,
  rows: Tensor,
  cols: Tensor,
): Tensor {
  const K = logits.shape[2]!;
  const learned = lay.rule === "learned";
  const terms: Tensor[] = [];
  for (const c of cropExamples(lay)) {
    const out = G.reshape(G.slice(logits, [1, c.e, 0, 0], [2, c.e + 1, c.H, c.W], [0, 1, 3, 4]), [
      K,
      c.H,
      c.W,
    ]);
    const nll = G.neg(G.logSoftmax(out, 0));
    const onehot = G.reshape(G.slice(cropTarget, [c.e, 0, 0], [c.e + 1, c.h, c.w], [0, 2, 3]), [K, c.h, c.w]);
    const lpx = windowLogProbs(ctx, G.reshape(G.slice(rows, [c.e], [c.e + 1], [0]), [-1]), c.H, c.h, learned);
    const lpy = windowLogProbs(ctx, G.reshape(G.slice(cols, [c.e], [c.e + 1], [0]), [-1]), c.W, c.w, learned);
    const joint = G.sub(G.add(G.unsqueeze(lpx, [1]), G.unsqueeze(lpy, [0])), windowNll(nll, onehot, c));
    terms.push(G.neg(G.logSumExp(joint, undefined, false)));
  }
  return terms.reduce((a, b) => G.add(a, b));
}

/** The best window [offset, length] along one axis of a test region, and its log-probability (decode). */
export function bestWindow(
  m: ArrayLike<number>,
  from: number,
  region: number,
  len: number | null,
): { offset: number; length: number; logp: number } {
  const S = new Float64Array(region + 1);
  for (let i = 0; i < region; i++) S[i + 1] = S[i]! + m[from + i]!;
  let best = { offset: 0, length: len ?? region, score: -Infinity };
  const scores: number[] = [];
  for (let o = 0; o < region; o++) {
    for (let end = o + 1; end <= region; end++) {
      if (len !== null && end - o !== len) continue;
      const s = 2 * (S[end]! - S[o]!);
      scores.push(s);
      if (s > best.score) best = { offset: o, length: end - o, score: s };
    }
  }
  const top = Math.max(...scores);
  const z = top + Math.log(scores.reduce((a, s) => a + Math.exp(s - top), 0));
  return { offset: best.offset, length: best.length, logp: best.score - z };
}
