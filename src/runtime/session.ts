// ONNX Runtime sessions from model bytes (or a file), on the chosen execution provider, with the
// options that matter on small machines exposed: intra-op threads, spinning (off by default: spinning
// threads halve the speed on a 2-vCPU machine), graph optimisation level. Every session is registered
// in registry.ts so tests and the CLI can release them all.
import * as ort from "onnxruntime-node";
import {
  type EpChoice,
  type Provider,
  type ProviderDecision,
  announce,
  cudaLibraryCheck,
  cudaOutcomeSoFar,
  recordCudaOutcome,
  recordWebgpuOutcome,
  webgpuCheck,
  webgpuForAuto,
  webgpuOutcomeSoFar,
} from "./providers.ts";
import { type RegisteredSession, registerSession, releaseSession } from "./registry.ts";

export type OptLevel = "disabled" | "basic" | "extended" | "layout" | "all";

export interface SessionConfig {
  /** Execution provider: "auto" (default), "cuda" or "webgpu" (fail if unavailable) or "cpu". */
  ep?: EpChoice;
  /** Intra-op threads (default: ORT's choice, one per core). */
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Let idle intra-op threads spin (default false). */
  spinning?: boolean;
  /** Graph optimisation level (default "all"). */
  optLevel?: OptLevel;
  /** Where ORT should write the optimised model (see train/cache.ts for reusing it). */
  optimizedModelFilePath?: string;
  /** CUDA device (default 0). */
  deviceId?: number;
  /** ORT log severity 0 (verbose) to 4 (fatal); default 3 (errors). */
  logSeverity?: 0 | 1 | 2 | 3 | 4;
  /** Name in the registry and in messages. */
  label?: string;
  /** Profile every run into `<prefix>_<date>.json` (ORT's profiler; see placement.ts). */
  profileFilePrefix?: string;
  /** ORT's memory pattern (default on, as in ORT; models with large intermediates turn it off). */
  memPattern?: boolean;
  /** ORT's CPU memory arena (default on). */
  cpuArena?: boolean;
}

export type Feeds = Record<string, ort.Tensor>;

export interface Session {
  readonly ort: ort.InferenceSession;
  readonly provider: Provider;
  /** Why this provider was used. */
  readonly reason: string;
  readonly label: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Feeds, fetches?: string[]): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

function ortOptions(cfg: SessionConfig, provider: Provider): ort.InferenceSession.SessionOptions {
  const o: ort.InferenceSession.SessionOptions = {
    executionProviders:
      provider === "cuda"
        ? [{ name: "cuda", deviceId: cfg.deviceId ?? 0 }]
        : provider === "webgpu"
          ? [{ name: "webgpu" }]
          : ["cpu"],
    graphOptimizationLevel: cfg.optLevel ?? "all",
    logSeverityLevel: cfg.logSeverity ?? 3,
    extra: {
      session: {
        intra_op: { allow_spinning: cfg.spinning ? "1" : "0" },
        inter_op: { allow_spinning: cfg.spinning ? "1" : "0" },
      },
    },
  };
  // The memory pattern (one block per run planned for all intermediates) raised the peak of a 30x30
  // task's training from 680 to 1089 MiB; without it small tasks' steps were ~10% slower (docs/platform.md).
  if (cfg.memPattern === false) o.enableMemPattern = false;
  if (cfg.cpuArena === false) o.enableCpuMemArena = false;
  if (cfg.intraOpThreads !== undefined) o.intraOpNumThreads = cfg.intraOpThreads;
  if (cfg.interOpThreads !== undefined) o.interOpNumThreads = cfg.interOpThreads;
  if (cfg.optimizedModelFilePath) o.optimizedModelFilePath = cfg.optimizedModelFilePath;
  if (cfg.profileFilePrefix) {
    o.enableProfiling = true;
    o.profileFilePrefix = cfg.profileFilePrefix;
  }
  return o;
}

async function open(
  model: Uint8Array | string,
  o: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  return typeof model === "string"
    ? ort.InferenceSession.create(model, o)
    : ort.InferenceSession.create(model, o);
}

function wrap(s: ort.InferenceSession, d: ProviderDecision, label: string): Session {
  const entry: RegisteredSession = registerSession(s, label, d.provider);
  return {
    ort: s,
    provider: d.provider,
    reason: d.reason,
    label,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    run: (feeds, fetches) => (fetches ? s.run(feeds, fetches) : s.run(feeds)),
    release: () => releaseSession(entry),
  };
}

/** Open a session on the requested provider; "auto" falls back (CUDA, WebGPU on hardware, CPU) with a logged reason. */
export async function createSession(model: Uint8Array | string, cfg: SessionConfig = {}): Promise<Session> {
  const ep = cfg.ep ?? "auto";
  const label = cfg.label ?? "session";
  if (ep === "cpu")
    return wrap(await open(model, ortOptions(cfg, "cpu")), { provider: "cpu", reason: "requested" }, label);
  if (ep === "webgpu") return openWebgpu(model, cfg, label, ep);

  let why = "";
  if (ep === "cuda" || ep === "auto") {
    const lib = cudaLibraryCheck();
    const earlier = cudaOutcomeSoFar();
    why = !lib.present ? lib.reason : earlier && !earlier.ok ? earlier.reason : "";
    if (!why) {
      try {
        const s = await open(model, {
          ...ortOptions(cfg, "cuda"),
          logSeverityLevel: ep === "auto" ? 4 : (cfg.logSeverity ?? 3),
        });
        recordCudaOutcome(true, lib.reason);
        const d = { provider: "cuda" as const, reason: ep === "cuda" ? "requested" : "CUDA provider loaded" };
        if (ep === "auto") announce(d, ep);
        return wrap(s, d, label);
      } catch (e) {
        why = `CUDA provider failed: ${(e as Error).message.split("\n")[0]}`;
        recordCudaOutcome(false, why);
      }
    }
    if (ep === "cuda") throw new Error(`ep=cuda: ${why}`);
  }
  const gpu = webgpuCheck();
  const earlier = webgpuOutcomeSoFar();
  if (webgpuForAuto(gpu) && earlier?.ok !== false) {
    try {
      return await openWebgpu(model, cfg, label, ep, `no CUDA (${why}); WebGPU on the ${gpu.reason}`);
    } catch (e) {
      why = `${why}; ${(e as Error).message}`;
    }
  } else why = `${why}; WebGPU: ${earlier?.ok === false ? earlier.reason : gpu.reason}`;
  const d: ProviderDecision = { provider: "cpu", reason: why };
  announce(d, ep);
  return wrap(await open(model, ortOptions(cfg, "cpu")), d, label);
}

/** A session on the WebGPU provider (nodes it has no kernel for run on the CPU provider, as ORT places them). */
async function openWebgpu(
  model: Uint8Array | string,
  cfg: SessionConfig,
  label: string,
  ep: "webgpu" | "auto",
  autoReason = "",
): Promise<Session> {
  const gpu = webgpuCheck();
  if (!gpu.adapterFound) {
    recordWebgpuOutcome(false, gpu.reason);
    throw new Error(`ep=webgpu: ${gpu.reason}`);
  }
  try {
    const s = await open(model, {
      ...ortOptions(cfg, "webgpu"),
      logSeverityLevel: ep === "auto" ? 4 : (cfg.logSeverity ?? 3),
    });
    recordWebgpuOutcome(true, gpu.reason);
    const d = {
      provider: "webgpu" as const,
      reason: ep === "webgpu" ? `requested; ${gpu.reason}` : autoReason,
    };
    if (ep === "auto") announce(d, ep);
    return wrap(s, d, label);
  } catch (e) {
    const why = `WebGPU provider failed on ${gpu.reason}: ${(e as Error).message.split("\n")[0]}`;
    recordWebgpuOutcome(false, why);
    throw new Error(ep === "webgpu" ? `ep=webgpu: ${why}` : why);
  }
}

/** A tensor for ORT from a typed array (dtype from the array type unless given). */
export function tensor(
  dtype: "float32" | "float64" | "int64" | "int32" | "bool",
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array,
  dims: readonly number[],
): ort.Tensor {
  // biome-ignore lint/suspicious/noExplicitAny: ORT's overloads pair each dtype with its own array type
  return new ort.Tensor(dtype, data as any, dims);
}
