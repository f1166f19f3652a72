// The model description the training-graph API works from. A spec names its parameters (with their
// initial values), its batch inputs and its noise inputs, and builds the forward pass on a graph it is
// given: the same callback builds the one-step graph, the body of the K-step Loop and the inference graph.
import type { Graph, Tensor } from "../graph/graph.ts";

export type FloatDType = "float32" | "float64";
export type BatchDType = "float32" | "float64" | "int64" | "int32" | "bool";

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Initial values (dtype must match the spec's dtype). */
  init: Float32Array | Float64Array;
  /** Group tag for per-group optimizer settings (e.g. "norm", "embed"). */
  group?: string;
}

export interface BatchSpec {
  name: string;
  dtype: BatchDType;
  /** Shape of one step's batch. */
  shape: number[];
  /**
   * A fixed batch is the same at every step: fed once per run, not stacked. Otherwise the K-step graph
   * takes it stacked on a leading axis, [K, ...shape], one slice per step.
   */
  fixed?: boolean;
}

export interface NoiseSpec {
  name: string;
  shape: number[];
  /** Distribution; "normal" (default) is N(0, 1), "uniform" is U[0, 1). */
  dist?: "normal" | "uniform";
  /**
   * The leading axis of `shape` holds this many independent copies of the model: block r is drawn
   * from copy r's seed (the trainer's copy seeds), as a one-copy model of that seed would draw it.
   */
  copies?: number;
}

export type ForwardMode = "train" | "infer";

export interface ForwardResult {
  /** Scalar loss (required in "train" mode; ignored by inference). */
  loss?: Tensor;
  /** Named outputs for the inference graph. */
  outputs?: Record<string, Tensor>;
}

export interface ModelSpec {
  /**
   * Content key of everything that shapes the forward graph apart from the declared shapes (family,
   * hyper-parameters, code version). Equal keys must give equal graphs: the graph cache relies on it.
   */
  key: string;
  /** Float type of parameters and optimizer state (default float32). */
  dtype?: FloatDType;
  params: ParamSpec[];
  batch: BatchSpec[];
  /** Batch inputs of the inference graph when they differ from `batch` (fixed flags are ignored there). */
  inferBatch?: BatchSpec[];
  noise?: NoiseSpec[];
  /**
   * Build the forward pass on `g` from tensors of `g` (in a Loop body, `g` is the body graph: create
   * constants with `g.constant`, never with a graph captured from outside).
   */
  forward(
    g: Graph,
    params: Record<string, Tensor>,
    batch: Record<string, Tensor>,
    noise: Record<string, Tensor>,
    mode: ForwardMode,
  ): ForwardResult;
}

export const specDType = (spec: ModelSpec): FloatDType => spec.dtype ?? "float32";

/** Check names are unique, init sizes match shapes and dtypes agree. Throws with the offending name. */
export function validateSpec(spec: ModelSpec): void {
  const seen = new Set<string>();
  const dtype = specDType(spec);
  const claim = (name: string, what: string) => {
    if (seen.has(name)) throw new Error(`model ${spec.key}: ${what} name "${name}" is used twice`);
    if (name === "step" || name === "loss" || name === "losses" || name.includes(".")) {
      throw new Error(
        `model ${spec.key}: ${what} name "${name}" is reserved (no "step", "loss", "losses" or dots)`,
      );
    }
    seen.add(name);
  };
  for (const p of spec.params) {
    claim(p.name, "parameter");
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.init.length !== n)
      throw new Error(
        `model ${spec.key}: parameter ${p.name} has ${p.init.length} initial values for shape [${p.shape}]`,
      );
    const ok = dtype === "float32" ? p.init instanceof Float32Array : p.init instanceof Float64Array;
    if (!ok)
      throw new Error(
        `model ${spec.key}: parameter ${p.name} init must be a ${dtype === "float32" ? "Float32Array" : "Float64Array"}`,
      );
  }
  for (const b of spec.batch) claim(b.name, "batch");
  for (const n of spec.noise ?? []) claim(n.name, "noise");
  const inferNames = new Set(spec.params.map((p) => p.name));
  for (const b of spec.inferBatch ?? []) {
    if (inferNames.has(b.name))
      throw new Error(`model ${spec.key}: inference batch name "${b.name}" is a parameter name`);
  }
}
