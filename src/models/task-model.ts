// The contract between a model family and the solver (src/loop, src/workers): a family builds, for one task, a
// trainable model (a ModelSpec for the training-graph API in src/train) plus the fixed tensors that
// describe the task, and decodes the model's outputs into one candidate answer per test input.
import type { Grid } from "../arc/grid.ts";
import type { Task } from "../arc/task.ts";
import type { Prior, PriorWeight } from "./prior.ts";

/** A fixed input tensor fed to every step (the task's grids, masks, ...). */
export interface FixedFeed {
  dtype: "float32" | "float64" | "int64" | "bool";
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Uint8Array;
}

/** One candidate answer for one test input. `score` is a log-probability-like value: higher is better. */
export interface Candidate {
  grid: Grid;
  score: number;
}

export interface TaskModelOptions {
  seed: number;
  /** Independent copies trained in one graph (families that support them; default 1). */
  copies?: number;
  /** Start from this prior's weights (families with a priorKey only; a mismatch throws). */
  prior?: Prior;
}

/**
 * A model built for one task. `spec` is the family's ModelSpec for src/train (typed loosely here so
 * this contract does not pin the training API); `fixed` are its fixed batch tensors by name.
 */
export interface TaskModel<Spec = unknown> {
  family: string;
  /** A content key: equal keys give byte-identical graphs (used by the graph cache). */
  key: string;
  spec: Spec;
  fixed: Record<string, FixedFeed>;
  /** Names of the forward outputs decode() reads. */
  outputNames: string[];
  /** Peak memory the training session is expected to need, in bytes (planning, --max-memory). */
  memoryEstimateBytes: number;
  /**
   * ORT's memory pattern for this model's sessions (default on): off where the intermediates are large,
   * since it raises the peak far above what is alive at once (the estimate assumes this setting).
   */
  memPattern?: boolean;
  /**
   * Independent copies of the model trained side by side in one graph (default 1). decode() then gives
   * every copy's candidates, copy after copy: candidate r * testInputs + i is copy r's for test input i.
   */
  copies?: number;
  /** Decode forward outputs (by name, float32) into one candidate per test input (and copy). */
  decode(outputs: Record<string, Float32Array>): Candidate[];
  /**
   * Fresh copies for a restart: the spec parameters' initial values for copies first..first+copies-1
   * (copy j seeded copySeed(task seed, j)), and those seeds (the noise of the copies).
   */
  initialParams?(first: number): {
    seeds: number[];
    params: { name: string; init: Float32Array | Float64Array }[];
  };
  /**
   * The task-independent weights in a trainer's parameters (by spec parameter name), as a prior's
   * named weights (families with a priorKey only).
   */
  sharedWeights?(params: Record<string, Float32Array | Float64Array>): Map<string, PriorWeight>;
  /** Weights that came from the prior, when the model was built from one. */
  fromPrior?: { weights: number; values: number };
}

export interface ModelFamily<Spec = unknown> {
  name: string;
  build(task: Task, options: TaskModelOptions): TaskModel<Spec>;
  /**
   * The key a prior must carry to be used by this family as configured (a hash of what decides its
   * weights' names and shapes); absent when the family does not start from priors.
   */
  priorKey?(): string;
}
