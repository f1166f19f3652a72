// Loss helpers built from differentiable standard ops.
import type { Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";

/** Mean softmax cross-entropy of `logits` [..., C] against integer `labels` [...]. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const c = logits.shape[logits.rank - 1]!;
  const dtype = logits.dtype as "float32" | "float64";
  return logits.graph.scope("CrossEntropy", () => {
    const logp = G.logSoftmax(logits, -1);
    // one-hot by comparison with 0..C-1 (ORT's CPU OneHot has no float64 output)
    const classes = logits.graph.constant(
      "int64",
      [c],
      Array.from({ length: c }, (_, i) => i),
    );
    const hot = G.cast(G.equal(G.unsqueeze(G.cast(labels, "int64"), [-1]), classes), dtype);
    const picked = G.reduceSum(G.mul(logp, hot), [-1]);
    return G.neg(G.reduceMean(picked));
  });
}

/** Fraction of positions where argmax(logits) equals the label (a float scalar; not differentiable). */
export function accuracy(logits: Tensor, labels: Tensor): Tensor {
  const hit = G.equal(G.argMax(logits, -1), G.cast(labels, "int64"));
  return G.reduceMean(G.cast(hit, logits.dtype));
}
