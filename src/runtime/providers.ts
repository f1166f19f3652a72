// Execution-provider choice. "auto" takes CUDA when its provider library is present and a session
// opens on it, else the CPU, and says once (consola) which and why. The check for the library comes
// first, so a machine without CUDA does not pay for (or print the native errors of) a failed attempt.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { consola } from "consola";

export type EpChoice = "auto" | "cuda" | "cpu";
export type Provider = "cuda" | "cpu";

export interface ProviderDecision {
  provider: Provider;
  /** Why this provider (e.g. the missing library, or the error CUDA gave). */
  reason: string;
}

/** Folder holding libonnxruntime.so.1 and the binding (TTT_ORT_LIB_DIR overrides); null if not found. */
export function ortLibDir(): string | null {
  if (process.env.TTT_ORT_LIB_DIR) return process.env.TTT_ORT_LIB_DIR;
  try {
    const req = createRequire(import.meta.url);
    const root = dirname(dirname(req.resolve("onnxruntime-node")));
    const arch = process.arch === "x64" ? "x64" : process.arch;
    return join(root, "bin", "napi-v6", process.platform, arch);
  } catch {
    return null;
  }
}

export const CUDA_LIBRARIES = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];

/** Whether the CUDA provider libraries sit next to the runtime (necessary, not sufficient, for CUDA). */
export function cudaLibraryCheck(): { present: boolean; reason: string } {
  if (process.platform !== "linux") return { present: false, reason: `CUDA provider is only wired up on linux (this is ${process.platform})` };
  const dir = ortLibDir();
  if (!dir) return { present: false, reason: "cannot locate the onnxruntime-node native folder" };
  const missing = CUDA_LIBRARIES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) return { present: false, reason: `CUDA provider library ${missing.join(", ")} not found in ${dir}` };
  return { present: true, reason: `CUDA provider libraries found in ${dir}` };
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
  announced.clear();
}

/** Log a decision once per process (per provider and reason). */
export function announce(d: ProviderDecision, requested: EpChoice): void {
  const key = `${requested}|${d.provider}|${d.reason}`;
  if (announced.has(key)) return;
  announced.add(key);
  consola.info(`execution provider: ${d.provider} (ep=${requested}: ${d.reason})`);
}
