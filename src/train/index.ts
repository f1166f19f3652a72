export { buildGraph, io, type GraphKind, type GraphRequest } from "./build.ts";
export {
  defaultCacheDir,
  getGraph,
  graphCacheStats,
  graphKey,
  optimizedPath,
  codeFolderName,
  type CachedGraph,
  type CacheOptions,
} from "./cache.ts";
export { accuracy, crossEntropy } from "./loss.ts";
export { StreamCursor, fillNoise, normalAt, streamKey, uniformAt } from "./rng.ts";
export type {
  BatchDType,
  BatchSpec,
  FloatDType,
  ForwardMode,
  ForwardResult,
  ModelSpec,
  NoiseSpec,
  ParamSpec,
} from "./spec.ts";
export { specDType, validateSpec } from "./spec.ts";
export {
  Trainer,
  type BatchArray,
  type FloatArray,
  type StepOptions,
  type TrainerOptions,
  type TrainerState,
} from "./trainer.ts";
