// The trainer the training loop drives: K steps at a time, inference, state for checkpoints; its options,
// the optimizer a model trains with, and the factory that opens src/train's Trainer on an ONNX Runtime
// session. Kept behind a small interface so the loop can run any trainer.
import { defaults, type OptimConfig } from "../optim/config.ts";
import type { EpChoice } from "../runtime/providers.ts";
import type { ModelSpec } from "../train/spec.ts";
import type { TrainerState } from "../train/trainer.ts";
import type { TaskModel } from "../models/task-model.ts";

/** The loop's view of a trainer: K steps at a time, inference, release. */
export interface TaskTrainer {
  /** Run k optimizer steps; the k losses. */
  step(k: number): Promise<ArrayLike<number>>;
  /** The model's forward outputs by name, as float32. */
  infer(): Promise<Record<string, Float32Array>>;
  /** The execution provider actually used ("cpu", "cuda"), when known. */
  provider?(): Promise<string | undefined>;
  /** A copy of the state (parameters, optimizer moments, step), for checkpoints. */
  getState?(): TrainerState;
  /** Continue from a state taken with getState. */
  setState?(s: TrainerState): void;
  /** The seeds of the model's copies' noise (fresh copies of a restart draw their own). */
  setCopySeeds?(seeds: readonly number[]): void;
  release(): Promise<void>;
}

export interface EngineOptions {
  ep: EpChoice;
  /** ORT intra-op threads per session. */
  threads: number;
  /** Steps per chunk: the Loop graph is opened for it up front. */
  chunk: number;
  /** The task's seed (per-step noise). */
  seed: number;
  /** Factor on the optimizer's learning rates (a retry after a NaN/Inf loss lowers it); default 1. */
  lrScale?: number;
}

/** Build a trainer for a task model. */
export type TrainerFactory = (model: TaskModel<ModelSpec>, o: EngineOptions) => Promise<TaskTrainer>;

/** The optimizer when the model does not bring its own: Adam, lr 0.01, betas (0.5, 0.9) as in CompressARC. */
export const DEFAULT_OPTIM: OptimConfig = { kind: "adam", lr: 0.01, betas: [0.5, 0.9] };

/** The optimizer a model trains with (its own, else DEFAULT_OPTIM), every learning rate times `lrScale`. */
export function optimOf(model: TaskModel<unknown>, lrScale = 1): OptimConfig {
  const optim =
    (model as { optim?: OptimConfig }).optim ??
    (model.spec as { optim?: OptimConfig } | undefined)?.optim ??
    DEFAULT_OPTIM;
  if (lrScale === 1) return optim;
  const lr = optim.lr ?? defaults(optim.kind).lr;
  return {
    ...optim,
    lr: lr * lrScale,
    ...(optim.groups
      ? { groups: optim.groups.map((g) => (g.lr === undefined ? g : { ...g, lr: g.lr * lrScale })) }
      : {}),
  };
}

/** The trainer of src/train on an ONNX Runtime session: the Loop graph for `chunk` steps and the inference graph. */
export const ortTrainerFactory: TrainerFactory = async (model, o) => {
  const { Trainer } = await import("../train/trainer.ts");
  const optim = optimOf(model, o.lrScale);
  const trainer = await Trainer.create(model.spec, {
    optim,
    seed: o.seed,
    session: {
      ep: o.ep,
      intraOpThreads: o.threads,
      interOpThreads: 1,
      label: `ttt:${model.key}`,
      ...(model.memPattern === false ? { memPattern: false } : {}),
    },
  });
  try {
    trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    await trainer.prepare([{ kind: "loop", steps: o.chunk }, { kind: "infer" }]);
  } catch (e) {
    // sessions already open (e.g. inference, when the Loop graph failed) must not outlive the task
    await trainer.release().catch(() => {});
    throw e;
  }
  return {
    step: (k) => trainer.step(k),
    async infer() {
      const out = await trainer.infer(undefined, { noise: "zeros" });
      const named: Record<string, Float32Array> = {};
      for (const name of model.outputNames) {
        const t = out[name];
        if (!t) throw new Error(`inference gave no output "${name}" (model ${model.family})`);
        named[name] =
          t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
      }
      return named;
    },
    provider: async () => (await trainer.providers())[0],
    getState: () => trainer.getState(),
    setState: (s) => trainer.setState(s),
    setCopySeeds: (seeds) => trainer.setCopySeeds(seeds),
    release: () => trainer.release(),
  };
};
