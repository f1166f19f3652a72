// `ttt doctor [--json]`: what this machine offers ttt. Versions (ttt, Bun, ONNX Runtime), the execution
// providers and, for one that cannot be used, why; the CUDA device (nvidia-smi); CPU threads and the
// ONNX Runtime default; the cache folders (and, in the compiled binary, the extracted native library);
// free memory and disk. It opens a tiny session on the CPU and runs it; exit 0 when that worked (ttt can
// run here), 1 when not. With the CUDA provider present it also runs the tiny session on CUDA; with a
// Vulkan adapter, on WebGPU (doctor-webgpu.ts lists the adapters; `--ep webgpu` adds node placement).
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { availableParallelism, cpus, freemem, totalmem } from "node:os";
import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { formatSize } from "../util/units.ts";
import { queryDriverDevices, selectDevices, unknownOrderNote } from "../workers/devices.ts";
import { type WebgpuReport, formatWebgpu, webgpuReport } from "./doctor-webgpu.ts";
import { UsageError } from "./usage-error.ts";

export interface ProviderReport {
  name: string;
  /** Whether ttt can use it here (for cpu, cuda and webgpu: a tiny session ran on it). */
  available: boolean;
  /** Whether ttt uses this provider at all. */
  usedByTtt: boolean;
  /** Why not available, or how it was checked. */
  reason: string;
  /** Milliseconds to open and run the tiny session. */
  ms?: number;
}

export interface GpuReport {
  name: string;
  memoryTotalMiB: number | null;
  memoryFreeMiB: number | null;
  driver: string | null;
}

export interface DoctorReport {
  ok: boolean;
  ttt: { version: string; bun: string; executable: string; compiled: boolean; platform: string };
  onnxruntime: { version: string; libraryDir: string | null };
  providers: ProviderReport[];
  webgpu: WebgpuReport | null;
  cuda: {
    gpus: GpuReport[];
    nvidiaSmi: string;
    providerDir: string | null;
    missingLibraries: string[];
    missingDependencies: string[];
    providersDirEnv: string | null;
    /** The devices `ttt solve` spreads workers over (CUDA_VISIBLE_DEVICES honoured), or why none. */
    devices: { id: string; name: string; memoryBytes: number | null }[];
    devicesNote: string;
  };
  threads: {
    logical: number;
    physical: number | null;
    cgroupCpus: number | null;
    model: string | null;
    ortIntraOpDefault: string;
    solveWorkers: number;
    solveThreadsPerWorker: number;
  };
  cache: {
    root: string | null;
    source: string | null;
    graphs: string | null;
    /** The digest of the code that builds graphs (part of every key), where it came from, and the
     * graphs folder's size: this code's graphs and the stale ones `ttt cache prune` removes. */
    graphCode: { digest: string; source: "binary" | "checkout" } | null;
    graphUsage: {
      currentFolder: string;
      currentBytes: number;
      currentFiles: number;
      staleEntries: number;
      staleBytes: number;
      /** e.g. "2 other code folders and 174 loose files" */
      staleDescription: string;
    } | null;
    native: {
      dir: string;
      baseDir: string;
      extractedNow: boolean;
      ms: number;
      providersDir: string | null;
    } | null;
    notes: string[];
  };
  memory: { totalBytes: number; availableBytes: number; cgroupLimitBytes: number | null };
  disk: { path: string; freeBytes: number; totalBytes: number }[];
}

export default defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check this machine for ttt: versions, execution providers (and why one is missing), GPU, threads, cache, memory, disk",
  },
  args: {
    json: { type: "boolean", description: "Print one JSON object instead of text" },
    ep: {
      type: "string",
      description: "webgpu: also measure where ORT places the default family's nodes on WebGPU",
      valueHint: "webgpu",
    },
  },
  async run({ args }) {
    const extra = args._;
    if (extra.length > 0) throw new UsageError(`doctor takes no arguments, got: ${extra.join(" ")}`);
    if (args.ep !== undefined && args.ep !== "webgpu")
      throw new UsageError(`doctor --ep takes webgpu (node placement on WebGPU), got "${args.ep}"`);
    const report = await diagnose({ placement: args.ep === "webgpu" });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      const lines = formatReport(report);
      const gpu = report.webgpu ? await formatWebgpu(report.webgpu) : [];
      const at = lines.findIndex((l) => l.startsWith("devices"));
      lines.splice(at + 1, 0, ...gpu);
      for (const line of lines) console.log(line);
    }
    process.exitCode = report.ok ? 0 : 1;
  },
});

/** Gather the report (opens and releases small ONNX Runtime sessions). */
export async function diagnose(o: { placement?: boolean } = {}): Promise<DoctorReport> {
  const native = await import("../runtime/native.ts");
  const notes: string[] = [];
  // In the binary, extract now (so the cache folder and timing show even if ORT then fails to load).
  if (native.isCompiled()) {
    try {
      native.ensureNative();
    } catch (e) {
      notes.push((e as Error).message);
    }
  }
  const providers: ProviderReport[] = [];
  const cudaInfo: DoctorReport["cuda"] = {
    gpus: [],
    nvidiaSmi: "",
    providerDir: null,
    missingLibraries: [],
    missingDependencies: [],
    providersDirEnv: process.env.TTT_ORT_PROVIDERS_DIR ?? null,
    devices: [],
    devicesNote: "",
  };
  let ortVersion = native.ORT_VERSION;
  let webgpu: WebgpuReport | null = null;
  let libraryDir: string | null = null;
  try {
    const ort = await import("onnxruntime-node");
    const { cudaLibraryCheck, ortLibDir } = await import("../runtime/providers.ts");
    ortVersion = ort.env.versions.node ?? ortVersion;
    libraryDir = ortLibDir();
    const cpu = await tinyRun("cpu");
    providers.push({
      name: "cpu",
      available: cpu.ok,
      usedByTtt: true,
      reason: cpu.ok ? "a tiny session ran" : cpu.reason,
      ms: cpu.ms,
    });
    const check = cudaLibraryCheck();
    cudaInfo.providerDir = check.dir ?? null;
    cudaInfo.missingLibraries = check.missingLibraries ?? [];
    cudaInfo.missingDependencies = check.missingDependencies ?? [];
    if (check.present) providers.push(await triedProvider("cuda", check.reason));
    else providers.push({ name: "cuda", available: false, usedByTtt: true, reason: check.reason });
    const { webgpuCheck } = await import("../runtime/providers.ts");
    const gpuCheck = webgpuCheck();
    if (!ort.listSupportedBackends().some((b) => b.name === "webgpu" && b.bundled))
      providers.push({
        name: "webgpu",
        available: false,
        usedByTtt: true,
        reason: "this onnxruntime-node does not bundle the WebGPU provider",
      });
    else if (gpuCheck.adapterFound) providers.push(await triedProvider("webgpu", gpuCheck.reason));
    else providers.push({ name: "webgpu", available: false, usedByTtt: true, reason: gpuCheck.reason });
    for (const b of ort.listSupportedBackends()) {
      if (b.name === "cpu" || b.name === "cuda" || b.name === "webgpu") continue;
      providers.push({
        name: b.name,
        available: false,
        usedByTtt: false,
        reason: b.bundled
          ? "bundled with onnxruntime-node; ttt does not use it"
          : "listed by onnxruntime-node, not bundled; ttt does not use it",
      });
    }
    const gpuProvider = providers.find((p) => p.name === "webgpu");
    webgpu = await webgpuReport(!!o.placement && !!gpuProvider?.available);
    if (o.placement && !gpuProvider?.available)
      webgpu.placementError = `WebGPU is not available: ${gpuProvider?.reason}`;
    const { releaseAllSessions } = await import("../runtime/registry.ts");
    await releaseAllSessions();
  } catch (e) {
    const message = (e as Error).message.split("\n")[0]!;
    if (!providers.some((p) => p.name === "cpu"))
      providers.push({
        name: "cpu",
        available: false,
        usedByTtt: true,
        reason: `ONNX Runtime cannot load: ${message}`,
      });
  }
  const smi = nvidiaSmi();
  cudaInfo.gpus = smi.gpus;
  cudaInfo.nvidiaSmi = smi.note;
  Object.assign(cudaInfo, solveDevices());

  const state = native.nativeState();
  if (state) notes.push(...state.notes);
  const root = state?.root ?? null;
  let graphs: string | null = null;
  let graphCode: DoctorReport["cache"]["graphCode"] = null;
  let graphUsage: DoctorReport["cache"]["graphUsage"] = null;
  try {
    graphCode = (await import("../train/source-digest.ts")).graphSourceDigest();
    graphs = (await import("../train/cache.ts")).defaultCacheDir();
    const mod = await import("../train/cache-usage.ts");
    const u = mod.cacheUsage(graphs);
    graphUsage = {
      currentFolder: u.current,
      currentBytes: u.currentBytes,
      currentFiles: u.currentFiles,
      staleEntries: u.stale.length,
      staleBytes: u.staleBytes,
      staleDescription: mod.describeStale(u),
    };
  } catch (e) {
    notes.push(`graph cache: ${(e as Error).message}`);
  }
  const { defaultWorkers } = await import("../workers/pool.ts");
  const physical = physicalCores();
  const diskPaths = [...new Set([root?.dir ?? graphs, process.cwd()].filter((p): p is string => !!p))];

  return {
    ok: providers.some((p) => p.name === "cpu" && p.available),
    ttt: {
      version: pkg.version,
      bun: Bun.version,
      executable: process.execPath,
      compiled: native.isCompiled(),
      platform: `${process.platform}-${process.arch}`,
    },
    onnxruntime: { version: ortVersion, libraryDir },
    providers,
    webgpu,
    cuda: cudaInfo,
    threads: {
      logical: availableParallelism(),
      physical,
      cgroupCpus: cgroupCpus(),
      model: cpus()[0]?.model?.trim() || null,
      ortIntraOpDefault: `one thread per physical core (${physical ?? availableParallelism()} here) when a session sets none; ttt turns spinning off`,
      solveWorkers: defaultWorkers(),
      solveThreadsPerWorker: 1,
    },
    cache: {
      root: root?.dir ?? null,
      source: root?.source ?? null,
      graphs,
      graphCode,
      graphUsage,
      native: state
        ? {
            dir: state.dir,
            baseDir: state.baseDir,
            extractedNow: state.extracted.length > 0,
            ms: Math.round(state.ms * 10) / 10,
            providersDir: state.providersDir ?? null,
          }
        : null,
      notes,
    },
    memory: memory(),
    disk: diskPaths.map(diskFree).filter((d): d is DoctorReport["disk"][number] => d !== null),
  };
}

/** Open a session on `ep` for a tiny graph built by ttt's own builder, run it and check the answer. */
/** A GPU provider whose check passed, tried with a tiny session: available when it ran. */
async function triedProvider(name: "cuda" | "webgpu", checked: string) {
  const run = await tinyRun(name);
  return {
    name,
    available: run.ok,
    usedByTtt: true,
    reason: run.ok ? `a tiny session ran (${checked})` : run.reason,
    ms: run.ms,
  };
}

async function tinyRun(ep: "cpu" | "cuda" | "webgpu"): Promise<{ ok: boolean; reason: string; ms: number }> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const G = await import("../graph/index.ts");
    const { createSession, tensor } = await import("../runtime/session.ts");
    const g = new G.Graph("doctor");
    const x = g.input("x", "float32", [2, 3]);
    const w = g.input("w", "float32", [3, 2]);
    g.output(G.reduceSum(G.softmax(G.matmul(x, w), -1), [0, 1], false), "y");
    const s = await createSession(G.toModelBytes(g), { ep, intraOpThreads: 1, label: `doctor:${ep}` });
    try {
      const out = await s.run({
        x: tensor("float32", Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
        w: tensor("float32", Float32Array.from([1, 0, 0, 1, 1, 0]), [3, 2]),
      });
      const y = Number(out.y!.data[0]);
      if (Math.abs(y - 2) > 1e-5)
        return { ok: false, reason: `tiny session gave ${y}, expected 2`, ms: elapsed() };
      return { ok: true, reason: "", ms: elapsed() };
    } finally {
      await s.release();
    }
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split("\n")[0]!, ms: elapsed() };
  }
}

function nvidiaSmi(): { gpus: GpuReport[]; note: string } {
  const exe = Bun.which("nvidia-smi");
  if (!exe) return { gpus: [], note: "nvidia-smi not found" };
  try {
    const r = Bun.spawnSync(
      [exe, "--query-gpu=name,memory.total,memory.free,driver_version", "--format=csv,noheader,nounits"],
      { stdout: "pipe", stderr: "pipe", timeout: 10_000 },
    );
    if (r.exitCode !== 0)
      return {
        gpus: [],
        note: `nvidia-smi failed: ${(r.stderr.toString() || r.stdout.toString()).trim().split("\n")[0]}`,
      };
    const num = (s: string | undefined) => (s && Number.isFinite(Number(s)) ? Number(s) : null);
    const gpus = r.stdout
      .toString()
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [name, total, free, driver] = line.split(",").map((s) => s.trim());
        return {
          name: name ?? "?",
          memoryTotalMiB: num(total),
          memoryFreeMiB: num(free),
          driver: driver ?? null,
        };
      });
    return { gpus, note: exe };
  } catch (e) {
    return { gpus: [], note: `nvidia-smi failed: ${(e as Error).message}` };
  }
}

/** The devices `ttt solve` would use, from the driver's list and CUDA_VISIBLE_DEVICES. */
function solveDevices(): { devices: DoctorReport["cuda"]["devices"]; devicesNote: string } {
  const cvd = process.env.CUDA_VISIBLE_DEVICES;
  const within = cvd !== undefined ? `CUDA_VISIBLE_DEVICES=${cvd}` : "";
  try {
    const driver = queryDriverDevices();
    const selected = selectDevices(driver.devices, undefined);
    const devices = selected.map((d) => ({ id: d.id, name: d.name, memoryBytes: d.memoryBytes }));
    const unsure = unknownOrderNote(selected, driver.devices);
    return {
      devices,
      devicesNote: [within, devices.length ? "" : driver.note, unsure ?? ""].filter(Boolean).join("; "),
    };
  } catch (e) {
    return { devices: [], devicesNote: `${within}: ${(e as Error).message}` };
  }
}

function deviceLine(devices: DoctorReport["cuda"]["devices"], note: string): string {
  if (devices.length === 0) return `none for ttt solve --devices${note ? ` (${note})` : ""}`;
  const list = devices.map((d) => `${d.id} ${d.name}${d.memoryBytes ? ` ${formatSize(d.memoryBytes)}` : ""}`);
  return `${list.join(", ")}${note ? ` (${note})` : ""}; ttt solve spreads its workers over them (--devices)`;
}

/** Physical cores from /proc/cpuinfo (distinct physical id + core id), null when unknown. */
function physicalCores(): number | null {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const cores = new Set<string>();
    for (const block of text.split(/\n\s*\n/)) {
      const phys = /physical id\s*:\s*(\d+)/.exec(block)?.[1];
      const core = /core id\s*:\s*(\d+)/.exec(block)?.[1];
      if (phys !== undefined && core !== undefined) cores.add(`${phys}:${core}`);
    }
    return cores.size || null;
  } catch {
    return null;
  }
}

/** CPUs allowed by a cgroup v2 quota (cpu.max), null when unlimited or unknown. */
function cgroupCpus(): number | null {
  try {
    const [quota, period] = readFileSync("/sys/fs/cgroup/cpu.max", "utf8").trim().split(/\s+/);
    if (!quota || quota === "max" || !period) return null;
    return Math.round((Number(quota) / Number(period)) * 100) / 100;
  } catch {
    return null;
  }
}

function memory(): DoctorReport["memory"] {
  let total = totalmem();
  let available = freemem();
  try {
    const info = readFileSync("/proc/meminfo", "utf8");
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(info)?.[1] ?? NaN) * 1024;
    if (Number.isFinite(kb("MemTotal"))) total = kb("MemTotal");
    if (Number.isFinite(kb("MemAvailable"))) available = kb("MemAvailable");
  } catch {
    // os figures stand
  }
  let cgroupLimitBytes: number | null = null;
  try {
    const max = readFileSync("/sys/fs/cgroup/memory.max", "utf8").trim();
    if (max !== "max") cgroupLimitBytes = Number(max);
  } catch {
    // no cgroup v2 limit
  }
  return { totalBytes: total, availableBytes: available, cgroupLimitBytes };
}

function diskFree(path: string): DoctorReport["disk"][number] | null {
  try {
    let p = path;
    while (!existsSync(p) && p !== "/") p = p.slice(0, p.lastIndexOf("/")) || "/";
    const s = statfsSync(p);
    return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** The report as aligned text lines. */
export function formatReport(r: DoctorReport): string[] {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(12)}${v}`);
  row(
    "ttt",
    `${r.ttt.version} (${r.ttt.compiled ? `binary ${r.ttt.executable}` : `from source, bun ${r.ttt.bun}`}, ${r.ttt.platform})`,
  );
  row(
    "onnxruntime",
    `${r.onnxruntime.version}${r.onnxruntime.libraryDir ? ` (${r.onnxruntime.libraryDir})` : ""}`,
  );
  for (const p of r.providers) {
    const state = p.available
      ? `available${p.ms !== undefined ? ` (tiny session ${p.ms} ms)` : ""}`
      : p.usedByTtt
        ? `not available: ${p.reason}`
        : p.reason;
    row(`  ${p.name}`, state);
  }
  if (r.cuda.gpus.length)
    for (const g of r.cuda.gpus)
      row(
        "gpu",
        `${g.name}, ${g.memoryFreeMiB ?? "?"} of ${g.memoryTotalMiB ?? "?"} MiB free, driver ${g.driver ?? "?"}`,
      );
  else row("gpu", `none found (${r.cuda.nvidiaSmi})`);
  row("devices", deviceLine(r.cuda.devices, r.cuda.devicesNote));
  const t = r.threads;
  row(
    "threads",
    `${t.logical} logical CPUs, ${t.physical ?? "?"} physical cores${t.cgroupCpus !== null ? `, cgroup quota ${t.cgroupCpus} CPUs` : ""}${t.model ? ` (${t.model})` : ""}`,
  );
  row("", `ORT intra-op default: ${t.ortIntraOpDefault}`);
  row("", `ttt solve default: ${t.solveWorkers} worker(s) x ${t.solveThreadsPerWorker} thread`);
  const c = r.cache;
  row("cache", c.root ? `${c.root} (${c.source})` : (c.graphs ?? "none"));
  if (c.native)
    row(
      "",
      `native library: ${c.native.dir} (${c.native.extractedNow ? `extracted now, ${c.native.ms} ms` : `already there, checked in ${c.native.ms} ms`})`,
    );
  if (c.graphs) {
    const u = c.graphUsage;
    const size = u
      ? `: ${formatSize(u.currentBytes)} in ${u.currentFiles} file(s) for this code${u.staleEntries ? `, ${formatSize(u.staleBytes)} stale in ${u.staleDescription} (ttt cache prune removes them)` : ", nothing stale"}`
      : "";
    row("", `graphs: ${c.graphs}${size}`);
  }
  if (c.graphCode) row("", `graph code digest: ${c.graphCode.digest} (${c.graphCode.source})`);
  for (const n of c.notes) row("", `note: ${n}`);
  const m = r.memory;
  row(
    "memory",
    `${gib(m.availableBytes)} available of ${gib(m.totalBytes)}${m.cgroupLimitBytes !== null ? ` (cgroup limit ${gib(m.cgroupLimitBytes)})` : ""}`,
  );
  for (const d of r.disk) row("disk", `${gib(d.freeBytes)} free of ${gib(d.totalBytes)} at ${d.path}`);
  row(
    "verdict",
    r.ok ? `ok: ttt runs here on ${runsOn(r)}` : "ONNX Runtime cannot run a session on the CPU here",
  );
  return lines;
}

/** The providers ttt can train on here, in the order auto tries them. */
function runsOn(r: DoctorReport): string {
  const ok = (n: string) => r.providers.some((p) => p.name === n && p.available);
  const gpus = [
    ok("cuda") ? "CUDA" : "",
    ok("webgpu") ? `WebGPU${r.webgpu?.autoUses ? "" : " (--ep webgpu)"}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return gpus ? `${gpus} and the CPU` : "the CPU";
}
