// Toy models for tests, benchmarks and `ttt graph`: an MLP classifier and one transformer block over
// token sequences, each with a generator of a learnable toy data set.
import type { Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";
import { accuracy, crossEntropy } from "../train/loss.ts";
import { StreamCursor } from "../train/rng.ts";
import type { FloatDType, ModelSpec, ParamSpec } from "../train/spec.ts";

type FloatArray = Float32Array | Float64Array;
const alloc = (dtype: FloatDType, n: number): FloatArray =>
  dtype === "float64" ? new Float64Array(n) : new Float32Array(n);

function param(
  dtype: FloatDType,
  rng: StreamCursor,
  name: string,
  shape: number[],
  init: "normal" | "zeros" | "ones",
  scale = 1,
  group?: string,
): ParamSpec {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = alloc(dtype, n);
  if (init === "ones") data.fill(1);
  else if (init === "normal") for (let i = 0; i < n; i++) data[i] = rng.normal() * scale;
  return { name, shape, init: data, ...(group ? { group } : {}) };
}

// ---------------------------------------------------------------- MLP classifier

export interface MlpOptions {
  inputs: number;
  hidden: number;
  classes: number;
  batch: number;
  /** Same batch at every step (fed once per run) instead of one batch per step; default false. */
  fixed?: boolean;
  dtype?: FloatDType;
  /** Seed of the initial weights; default 0. */
  seed?: number;
}

/**
 * inputs -> hidden (ReLU) -> classes, softmax cross-entropy. Params w1, b1, w2, b2 (biases in group
 * "bias"); batch x [batch, inputs], y int64 [batch]; outputs logits [batch, classes], accuracy [].
 */
export function mlpSpec(o: MlpOptions): ModelSpec {
  const dtype = o.dtype ?? "float32";
  const rng = new StreamCursor(o.seed ?? 0, 1);
  return {
    key: `toy-mlp/v1/${o.inputs}-${o.hidden}-${o.classes}`,
    dtype,
    params: [
      param(dtype, rng, "w1", [o.inputs, o.hidden], "normal", Math.sqrt(2 / o.inputs)),
      param(dtype, rng, "b1", [o.hidden], "zeros", 1, "bias"),
      param(dtype, rng, "w2", [o.hidden, o.classes], "normal", Math.sqrt(1 / o.hidden)),
      param(dtype, rng, "b2", [o.classes], "zeros", 1, "bias"),
    ],
    batch: [
      { name: "x", dtype, shape: [o.batch, o.inputs], fixed: o.fixed ?? false },
      { name: "y", dtype: "int64", shape: [o.batch], fixed: o.fixed ?? false },
    ],
    forward(_g, p, b) {
      const h = G.relu(G.add(G.matmul(b.x!, p.w1!), p.b1!));
      const logits = G.add(G.matmul(h, p.w2!), p.b2!);
      return { loss: crossEntropy(logits, b.y!), outputs: { logits, accuracy: accuracy(logits, b.y!) } };
    },
  };
}

/**
 * A toy classification set: `n` points in `inputs` dimensions, labels from a random two-layer teacher
 * network (nonlinear, learnable). Returns x (row-major [n, inputs]) and y.
 */
export function mlpToyData(
  o: Pick<MlpOptions, "inputs" | "classes"> & { dtype?: FloatDType },
  n: number,
  seed = 1,
): { x: FloatArray; y: BigInt64Array } {
  const rng = new StreamCursor(seed, 2);
  const hid = 16;
  const t1 = Float64Array.from({ length: o.inputs * hid }, () => rng.normal());
  const t2 = Float64Array.from({ length: hid * o.classes }, () => rng.normal());
  const x = alloc(o.dtype ?? "float32", n * o.inputs);
  const y = new BigInt64Array(n);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < o.inputs; i++) x[r * o.inputs + i] = rng.normal();
    const h = new Float64Array(hid);
    for (let j = 0; j < hid; j++) {
      let s = 0;
      for (let i = 0; i < o.inputs; i++) s += x[r * o.inputs + i]! * t1[i * hid + j]!;
      h[j] = Math.tanh(s);
    }
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < o.classes; c++) {
      let s = 0;
      for (let j = 0; j < hid; j++) s += h[j]! * t2[j * o.classes + c]!;
      if (s > bestV) [best, bestV] = [c, s];
    }
    y[r] = BigInt(best);
  }
  return { x, y };
}

// ---------------------------------------------------------------- transformer block

export interface TransformerOptions {
  /** Model width. */
  d: number;
  heads: number;
  /** Sequence length. */
  seq: number;
  batch: number;
  /** Token vocabulary (default 10, the ARC colours). */
  vocab?: number;
  /** MLP hidden width as a multiple of d (default 4). */
  mlpRatio?: number;
  fixed?: boolean;
  dtype?: FloatDType;
  seed?: number;
}

/**
 * Token embedding + learned positions, one pre-norm block (multi-head self-attention, GELU MLP, both
 * residual), final LayerNorm, unembedding; cross-entropy against per-position targets. Batch tokens
 * and targets, int64 [batch, seq]; outputs logits [batch, seq, vocab], accuracy [].
 * LayerNorm scales/biases and linear biases are in group "norm"/"bias", embeddings in "embed".
 */
export function transformerBlockSpec(o: TransformerOptions): ModelSpec {
  const dtype = o.dtype ?? "float32";
  const vocab = o.vocab ?? 10;
  const { d, heads, seq } = o;
  if (d % heads !== 0) throw new Error(`transformerBlockSpec: d=${d} is not a multiple of heads=${heads}`);
  const dh = d / heads;
  const f = d * (o.mlpRatio ?? 4);
  const rng = new StreamCursor(o.seed ?? 0, 3);
  const lin = (name: string, i: number, out: number) =>
    param(dtype, rng, name, [i, out], "normal", 1 / Math.sqrt(i));
  const zeros = (name: string, n: number, group = "bias") => param(dtype, rng, name, [n], "zeros", 1, group);
  const ones = (name: string, n: number) => param(dtype, rng, name, [n], "ones", 1, "norm");
  const params: ParamSpec[] = [
    param(dtype, rng, "embed", [vocab, d], "normal", 1, "embed"),
    param(dtype, rng, "pos", [seq, d], "normal", 1, "embed"),
    ones("ln1_s", d),
    zeros("ln1_b", d, "norm"),
    lin("wq", d, d),
    lin("wk", d, d),
    lin("wv", d, d),
    lin("wo", d, d),
    zeros("bo", d),
    ones("ln2_s", d),
    zeros("ln2_b", d, "norm"),
    lin("w1", d, f),
    zeros("b1", f),
    lin("w2", f, d),
    zeros("b2", d),
    ones("lnf_s", d),
    zeros("lnf_b", d, "norm"),
    lin("unembed", d, vocab),
    zeros("bu", vocab),
  ];
  const B = o.batch;
  return {
    key: `toy-transformer/v1/${d}-${heads}-${seq}-${vocab}-${f}`,
    dtype,
    params,
    batch: [
      { name: "tokens", dtype: "int64", shape: [B, seq], fixed: o.fixed ?? false },
      { name: "targets", dtype: "int64", shape: [B, seq], fixed: o.fixed ?? false },
    ],
    forward(g, p, b) {
      const flat = (t: Tensor) => G.reshape(t, [B * seq, t.shape[t.rank - 1]!]);
      const x = g.scope("embed", () => G.add(G.gather(p.embed!, b.tokens!, 0), p.pos!)); // [B, S, d]
      const attn = g.scope("attn", () => {
        const h = flat(G.layerNorm(x, p.ln1_s!, p.ln1_b!));
        const split = (w: Tensor) =>
          G.transpose(G.reshape(G.matmul(h, w), [B, seq, heads, dh]), [0, 2, 1, 3]); // [B, H, S, dh]
        const q = split(p.wq!);
        const k = split(p.wk!);
        const v = split(p.wv!);
        const scores = G.mul(G.matmul(q, G.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh)); // [B, H, S, S]
        const ctx = G.matmul(G.softmax(scores, -1), v); // [B, H, S, dh]
        const merged = G.reshape(G.transpose(ctx, [0, 2, 1, 3]), [B * seq, d]);
        return G.reshape(G.add(G.matmul(merged, p.wo!), p.bo!), [B, seq, d]);
      });
      const x1 = G.add(x, attn);
      const mlp = g.scope("mlp", () => {
        const h = flat(G.layerNorm(x1, p.ln2_s!, p.ln2_b!));
        const u = G.gelu(G.add(G.matmul(h, p.w1!), p.b1!));
        return G.reshape(G.add(G.matmul(u, p.w2!), p.b2!), [B, seq, d]);
      });
      const x2 = G.add(x1, mlp);
      const logits = g.scope("head", () =>
        G.reshape(G.add(G.matmul(flat(G.layerNorm(x2, p.lnf_s!, p.lnf_b!)), p.unembed!), p.bu!), [
          B,
          seq,
          vocab,
        ]),
      );
      return {
        loss: crossEntropy(logits, b.targets!),
        outputs: { logits, accuracy: accuracy(logits, b.targets!) },
      };
    },
  };
}

export type SeqTask = "reverse" | "copy" | "sort";

/** `n` random token sequences and their targets: reversed (default), copied or sorted. */
export function seqToyData(
  o: Pick<TransformerOptions, "seq" | "vocab">,
  n: number,
  task: SeqTask = "reverse",
  seed = 1,
): { tokens: BigInt64Array; targets: BigInt64Array } {
  const rng = new StreamCursor(seed, 4);
  const vocab = o.vocab ?? 10;
  const tokens = new BigInt64Array(n * o.seq);
  const targets = new BigInt64Array(n * o.seq);
  for (let r = 0; r < n; r++) {
    const row = Array.from({ length: o.seq }, () => rng.int(vocab));
    const out =
      task === "reverse" ? [...row].reverse() : task === "sort" ? [...row].sort((a, b) => a - b) : row;
    for (let i = 0; i < o.seq; i++) {
      tokens[r * o.seq + i] = BigInt(row[i]!);
      targets[r * o.seq + i] = BigInt(out[i]!);
    }
  }
  return { tokens, targets };
}
