// The `multitensor` model family: builds, for one task, the ModelSpec of src/train (parameters with
// seeded initial values, fixed batch tensors describing the grids, one noise input for all latents),
// and decodes the inference outputs into one candidate grid per test input.
import { Graph } from "../../graph/graph.ts";
import type { Task } from "../../arc/task.ts";
import { canonicalJson, sha256 } from "../../util/hash.ts";
import type { BatchSpec, ForwardMode, ModelSpec, NoiseSpec } from "../../train/spec.ts";
import type { FixedFeed, ModelFamily, TaskModel, TaskModelOptions } from "../task-model.ts";
import { type MultitensorConfig, resolveConfig } from "./config.ts";
import { decodeCandidates } from "./decode.ts";
import { chooseOutputFrame, fromFrame, toFrame } from "./frame.ts";
import type { DihedralName } from "../../arc/dihedral.ts";
import { type ForwardBatch, type ForwardParts, buildForward } from "./forward.ts";
import { type LatentSegment, NOISE, latentLayout } from "./latent.ts";
import { type TaskLayout, layoutArrays, layoutTask } from "./layout.ts";
import { type Member, resolveMembers } from "./members.ts";
import {
  type Declared,
  DeclaringSource,
  PackedSource,
  type PackedEntry,
  type ParamSource,
  initialValues,
  materialise,
  packLayout,
} from "./params.ts";
import { copySeed } from "../../train/rng.ts";
import * as G from "../../graph/index.ts";
import { applyPrior, checkPriorFits, type Prior, type PriorWeight, sortedWeights } from "../prior.ts";

/** Bump when the graph this code builds changes (the graph cache keys on it). */
export const MODEL_VERSION = 5;
export const FAMILY = "multitensor";
/** The spec's first parameter: every weight, packed (see paramEntries). */
export const WEIGHTS = "weights";
/** Parameters that stay separate spec parameters (their size follows the task). */
const DIRECT = ["latent_mean", "latent_capacity"];

export interface MultitensorOptions extends TaskModelOptions {
  config?: Partial<MultitensorConfig>;
  /** Float type of the model (float64 for gradient checks). Default float32. */
  dtype?: "float32" | "float64";
  /** Output frame (see frame.ts); default: chosen from the train pairs. */
  frame?: DihedralName;
  /**
   * Independent copies of the model trained in one graph (default 1): copy r starts from
   * copySeed(seed, r) and draws its own noise; the loss is the sum of the copies' losses.
   */
  copies?: number;
}

export interface MultitensorModel extends TaskModel<ModelSpec> {
  layout: TaskLayout;
  /** The dihedral transform applied to the outputs the model sees (undone on its answers). */
  frame: DihedralName;
  config: MultitensorConfig;
  members: Member[];
  /**
   * Where each named parameter lives in the concatenation of the spec's parameters (in spec order:
   * `weights`, which packs every weight, then the latent tensors).
   */
  paramEntries: PackedEntry[];
  /** Where each member's cells sit in the latent tensors (latent_mean, latent_capacity, noise). */
  latentSegments: LatentSegment[];
  /** Node count of the forward graph (the one-step training graph is about 3.2x that). */
  forwardNodes: number;
  /** Elements of all forward intermediates (one float each). */
  forwardElements: number;
  copies: number;
  initialParams: NonNullable<TaskModel<ModelSpec>["initialParams"]>;
}

export const OUTPUT = {
  logits: "test_logits",
  height: "test_height_logp",
  width: "test_width_logp",
  rows: "test_rows",
  cols: "test_cols",
  kl: "kl",
  reconstruction: "reconstruction",
} as const;

function batchSpecs(lay: TaskLayout, dtype: "float32" | "float64"): BatchSpec[] {
  const { E, X, Y } = lay.sizes;
  const K = lay.colours.length;
  const specs: BatchSpec[] = [
    { name: "mask", dtype, shape: [1, 1, 1, E, 1, X, Y], fixed: true },
    { name: "target", dtype, shape: [2, E, K, X, Y], fixed: true },
    { name: "cells", dtype, shape: [2, E, 1, X, Y], fixed: true },
  ];
  if (lay.offsets) specs.push({ name: "cropTarget", dtype, shape: [lay.nTrain, K, X, Y], fixed: true });
  else if (lay.rule === "learned")
    specs.push(
      { name: "height", dtype, shape: [E, X], fixed: true },
      { name: "width", dtype, shape: [E, Y], fixed: true },
    );
  return specs;
}

export function buildMultitensor(original: Task, opts: MultitensorOptions): MultitensorModel {
  const dtype = opts.dtype ?? "float32";
  const copies = opts.copies ?? 1;
  if (!Number.isInteger(copies) || copies < 1)
    throw new RangeError(`multitensor: copies must be a positive integer, got ${copies}`);
  const config = resolveConfig(opts.config);
  if (opts.prior) checkPriorFits(opts.prior, FAMILY, priorKeyOf(config));
  const frame = opts.frame ?? chooseOutputFrame(original);
  const task = toFrame(original, frame);
  const layout = layoutTask(task);
  const members = resolveMembers(config.members);
  checkMembersFit(task, layout, members);
  const batch = batchSpecs(layout, dtype);
  const latent = latentLayout({ members, sizes: layout.sizes });
  const noise: NoiseSpec[] = [
    { name: NOISE, shape: [copies, 2, config.latent, latent.cells], dist: "uniform", copies },
  ];
  const forwardOn: ForwardOn = (g, p, b, n) =>
    buildForward({
      g,
      dtype,
      cfg: config,
      layout,
      members,
      copies,
      p,
      batch: b as unknown as ForwardBatch,
      noise: n,
    });
  const seedsFrom = (first: number) =>
    Array.from({ length: copies }, (_, r) => copySeed(opts.seed, first + r));
  const declared = declareParameters(forwardOn, batch, noise, dtype, seedsFrom(0), opts.prior);
  const { entries, params } = declared;
  const lean = leanOf(dtype, declared.forwardElements);

  const spec: ModelSpec = {
    key: modelKey(config, dtype, layout, members, copies),
    dtype,
    params,
    batch,
    noise,
    forward(g, p, b, n, mode: ForwardMode) {
      const direct = Object.fromEntries(DIRECT.map((d) => [d, p[d]!]));
      const parts = forwardOn(g, new PackedSource(p[WEIGHTS]!, entries, copies, direct), b, n);
      return mode === "train" ? { loss: parts.loss } : { outputs: inferenceOutputs(parts, layout) };
    },
  };

  return {
    family: FAMILY,
    key: spec.key,
    spec,
    fixed: fixedFeeds(task, layout, batch, dtype),
    outputNames: outputNamesOf(layout),
    memoryEstimateBytes: memoryEstimate(dtype, lean, declared.forwardElements, declared.paramElements),
    ...(lean ? { memPattern: false } : {}),
    layout,
    frame,
    config,
    members,
    paramEntries: declared.paramEntries,
    latentSegments: latent.segments,
    forwardNodes: declared.forwardNodes,
    forwardElements: declared.forwardElements,
    copies,
    decode: (outputs) =>
      Array.from({ length: copies }, (_, r) => decodeCandidates(layout, copyOutputs(outputs, copies, r)))
        .flat()
        .map((c) => ({ ...c, grid: fromFrame(frame, c.grid) })),
    initialParams: (first) => {
      const seeds = seedsFrom(first);
      return { seeds, params: initialParamsOf(declared, seeds, dtype).params };
    },
    sharedWeights: (p) => sharedWeightsOf(entries, p[WEIGHTS]),
    ...(declared.fromPrior ? { fromPrior: declared.fromPrior } : {}),
  };
}

/**
 * The key a prior must carry: the model version and the config decide every packed weight's name and
 * shape (the latents, sized by the task, are never in a prior).
 */
export function priorKeyOf(config: MultitensorConfig): string {
  return sha256(canonicalJson({ v: MODEL_VERSION, config })).slice(0, 24);
}

/** Every packed weight (the task-independent ones) of copy 0, by name, as float32 copies. */
function sharedWeightsOf(
  entries: readonly PackedEntry[],
  flat: Float32Array | Float64Array | undefined,
): Map<string, PriorWeight> {
  if (!flat) throw new Error(`multitensor: no "${WEIGHTS}" parameter to take the shared weights from`);
  const out = new Map<string, PriorWeight>();
  for (const e of entries)
    out.set(e.name, {
      shape: [...e.shape],
      values: Float32Array.from(flat.subarray(e.offset, e.offset + e.size)),
    });
  return sortedWeights(out);
}

type ForwardOn = (
  g: Graph,
  p: ParamSource,
  b: Record<string, G.Tensor>,
  n: Record<string, G.Tensor>,
) => ForwardParts;

/** A learned shape or crop offsets need the size heads, which read the EX and EY members. */
function checkMembersFit(task: Task, layout: TaskLayout, members: readonly Member[]): void {
  if (
    (layout.rule === "learned" || layout.offsets) &&
    !(members.some((m) => m.name === "EX") && members.some((m) => m.name === "EY"))
  ) {
    throw new RangeError(
      `task ${task.id}: its output shapes must be learned or its outputs placed in a window, which needs the EX and EY members`,
    );
  }
}

/**
 * The parameters, from a dry build of the forward graph that declares them and measures the graph:
 * every weight packed in one flat vector (packLayout), the latent tensors (sized by the task) apart;
 * seeded initial values (copy r from seeds[r]); the entries of every named weight over the spec's
 * parameters in spec order.
 */
function declareParameters(
  forwardOn: ForwardOn,
  batch: readonly BatchSpec[],
  noise: readonly NoiseSpec[],
  dtype: "float32" | "float64",
  seeds: readonly number[],
  prior?: Prior,
) {
  const copies = seeds.length;
  const dry = new Graph("declare");
  const declaring = new DeclaringSource(dry, dtype, copies);
  const dryBatch = Object.fromEntries(batch.map((s) => [s.name, dry.input(s.name, s.dtype, s.shape)]));
  const dryNoise = Object.fromEntries(noise.map((s) => [s.name, dry.input(s.name, dtype, s.shape)]));
  forwardOn(dry, declaring, dryBatch, dryNoise);
  const forwardElements = dry.nodes.reduce(
    (sum, nd) => sum + nd.outputs.reduce((s, o) => s + dry.get(o).size, 0),
    0,
  );
  const isDirect = (name: string) => DIRECT.includes(name);
  const packedDecl = declaring.declared.filter((d) => !isDirect(d.name));
  const directDecl = declaring.declared.filter((d) => isDirect(d.name));
  const { entries, total: packedElements } = packLayout(packedDecl, copies);
  const layout = { packedDecl, directDecl, entries, packedElements, prior };
  const { params, fromPrior } = initialParamsOf(layout, seeds, dtype);
  const paramElements = params.reduce((s, p) => s + p.init.length, 0);
  const paramEntries: PackedEntry[] = [...entries];
  let at = packedElements;
  for (const p of params.slice(1)) {
    const size = p.init.length / copies;
    paramEntries.push({ name: p.name, shape: p.shape.slice(1), offset: at, size, copyStride: size });
    at += p.init.length;
  }
  return {
    ...layout,
    params,
    paramEntries,
    paramElements,
    forwardElements,
    forwardNodes: dry.nodes.length,
    fromPrior,
  };
}

interface ParamLayout {
  packedDecl: Declared[];
  directDecl: Declared[];
  entries: PackedEntry[];
  packedElements: number;
  prior: Prior | undefined;
}

/** The spec's parameters with every copy's seeded initial values (and the prior's, where given). */
function initialParamsOf(lay: ParamLayout, seeds: readonly number[], dtype: "float32" | "float64") {
  const flatInit =
    dtype === "float64" ? new Float64Array(lay.packedElements) : new Float32Array(lay.packedElements);
  const byName = new Map(lay.entries.map((e) => [e.name, e]));
  for (const d of lay.packedDecl) {
    const e = byName.get(d.name)!;
    seeds.forEach((seed, r) => {
      const at = e.offset + r * e.copyStride;
      initialValues(d, seed, flatInit.subarray(at, at + e.size));
    });
  }
  const fromPrior = lay.prior
    ? applyPriorToCopies(lay.prior, lay.entries, flatInit, seeds.length)
    : undefined;
  const params = [
    { name: WEIGHTS, shape: [lay.packedElements], init: flatInit },
    ...materialise(lay.directDecl, seeds, dtype),
  ];
  return { params, fromPrior };
}

/** A prior replaces the seeded values of the weights it has, in every copy (the latents stay seeded). */
function applyPriorToCopies(
  prior: Prior,
  entries: readonly PackedEntry[],
  flat: Float32Array | Float64Array,
  copies: number,
) {
  let applied: ReturnType<typeof applyPrior> | undefined;
  for (let r = 0; r < copies; r++)
    applied = applyPrior(
      prior,
      entries.map((e) => ({
        name: e.name,
        shape: e.shape,
        target: flat.subarray(e.offset + r * e.copyStride, e.offset + r * e.copyStride + e.size),
      })),
    );
  return applied!;
}

/** Copy r's slice of every inference output (each has the copies on its leading axis). */
function copyOutputs(
  outputs: Record<string, Float32Array>,
  copies: number,
  r: number,
): Record<string, Float32Array> {
  if (copies === 1) return outputs;
  return Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => {
      const n = v.length / copies;
      return [k, v.subarray(r * n, (r + 1) * n)];
    }),
  );
}

/** The graph cache's key: everything the graphs depend on besides the weights' values. */
function modelKey(
  config: MultitensorConfig,
  dtype: "float32" | "float64",
  layout: TaskLayout,
  members: readonly Member[],
  copies: number,
): string {
  const described = canonicalJson({
    v: MODEL_VERSION,
    copies,
    config,
    dtype,
    sizes: layout.sizes,
    K: layout.colours.length,
    nTrain: layout.nTrain,
    T: layout.nTest,
    rule: layout.rule,
    offsets: layout.offsets,
    members: members.map((m) => m.name),
  });
  return `${FAMILY}-${sha256(described).slice(0, 24)}`;
}

/**
 * The inference graph's outputs: the test examples' colour logits and, where used, their size heads,
 * each with the copies on its leading axis.
 */
function inferenceOutputs(parts: ForwardParts, layout: TaskLayout): Record<string, G.Tensor> {
  const { nTrain, sizes } = layout;
  const copies = parts.logits.shape[0]!;
  const outputs: Record<string, G.Tensor> = {
    [OUTPUT.logits]: G.reshape(G.slice(parts.logits, [1, nTrain], [2, sizes.E], [1, 2]), [
      copies,
      layout.nTest,
      layout.colours.length,
      sizes.X,
      sizes.Y,
    ]),
    [OUTPUT.kl]: parts.kl,
    [OUTPUT.reconstruction]: parts.reconstruction,
  };
  if (parts.rows && parts.cols) {
    outputs[OUTPUT.rows] = G.slice(parts.rows, [nTrain], [sizes.E], [1]);
    outputs[OUTPUT.cols] = G.slice(parts.cols, [nTrain], [sizes.E], [1]);
  } else if (parts.heightLogp && parts.widthLogp) {
    outputs[OUTPUT.height] = G.slice(parts.heightLogp, [nTrain], [sizes.E], [1]);
    outputs[OUTPUT.width] = G.slice(parts.widthLogp, [nTrain], [sizes.E], [1]);
  }
  return outputs;
}

/** The task's fixed tensors (masks, targets), in the model's float type. */
function fixedFeeds(
  task: Task,
  layout: TaskLayout,
  batch: readonly BatchSpec[],
  dtype: "float32" | "float64",
): Record<string, FixedFeed> {
  const arrays = layoutArrays(task, layout);
  const fixed: Record<string, FixedFeed> = {};
  for (const s of batch) {
    const src = arrays[s.name as keyof typeof arrays];
    fixed[s.name] =
      dtype === "float64"
        ? { dtype: "float64", shape: s.shape, data: Float64Array.from(src) }
        : { dtype: "float32", shape: s.shape, data: Float32Array.from(src) };
  }
  return fixed;
}

/** The outputs decode reads: the logits, and the size heads the shape rule needs. */
function outputNamesOf(layout: TaskLayout): string[] {
  return [
    OUTPUT.logits,
    ...(layout.offsets
      ? [OUTPUT.rows, OUTPUT.cols]
      : layout.rule === "learned"
        ? [OUTPUT.height, OUTPUT.width]
        : []),
  ];
}

/** Forward intermediates (bytes) above which ORT's memory pattern is turned off for the model's sessions. */
const LEAN_FORWARD_BYTES = 256 * 2 ** 20;

/** Whether the model's sessions run without ORT's memory pattern (large intermediates). */
const leanOf = (dtype: "float32" | "float64", forwardElements: number) =>
  (dtype === "float64" ? 8 : 4) * forwardElements > LEAN_FORWARD_BYTES;

/**
 * Peak RSS of a worker training this model (Loop and inference sessions open), fitted to measured peaks
 * (bench/memory). With ORT's memory pattern (small and medium tasks): ~250 MiB for Bun, ORT and the
 * graphs, 1.3 x the forward pass's intermediates (what the backward pass keeps alive) and ~20 copies of
 * the parameters. Without it (forward intermediates over 256 MiB, up to 30x30): 330 MiB + 0.645 x the
 * intermediates: within 12.5% of 48 peaks (the 20 largest ARC-AGI-1 tasks, twice, and 8 more); the same
 * task's peak varies by up to ~10% from run to run.
 */
function memoryEstimate(
  dtype: "float32" | "float64",
  lean: boolean,
  forwardElements: number,
  paramElements: number,
): number {
  const bytes = dtype === "float64" ? 8 : 4;
  if (lean) return Math.round(330 * 2 ** 20 + bytes * (0.645 * forwardElements + 4 * paramElements));
  return Math.round(250 * 2 ** 20 + bytes * (1.3 * forwardElements + 20 * paramElements));
}

export const multitensorFamily: ModelFamily<ModelSpec> = {
  name: FAMILY,
  build: (task, options) => buildMultitensor(task, options),
  priorKey: () => priorKeyOf(resolveConfig()),
};
