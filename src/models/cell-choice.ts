// Reading one cell's colour from logits, shared by the families' decoders: the most likely colour and
// the cell's uncertainty, log(sum_k exp(logit_k - max)) = minus the log-probability of that colour.
// A candidate's score is -SCORE_SCALE x the mean uncertainty of its cells (CompressARC's selection).

/** Weight of the mean per-cell log-probability in a candidate's score. */
export const SCORE_SCALE = 10;

export interface CellChoice {
  /** Index of the most likely of the K logits (the first one on ties). */
  best: number;
  /** log(sum_k exp(logit_k - max)): minus the log-probability of `best`. */
  uncertainty: number;
}

/** The K logits of one cell at values[base + k * stride]. */
export function chooseCell(values: ArrayLike<number>, base: number, stride: number, K: number): CellChoice {
  let best = 0;
  let max = values[base]!;
  for (let k = 1; k < K; k++) {
    const v = values[base + k * stride]!;
    if (v > max) {
      max = v;
      best = k;
    }
  }
  let sum = 0;
  for (let k = 0; k < K; k++) sum += Math.exp(values[base + k * stride]! - max);
  return { best, uncertainty: Math.log(sum) };
}
