// Training-graph construction from a ModelSpec:
//   train: one optimizer step per run   (params, moments, step, batch, noise) -> (loss, new state)
//   loop:  K steps in one ONNX Loop     (same, per-step batches/noise stacked [K, ...]) -> (losses [K], new state)
//   infer: forward only                 (params, batch, noise) -> the spec's named outputs
// The step body is the same function in `train` and in the Loop body, so both compute the same ops.
import { gradients } from "../autodiff/index.ts";
import { Graph, type Tensor } from "../graph/graph.ts";
import * as G from "../graph/index.ts";
import { adamStep } from "../optim/adam.ts";
import type { OptimConfig } from "../optim/config.ts";
import { type ModelSpec, specDType, validateSpec } from "./spec.ts";

export type GraphKind = "train" | "loop" | "infer";

/** Input and output names of the graphs. */
export const io = {
  m: (p: string) => `${p}.m`,
  v: (p: string) => `${p}.v`,
  next: (name: string) => `${name}.next`,
  step: "step",
  loss: "loss",
  losses: "losses",
} as const;

export interface GraphRequest {
  spec: ModelSpec;
  kind: GraphKind;
  /** Steps per run for kind "loop" (>= 1). */
  steps?: number;
  /** Required for "train" and "loop". */
  optim?: OptimConfig;
  /** "gpu": emitted for ORT's WebGPU provider (Graph.gpu); default "cpu". */
  target?: "cpu" | "gpu";
}

interface StepState {
  params: Tensor[];
  m: Tensor[];
  v: Tensor[];
  step: Tensor;
}

/** Forward, backward and optimizer update on `g` (the main graph, or a Loop body). */
function trainStep(
  g: Graph,
  spec: ModelSpec,
  optim: OptimConfig,
  s: StepState,
  batch: Record<string, Tensor>,
  noise: Record<string, Tensor>,
) {
  const p = Object.fromEntries(spec.params.map((q, i) => [q.name, s.params[i]!]));
  const { loss } = spec.forward(g, p, batch, noise, "train");
  if (!loss) throw new Error(`model ${spec.key}: forward returned no loss in train mode`);
  if (loss.graph !== g)
    throw new Error(
      `model ${spec.key}: the loss was built on another graph (use the graph passed to forward)`,
    );
  if (loss.size !== 1) throw new Error(`model ${spec.key}: the loss must be a scalar, got ${loss}`);
  const scalarLoss = loss.rank === 0 ? loss : G.reshape(loss, []);
  const grads = gradients(scalarLoss, s.params);
  const upd = g.scope("optimizer", () =>
    adamStep(
      spec.params.map((q, i) => ({
        name: q.name,
        ...(q.group ? { group: q.group } : {}),
        param: s.params[i]!,
        grad: grads[i]!,
        m: s.m[i]!,
        v: s.v[i]!,
      })),
      s.step,
      optim,
    ),
  );
  return { loss: scalarLoss, params: upd.params, m: upd.m, v: upd.v, step: G.add(s.step, 1) };
}

/** An Identity in `b` of an outer tensor, so ops built from it land in `b`. */
const bring = (b: Graph, t: Tensor, name: string): Tensor =>
  b.node("Identity", [t], [{ dtype: t.dtype, shape: t.shape, name: b.freshName(name) }])[0]!;

/** Row `i` of an outer tensor stacked on axis 0, as a tensor of `b`. */
const row = (b: Graph, t: Tensor, i: Tensor, name: string): Tensor =>
  b.node("Gather", [t, i], [{ dtype: t.dtype, shape: t.shape.slice(1), name: b.freshName(name) }], {
    axis: G.attr.int(0),
  })[0]!;

/** Build the requested graph. */
export function buildGraph(req: GraphRequest): Graph {
  const { spec, kind } = req;
  validateSpec(spec);
  const dtype = specDType(spec);
  const g = new Graph(`ttt_${kind}`);
  g.gpu = req.target === "gpu";
  const params = spec.params.map((q) => g.input(q.name, dtype, q.shape));

  if (kind === "infer") {
    const batch = Object.fromEntries(
      (spec.inferBatch ?? spec.batch).map((b) => [b.name, g.input(b.name, b.dtype, b.shape)]),
    );
    const noise = Object.fromEntries(
      (spec.noise ?? []).map((n) => [n.name, g.input(n.name, dtype, n.shape)]),
    );
    const p = Object.fromEntries(spec.params.map((q, i) => [q.name, params[i]!]));
    const { outputs } = spec.forward(g, p, batch, noise, "infer");
    const entries = Object.entries(outputs ?? {});
    if (entries.length === 0) throw new Error(`model ${spec.key}: forward returned no outputs for inference`);
    for (const [name] of entries) {
      if (g.inputs.some((t) => t.name === name))
        throw new Error(`model ${spec.key}: output "${name}" has the name of an input`);
    }
    for (const [name, t] of entries) g.output(t, name);
    return g;
  }

  const optim = req.optim;
  if (!optim) throw new Error(`buildGraph(${kind}): an optimizer config is required`);
  const m = spec.params.map((q) => g.input(io.m(q.name), dtype, q.shape));
  const v = spec.params.map((q) => g.input(io.v(q.name), dtype, q.shape));
  const step = g.input(io.step, "int64", []);
  const out = (r: { params: Tensor[]; m: Tensor[]; v: Tensor[]; step: Tensor }) => {
    for (const [i, q] of spec.params.entries()) g.output(r.params[i]!, io.next(q.name));
    for (const [i, q] of spec.params.entries()) g.output(r.m[i]!, io.next(io.m(q.name)));
    for (const [i, q] of spec.params.entries()) g.output(r.v[i]!, io.next(io.v(q.name)));
    g.output(r.step, io.next(io.step));
  };

  if (kind === "train") {
    const batch = Object.fromEntries(spec.batch.map((b) => [b.name, g.input(b.name, b.dtype, b.shape)]));
    const noise = Object.fromEntries(
      (spec.noise ?? []).map((n) => [n.name, g.input(n.name, dtype, n.shape)]),
    );
    const r = trainStep(g, spec, optim, { params, m, v, step }, batch, noise);
    g.output(r.loss, io.loss);
    out(r);
    return g;
  }

  const K = req.steps ?? 1;
  if (!Number.isInteger(K) || K < 1)
    throw new Error(`buildGraph(loop): steps must be a positive integer, got ${K}`);
  const batchIn = spec.batch.map((b) => g.input(b.name, b.dtype, b.fixed ? b.shape : [K, ...b.shape]));
  const noiseIn = (spec.noise ?? []).map((n) => g.input(n.name, dtype, [K, ...n.shape]));
  const P = params.length;
  // On the GPU the body carries the step counter as a float (exact up to 2^24 steps): WebGPU has no
  // int64 arithmetic, so an int64 counter's Cast and Add would run on the CPU in every step.
  const carriedStep = g.gpu ? G.cast(step, dtype) : step;
  const res = G.loop(
    g,
    K,
    [...params, ...m, ...v, carriedStep],
    (iter, c, b) => {
      const batch = Object.fromEntries(
        spec.batch.map((s, i) => [
          s.name,
          s.fixed ? bring(b, batchIn[i]!, s.name) : row(b, batchIn[i]!, iter, s.name),
        ]),
      );
      const noise = Object.fromEntries(
        (spec.noise ?? []).map((s, i) => [s.name, row(b, noiseIn[i]!, iter, s.name)]),
      );
      const r = trainStep(
        b,
        spec,
        optim,
        { params: c.slice(0, P), m: c.slice(P, 2 * P), v: c.slice(2 * P, 3 * P), step: c[3 * P]! },
        batch,
        noise,
      );
      return { carried: [...r.params, ...r.m, ...r.v, r.step], scans: [r.loss] };
    },
    "train_loop",
  );
  const c = res.carried;
  const stepOut = g.gpu ? G.cast(c[3 * P]!, "int64") : c[3 * P]!;
  out({ params: c.slice(0, P), m: c.slice(P, 2 * P), v: c.slice(2 * P, 3 * P), step: stepOut });
  g.output(res.scans[0]!, io.losses);
  return g;
}
