// The models of bench/engine.ts: the project's toy MLP and transformer block (src/models/toy.ts) with
// their toy data sets, the batch pool both engines train on, and analytic multiply-accumulate counts.
import { mlpSpec, mlpToyData, seqToyData, transformerBlockSpec } from "../src/models/toy.ts";
import type { OptimConfig } from "../src/optim/index.ts";
import type { BatchArray, FloatDType, ModelSpec } from "../src/train/index.ts";

export const OPTIM: OptimConfig = { kind: "adamw" }; // PyTorch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0.01

export interface BenchCase {
  id: string;
  title: string;
  spec: ModelSpec;
  /** Model description for the PyTorch peer (bench/engine_torch.py). */
  model: Record<string, unknown>;
  /** `poolSize` batches stacked per batch input; step s trains on batch s mod poolSize. */
  pool: Record<string, BatchArray>;
  poolSize: number;
  /** Multiply-accumulates of one forward pass (matrix products only). */
  forwardMacs: number;
  /** MACs of the backward pass actually needed: dW for every product, dX except where X is data. */
  backwardMacs: number;
  stepsPerRep: number;
}

function mlpCase(
  id: string,
  inputs: number,
  hidden: number,
  classes: number,
  batch: number,
  pool: number,
  stepsPerRep: number,
  dtype: FloatDType,
): BenchCase {
  const spec = mlpSpec({ inputs, hidden, classes, batch, seed: 0, dtype });
  const data = mlpToyData({ inputs, classes, dtype }, pool * batch, 1);
  const l1 = batch * inputs * hidden;
  const l2 = batch * hidden * classes;
  return {
    id,
    title: `MLP ${inputs}-${hidden}-${classes}, batch ${batch}`,
    spec,
    model: { kind: "mlp", inputs, hidden, classes, batch },
    pool: { x: data.x, y: data.y },
    poolSize: pool,
    forwardMacs: l1 + l2,
    backwardMacs: l1 + 2 * l2,
    stepsPerRep,
  };
}

function blockCase(
  id: string,
  d: number,
  heads: number,
  seq: number,
  batch: number,
  pool: number,
  stepsPerRep: number,
  dtype: FloatDType,
): BenchCase {
  const vocab = 10;
  const f = 4 * d;
  const spec = transformerBlockSpec({ d, heads, seq, batch, vocab, mlpRatio: 4, seed: 0, dtype });
  const data = seqToyData({ seq, vocab }, pool * batch, "reverse", 1);
  const rows = batch * seq;
  const dh = d / heads;
  const macs = rows * d * d * 4 + 2 * batch * heads * seq * seq * dh + 2 * rows * d * f + rows * d * vocab;
  return {
    id,
    title: `transformer block d=${d}, ${heads} heads, seq ${seq}, batch ${batch} (+ embedding, final LN, ${vocab}-way head)`,
    spec,
    model: { kind: "transformer", d, heads, seq, batch, vocab, ffn: f, eps: 1e-5 },
    pool: { tokens: data.tokens, targets: data.targets },
    poolSize: pool,
    forwardMacs: macs,
    backwardMacs: 2 * macs, // every product needs dW and dX (the embedding lookup has no product)
    stepsPerRep,
  };
}

export function defaultCases(k: number, dtype: FloatDType): BenchCase[] {
  return [
    mlpCase("mlp256", 64, 256, 10, 128, k, 200, dtype),
    mlpCase("mlp1024", 64, 1024, 10, 512, k, 100, dtype),
    blockCase("block128", 128, 4, 256, 8, k, 50, dtype),
  ];
}
