// Where ONNX Runtime runs each node of a graph: one profiled run, read back from the profiler's JSON,
// whose node events name the execution provider that ran them. This sees what ran (a Loop body's
// nodes included, once each) and the copies ORT inserted between devices (MemcpyToHost/FromHost), and
// works in the compiled binary too (ORT's verbose placement log goes to the native stderr, which a
// process cannot read of itself). The figure: "N of M nodes on WebGPU".
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Feeds, type SessionConfig, createSession } from "./session.ts";

export interface Placement {
  /** The provider the session was opened on ("webgpu", "cpu", "cuda"). */
  provider: string;
  /** Distinct nodes that ran, copies left out. */
  nodes: number;
  /** Of those, per ORT provider name (e.g. WebGpuExecutionProvider: 6154, CPUExecutionProvider: 4). */
  byProvider: Record<string, number>;
  /** Nodes that ran on the CPU provider although the session's provider is another, by op type. */
  fellBack: Record<string, number>;
  /** Copies between devices ORT inserted (distinct Memcpy nodes). */
  copies: number;
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  args?: { op_name?: string; provider?: string };
}

const ORT_NAMES: Record<string, string> = {
  cpu: "CPUExecutionProvider",
  webgpu: "WebGpuExecutionProvider",
  cuda: "CUDAExecutionProvider",
};
const LABELS: Record<string, string> = { webgpu: "WebGPU", cuda: "CUDA", cpu: "the CPU" };

/** Placement from the profiler's events (exported for tests of the reading). */
export function placementFromProfile(provider: string, events: readonly ProfileEvent[]): Placement {
  const seen = new Map<string, { op: string; provider: string }>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name?.endsWith("_kernel_time") || !e.args?.provider) continue;
    const name = e.name.slice(0, -"_kernel_time".length);
    if (!seen.has(name)) seen.set(name, { op: e.args.op_name ?? "?", provider: e.args.provider });
  }
  const p: Placement = { provider, nodes: 0, byProvider: {}, fellBack: {}, copies: 0 };
  const own = ORT_NAMES[provider];
  for (const { op, provider: ran } of seen.values()) {
    if (op.startsWith("Memcpy")) {
      p.copies++;
      continue;
    }
    p.nodes++;
    p.byProvider[ran] = (p.byProvider[ran] ?? 0) + 1;
    if (ran !== own && ran === ORT_NAMES.cpu) p.fellBack[op] = (p.fellBack[op] ?? 0) + 1;
  }
  return p;
}

/** Open `model` as `cfg` says with the profiler on, run `feeds` once and read where each node ran. */
export async function measurePlacement(
  model: Uint8Array,
  cfg: SessionConfig,
  feeds: Feeds,
): Promise<Placement> {
  const dir = mkdtempSync(join(tmpdir(), "ttt-placement-"));
  try {
    const s = await createSession(model, {
      ...cfg,
      profileFilePrefix: join(dir, "profile"),
      label: `${cfg.label ?? "session"}:placement`,
    });
    try {
      await s.run(feeds);
      s.ort.endProfiling();
    } finally {
      await s.release();
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".json"));
    if (!file) throw new Error("ORT wrote no profile");
    return placementFromProfile(s.provider, JSON.parse(readFileSync(join(dir, file), "utf8")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "6154 of 6158 nodes on WebGPU; on the CPU: Loop 1, Cast 1, ...; 2 copies between devices". */
export function describePlacement(p: Placement): string {
  const own = p.byProvider[ORT_NAMES[p.provider] ?? ""] ?? 0;
  const fell = Object.entries(p.fellBack)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
  const where = LABELS[p.provider] ?? p.provider;
  return `${own} of ${p.nodes} nodes on ${where}${fell ? `; on the CPU: ${fell}` : ""}; ${p.copies} ${p.copies === 1 ? "copy" : "copies"} between devices`;
}
