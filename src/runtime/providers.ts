// Execution-provider choice. "auto" takes CUDA when its provider library is present and a session
// opens on it, else WebGPU when Vulkan lists a hardware adapter (never a software one: lavapipe,
// llvmpipe and SwiftShader are slower than the CPU provider) and a session opens on it, else the CPU,
// and says once (consola) which and why. The cheap checks (the CUDA library, the Vulkan adapter list)
// come first, so a machine without a GPU does not pay for (or print the native errors of) a failed
// attempt. ORT loads provider libraries only from beside the libonnxruntime.so.1 it runs from: the
// onnxruntime-node install from source, the extracted (or overlay) folder in the compiled binary,
// which joins a folder named by TTT_ORT_PROVIDERS_DIR (native.ts). The WebGPU provider (Dawn over
// Vulkan) is inside libonnxruntime.so.1 itself on linux-x64: it needs only a Vulkan driver.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { consola } from "consola";
import { CUDA_PROVIDER_LIBS, ensureNative, hasCudaProvider, isCompiled, nativeState } from "./native.ts";
import { type VulkanAdapter, describeAdapter, vulkanAdapters } from "./vulkan.ts";

/** The values of --ep. */
export const EP_CHOICES = ["auto", "cuda", "webgpu", "cpu"] as const;
export type EpChoice = (typeof EP_CHOICES)[number];
export type Provider = "cuda" | "webgpu" | "cpu";

export interface ProviderDecision {
  provider: Provider;
  /** Why this provider (e.g. the missing library, or the error CUDA gave). */
  reason: string;
}

/**
 * Folder holding the libonnxruntime.so.1 and binding that are loaded (TTT_ORT_LIB_DIR overrides): in the
 * compiled binary the extracted (or overlay) folder, never an onnxruntime-node found from the current
 * directory; from source the onnxruntime-node install. Null if not found.
 */
export function ortLibDir(): string | null {
  if (process.env.TTT_ORT_LIB_DIR) return process.env.TTT_ORT_LIB_DIR;
  if (isCompiled()) {
    try {
      return ensureNative().dir;
    } catch {
      return null;
    }
  }
  return installLibDir();
}

/** The native folder of the onnxruntime-node install this source tree resolves. */
function installLibDir(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const root = dirname(dirname(req.resolve("onnxruntime-node")));
    const arch = process.arch === "x64" ? "x64" : process.arch;
    return join(root, "bin", "napi-v6", process.platform, arch);
  } catch {
    return null;
  }
}

export const CUDA_LIBRARIES: readonly string[] = CUDA_PROVIDER_LIBS;

export interface CudaLibraryCheck {
  present: boolean;
  /** One line: where the provider was found, or why it cannot be used. */
  reason: string;
  /** The folder ORT loads providers from. */
  dir?: string;
  /** Provider libraries absent from `dir`. */
  missingLibraries?: string[];
  /** Libraries the CUDA provider needs that the loader cannot find (CUDA runtime, cuDNN 9), per ldd. */
  missingDependencies?: string[];
}

interface LddResult {
  /** Needed libraries the loader cannot find. */
  missing: string[];
  /** Set when ldd says the file is no shared library at all. */
  broken?: string;
}
const lddCache = new Map<string, LddResult>();

/** What ldd says about `lib`: needed libraries the dynamic loader cannot find; nothing when ldd is unavailable. */
function ldd(lib: string): LddResult {
  const known = lddCache.get(lib);
  if (known) return known;
  let result: LddResult = { missing: [] };
  try {
    const r = Bun.spawnSync(["ldd", lib], { stdout: "pipe", stderr: "pipe" });
    const out = `${r.stdout.toString()}\n${r.stderr.toString()}`;
    const missing = out
      .split("\n")
      .filter((l) => /=>\s*not found/.test(l))
      .map((l) => l.trim().split(/\s+/)[0]!);
    const broken = /not a dynamic executable|file too short|invalid ELF|wrong ELF class/i.exec(out)?.[0];
    result = broken ? { missing, broken } : { missing };
  } catch {
    // no ldd: ORT's own attempt will fail with its reason
  }
  lddCache.set(lib, result);
  return result;
}

/** Shared libraries `lib` needs that the dynamic loader cannot find ([] when ldd is unavailable). */
export function missingDependencies(lib: string): string[] {
  return ldd(lib).missing;
}

/** Whether the CUDA provider can be tried: its libraries beside the runtime and theirs on the loader path. */
export function cudaLibraryCheck(): CudaLibraryCheck {
  if (process.platform !== "linux")
    return {
      present: false,
      reason: `CUDA provider is only wired up on linux (this is ${process.platform})`,
    };
  const dir = ortLibDir();
  if (!dir) return { present: false, reason: "cannot locate the onnxruntime-node native folder" };
  const missingLibraries = CUDA_LIBRARIES.filter((f) => !existsSync(join(dir, f)));
  if (!missingLibraries.length) {
    const checks = CUDA_LIBRARIES.map((f) => [f, ldd(join(dir, f))] as const);
    const broken = checks.filter(([, r]) => r.broken).map(([f, r]) => `${f} (${r.broken})`);
    if (broken.length)
      return {
        present: false,
        dir,
        missingLibraries,
        reason: `CUDA provider in ${dir} is not a loadable library: ${broken.join(", ")}`,
      };
    const deps = [...new Set(checks.flatMap(([, r]) => r.missing))];
    if (deps.length) {
      return {
        present: false,
        dir,
        missingLibraries,
        missingDependencies: deps,
        reason: `CUDA provider found in ${dir}, but the loader cannot find ${deps.join(", ")} (the CUDA runtime and cuDNN 9 the provider was built for; add their folder to LD_LIBRARY_PATH)`,
      };
    }
    return {
      present: true,
      dir,
      missingLibraries,
      missingDependencies: [],
      reason: `CUDA provider libraries found in ${dir}`,
    };
  }
  return {
    present: false,
    dir,
    missingLibraries,
    reason: `CUDA provider library ${missingLibraries.join(", ")} not found in ${dir}${elsewhere(dir)}`,
  };
}

/** What TTT_ORT_PROVIDERS_DIR contributed, for the reason line. */
function elsewhere(dir: string): string {
  const p = process.env.TTT_ORT_PROVIDERS_DIR;
  if (!p) return "; TTT_ORT_PROVIDERS_DIR can name a folder holding the CUDA provider";
  const note = nativeState()?.notes.find((n) => n.includes("TTT_ORT_PROVIDERS_DIR"));
  if (note) return `; ${note}`;
  if (!hasCudaProvider(p)) return `; TTT_ORT_PROVIDERS_DIR=${p} lacks them too`;
  return `; TTT_ORT_PROVIDERS_DIR=${p} has them, but ORT loaded from ${dir} looks only beside itself: link them into ${dir}, or use the compiled binary, which joins that folder itself`;
}

export interface WebgpuCheck {
  /** Vulkan lists an adapter Dawn may take. */
  adapterFound: boolean;
  /** That adapter is a hardware one ("auto" considers WebGPU only then). */
  hardware: boolean;
  /** The adapter Dawn prefers: a hardware one where there is one. */
  adapter?: VulkanAdapter;
  /** One line: the adapter, or why there is none. */
  reason: string;
}

/** What Vulkan offers the WebGPU provider (no ORT session is opened). */
export function webgpuCheck(): WebgpuCheck {
  if (process.platform !== "linux" || process.arch !== "x64")
    return {
      adapterFound: false,
      hardware: false,
      reason: `onnxruntime-node bundles its WebGPU provider on linux-x64 only (this is ${process.platform}-${process.arch})`,
    };
  const v = vulkanAdapters();
  if (v.adapters.length === 0) return { adapterFound: false, hardware: false, reason: v.note };
  const hardware = v.adapters.find((a) => !a.software);
  const adapter = hardware ?? v.adapters[0]!;
  return {
    adapterFound: true,
    hardware: !!hardware,
    adapter,
    reason: hardware
      ? `hardware adapter ${describeAdapter(adapter)}`
      : `software adapter only: ${describeAdapter(adapter)}`,
  };
}

/**
 * Whether "auto" may consider WebGPU: on a hardware adapter; on a software one only with
 * TTT_WEBGPU_SOFTWARE=1 (to try the per-task probe where no GPU is, as the tests do).
 */
export function webgpuForAuto(check: WebgpuCheck = webgpuCheck()): boolean {
  return check.hardware || (check.adapterFound && process.env.TTT_WEBGPU_SOFTWARE === "1");
}

/** What WebGPU did when last tried in this process (null: not tried yet). */
let webgpuOutcome: { ok: boolean; reason: string } | null = null;
export function recordWebgpuOutcome(ok: boolean, reason: string): void {
  webgpuOutcome = { ok, reason };
}
export function webgpuOutcomeSoFar(): { ok: boolean; reason: string } | null {
  return webgpuOutcome;
}

/**
 * The provider "auto" (or an explicit choice) will try first, from the cheap checks alone: what a graph
 * is emitted for (train/build.ts `target`) and what the memory plan counts on.
 */
export function plannedProvider(ep: EpChoice): Provider {
  if (ep !== "auto") return ep;
  const cuda = cudaLibraryCheck();
  if (cuda.present && cudaOutcome?.ok !== false) return "cuda";
  if (webgpuOutcome?.ok !== false && webgpuForAuto()) return "webgpu";
  return "cpu";
}

/** What CUDA did when last tried in this process (null: not tried yet). */
let cudaOutcome: { ok: boolean; reason: string } | null = null;
const announced = new Set<string>();

export function recordCudaOutcome(ok: boolean, reason: string): void {
  cudaOutcome = { ok, reason };
}
export function cudaOutcomeSoFar(): { ok: boolean; reason: string } | null {
  return cudaOutcome;
}
/** Forget earlier outcomes and announcements (tests). */
export function resetProviderState(): void {
  cudaOutcome = null;
  webgpuOutcome = null;
  announced.clear();
}

/** Log a decision once per process (per provider and reason). */
export function announce(d: ProviderDecision, requested: EpChoice): void {
  const key = `${requested}|${d.provider}|${d.reason}`;
  if (announced.has(key)) return;
  announced.add(key);
  consola.info(`execution provider: ${d.provider} (ep=${requested}: ${d.reason})`);
}
