// Engine benchmark (issue 3, part 7): train the same models with our training graphs on ONNX Runtime
// (one step per session.run, and a Loop of K steps per run) and with PyTorch on the CPU, from the same
// initial weights on the same batches, one thread each; print ms/step, speed-up, loss agreement and
// GFLOP/s against the CPU's fp32 peak.
//
//   bun bench/engine.ts [--reps 5] [--steps N] [--k 50] [--models mlp256,mlp1024,block128] [--no-torch] [--json]
//
// --steps N: measured steps per repetition (rounded up to a multiple of K; default per model).
import * as ort from "onnxruntime-node";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Graph, matmul, toModelBytes } from "../src/graph/index.ts";
import { defaults } from "../src/optim/index.ts";
import { type BatchArray, Trainer } from "../src/train/index.ts";
import { type BenchCase, OPTIM, defaultCases } from "./engine_cases.ts";
import { bestGemmGflops } from "./gemm-roof.ts";

// ---------- command line ----------
interface Args {
  reps: number;
  steps?: number;
  k: number;
  models?: string[];
  torch: boolean;
  json: boolean;
  python: string;
  opt: ort.InferenceSession.SessionOptions["graphOptimizationLevel"];
  threads: number;
  spin: boolean;
  dumpLosses?: string;
  dtype: "float32" | "float64";
  caseDir?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    reps: 5,
    k: 50,
    torch: true,
    json: false,
    python: "/usr/bin/python3",
    opt: "all",
    threads: 1,
    spin: false,
    dtype: "float32",
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    const val = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${v} needs a value`);
      return x;
    };
    if (v === "--reps") a.reps = Math.max(1, Number(val()));
    else if (v === "--steps") a.steps = Math.max(1, Number(val()));
    else if (v === "--k") a.k = Math.max(2, Number(val()));
    else if (v === "--models") a.models = val().split(",");
    else if (v === "--no-torch") a.torch = false;
    else if (v === "--json") a.json = true;
    else if (v === "--python") a.python = val();
    else if (v === "--opt") a.opt = val() as Args["opt"];
    else if (v === "--threads") a.threads = Number(val());
    else if (v === "--spin") a.spin = true;
    else if (v === "--dump-losses") a.dumpLosses = val();
    else if (v === "--case-dir") a.caseDir = val();
    else if (v === "--dtype") a.dtype = val() === "float64" ? "float64" : "float32";
    else if (v === "--help" || v === "-h") {
      console.log(
        "bun bench/engine.ts [--reps 5] [--steps N] [--k 50] [--models mlp256,mlp1024,block128] [--no-torch] [--json]\n" +
          "  profiling knobs: [--opt disabled|basic|extended|all] [--threads 1] [--spin] [--python /usr/bin/python3]",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${v}`);
  }
  return a;
}

// ---------- machine ----------
interface Peak {
  cpu: string;
  family: number;
  model: number;
  mhz: number;
  flopPerCycle: number;
  gflops: number;
  assumption: string;
}

/** fp32 peak of ONE core from /proc/cpuinfo: FMA pipes x vector width x 2, times the reported clock. */
function cpuPeak(): Peak {
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux
  }
  const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  const cpu = field("model name") || cpus()[0]?.model || "unknown";
  const vendor = field("vendor_id");
  const family = Number(field("cpu family") || 0);
  const model = Number(field("model") || 0);
  const mhz = Number(field("cpu MHz") || cpus()[0]?.speed || 0);
  const flags = new Set(field("flags").split(/\s+/));
  let fpc: number;
  let why: string;
  if (vendor === "AuthenticAMD" && family === 23 && model < 0x30) {
    fpc = 16;
    why =
      "Zen 1/Zen+ (family 23, model < 0x30): 2 x 128-bit FMA pipes = 2 x 4 lanes x 2 = 16 fp32 FLOP/cycle";
  } else if (vendor === "AuthenticAMD" && (family === 23 || family === 25)) {
    fpc = 32;
    why =
      `${family === 23 ? "Zen 2" : "Zen 3/Zen 4"} (family ${family}, model ${model}): 2 x 256-bit FMA pipes = 2 x 8 lanes x 2 = 32 fp32 FLOP/cycle` +
      (flags.has("avx512f") ? " (AVX-512 on Zen 4 is split into 256-bit halves: no higher peak)" : "");
  } else if (vendor === "AuthenticAMD" && family === 26) {
    fpc = flags.has("avx512f") ? 64 : 32;
    why = `Zen 5 (family 26): ${fpc === 64 ? "2 x 512-bit" : "2 x 256-bit"} FMA = ${fpc} fp32 FLOP/cycle`;
  } else if (flags.has("avx512f")) {
    fpc = 64;
    why = "AVX-512 with 2 FMA units assumed: 2 x 16 lanes x 2 = 64 fp32 FLOP/cycle";
  } else if (flags.has("fma") && flags.has("avx2")) {
    fpc = 32;
    why = "AVX2 + FMA with 2 FMA units assumed: 2 x 8 lanes x 2 = 32 fp32 FLOP/cycle";
  } else {
    fpc = 8;
    why = "no FMA: 4-wide add + 4-wide mul assumed = 8 fp32 FLOP/cycle";
  }
  return {
    cpu,
    family,
    model,
    mhz,
    flopPerCycle: fpc,
    gflops: (fpc * mhz) / 1000,
    assumption: `${why}; x ${(mhz / 1000).toFixed(3)} GHz ("cpu MHz" in /proc/cpuinfo, the base/TSC clock under a hypervisor; boost not counted) x 1 core`,
  };
}

const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

// ---------- our engine ----------
interface RunResult {
  repMsPerStep: number[];
  /** CPU time (all threads of the process) per step, per repetition: less sensitive to other load. */
  repCpuMsPerStep: number[];
  losses: number[];
  /** Graph build + session creation (ms). */
  prepareMs: number;
}

/**
 * Train with the project's Trainer: K one-step runs per chunk (`oneStep`) or one Loop run of K steps.
 * Step s uses batch s mod K of the pool (the pool holds K batches), as the PyTorch peer does.
 */
async function runOurs(
  c: BenchCase,
  loop: boolean,
  k: number,
  warmupSteps: number,
  reps: number,
  steps: number,
  a: Args,
): Promise<RunResult> {
  const trainer = await Trainer.create(c.spec, {
    optim: OPTIM,
    cacheDir: false,
    session: {
      ep: "cpu",
      intraOpThreads: a.threads,
      interOpThreads: 1,
      spinning: a.spin,
      optLevel: a.opt,
      label: `bench:${c.id}`,
    },
  });
  try {
    const t0 = performance.now();
    await trainer.prepare([loop ? { kind: "loop", steps: k } : { kind: "train" }]);
    const prepareMs = performance.now() - t0;
    const losses: number[] = [];
    const chunk = async () => {
      const l = await trainer.step(k, c.pool, loop ? {} : { oneStep: true });
      for (let i = 0; i < l.length; i++) losses.push(l[i]!);
    };
    while (trainer.steps < warmupSteps) await chunk();
    const rep: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const s = performance.now();
      const cu = process.cpuUsage();
      const target = trainer.steps + steps;
      while (trainer.steps < target) await chunk();
      rep.push((performance.now() - s) / steps);
      const du = process.cpuUsage(cu);
      cpu.push((du.user + du.system) / 1000 / steps);
    }
    return { repMsPerStep: rep, repCpuMsPerStep: cpu, losses, prepareMs };
  } finally {
    await trainer.release();
  }
}

// ---------- PyTorch ----------
interface TorchResult {
  ok: boolean;
  error?: string;
  version?: string;
  threads?: number;
  repMsPerStep: number[];
  repCpuMsPerStep: number[];
  losses: number[];
}

function writeCase(dir: string, c: BenchCase, warmup: number, reps: number, steps: number): string {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (data: BatchArray) => {
    const at = offset;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    chunks.push(bytes);
    offset += bytes.byteLength;
    return at;
  };
  const dtypeOf = (d: BatchArray) =>
    d instanceof Float32Array
      ? "float32"
      : d instanceof Float64Array
        ? "float64"
        : d instanceof BigInt64Array
          ? "int64"
          : "unsupported";
  const opt = { ...defaults(OPTIM.kind), ...OPTIM };
  const meta = {
    model: c.model,
    dtype: c.spec.dtype ?? "float32",
    optimizer: { kind: opt.kind, lr: opt.lr, betas: opt.betas, eps: opt.eps, weightDecay: opt.weightDecay },
    params: c.spec.params.map((p) => ({
      name: p.name,
      dtype: dtypeOf(p.init),
      shape: p.shape,
      offset: add(p.init),
    })),
    poolSize: c.poolSize,
    batches: c.spec.batch.map((b) => ({
      name: b.name,
      dtype: dtypeOf(c.pool[b.name]!),
      shape: [c.poolSize, ...b.shape],
      offset: add(c.pool[b.name]!),
    })),
    schedule: { warmup, reps, steps },
  };
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const ch of chunks) {
    bin.set(ch, at);
    at += ch.byteLength;
  }
  const base = join(dir, c.id);
  writeFileSync(`${base}.bin`, bin);
  writeFileSync(`${base}.json`, JSON.stringify(meta, null, 1));
  return `${base}.json`;
}

function runTorch(a: Args, caseJson: string): TorchResult {
  const script = join(import.meta.dir, "engine_torch.py");
  const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  let p: ReturnType<typeof Bun.spawnSync>;
  try {
    p = Bun.spawnSync([a.python, script, caseJson], { env, stdout: "pipe", stderr: "pipe" });
  } catch (e) {
    return {
      ok: false,
      error: `cannot start ${a.python}: ${(e as Error).message}`,
      repMsPerStep: [],
      repCpuMsPerStep: [],
      losses: [],
    };
  }
  const out = p.stdout?.toString() ?? "";
  const err = p.stderr?.toString() ?? "";
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(out.trim().split("\n").pop() ?? "");
  } catch {
    // fall through
  }
  if (p.exitCode !== 0 || !parsed || parsed.error) {
    const why =
      (parsed?.error as string) ?? (err.trim().split("\n").slice(-3).join(" | ") || `exit ${p.exitCode}`);
    return { ok: false, error: why, repMsPerStep: [], repCpuMsPerStep: [], losses: [] };
  }
  return {
    ok: true,
    version: parsed.torch as string,
    threads: parsed.threads as number,
    repMsPerStep: parsed.repMsPerStep as number[],
    repCpuMsPerStep: (parsed.repCpuMsPerStep as number[]) ?? [],
    losses: parsed.losses as number[],
  };
}

// ---------- statistics ----------
const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const maxAbsDiff = (a: number[], b: number[], from = 0, to = Math.min(a.length, b.length)) => {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const firstOver = (a: number[], b: number[], tol: number) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!(Math.abs(a[i]! - b[i]!) <= tol)) return i;
  return null;
};

// ---------- GEMM roof ----------
/** Best fp32 rate of one large square product on one thread: ORT (MLAS) here, PyTorch (OpenBLAS) in Python. */
async function ortGemmRoof(a: Args, n = 1024): Promise<number> {
  const g = new Graph("roof");
  const x = g.input("x", "float32", [n, n]);
  const w = g.input("w", "float32", [n, n]);
  g.output(matmul(x, w), "y");
  const s = await ort.InferenceSession.create(toModelBytes(g), {
    executionProviders: ["cpu"],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: a.spin ? "1" : "0" } } },
  });
  return bestGemmGflops(s, (d, dims) => new ort.Tensor("float32", d, dims), ["x", "w"], n);
}

function torchGemmRoof(a: Args, n = 1024): number | null {
  const code = `import os
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"): os.environ[v] = "1"
import time, torch
torch.set_num_threads(1)
x = torch.rand(${n}, ${n}); w = torch.rand(${n}, ${n}); best = 1e9
for i in range(8):
    t = time.perf_counter(); torch.mm(x, w); d = time.perf_counter() - t
    if i: best = min(best, d)
print(2 * ${n}**3 / best / 1e9)`;
  const p = Bun.spawnSync([a.python, "-c", code], { stdout: "pipe", stderr: "pipe" });
  const v = Number((p.stdout?.toString() ?? "").trim());
  return p.exitCode === 0 && Number.isFinite(v) ? v : null;
}

// ---------- main ----------
interface CaseReport {
  id: string;
  title: string;
  forwardMacs: number;
  /** The convention of the brief: 6 x forward MACs. */
  flopsPerStep: number;
  /** 2 x (forward + needed backward MACs): no dX for data inputs. */
  neededFlopsPerStep: number;
  warmupSteps: number;
  stepsPerRep: number;
  reps: number;
  prepareMs: { oneStep: number; loop: number };
  ours1: { msPerStep: number; cpuMsPerStep: number; reps: number[]; gflops: number; pctPeak: number };
  oursLoop: {
    k: number;
    msPerStep: number;
    cpuMsPerStep: number;
    reps: number[];
    gflops: number;
    pctPeak: number;
  };
  torch: null | {
    msPerStep: number;
    cpuMsPerStep: number;
    reps: number[];
    gflops: number;
    pctPeak: number;
    version?: string;
  };
  /** PyTorch wall time / ours (medians). */
  speedup: null | { oneStep: number; loop: number };
  /** The same from CPU time (process CPU seconds per step): a cross-check when the machine is shared. */
  cpuSpeedup: null | { oneStep: number; loop: number };
  loss: {
    first: number;
    last: number;
    oursLoopVsOneStepMaxAbs: number;
    vsTorchMaxAbsMeasured: number | null;
    vsTorchMaxAbsFirst10: number | null;
    vsTorchMaxAbsAll: number | null;
    /** First step (0-based, warm-up included) where |loss_ours - loss_torch| > 1e-4; null if never. */
    vsTorchFirstStepOver1e4: number | null;
  };
  load: { before: string; after: string };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const peak = cpuPeak();
  const log = (s: string) => {
    if (!a.json) console.log(s);
    else console.error(s);
  };
  const cases = defaultCases(a.k, a.dtype).filter((c) => !a.models || a.models.includes(c.id));
  if (!cases.length) throw new Error(`no model matches --models ${a.models?.join(",")}`);
  const dir = a.caseDir ?? mkdtempSync(join(tmpdir(), "ttt-bench-engine-"));
  if (a.caseDir) mkdirSync(a.caseDir, { recursive: true });
  const started = new Date();
  log(
    `engine bench ${started.toISOString()} | ${peak.cpu} (family ${peak.family}, model ${peak.model}), ${cpus().length} vCPUs | load ${loadNow()}`,
  );
  log(
    `ours: onnxruntime-node ${ort.env.versions?.common ?? ""} on Bun ${Bun.version}, CPU EP, intra-op threads ${a.threads}, spinning ${a.spin ? "on" : "off"}, graph optimisation ${a.opt}`,
  );
  let torchProbe: TorchResult | null = null;
  if (a.torch) {
    try {
      const p = Bun.spawnSync([a.python, "-c", "import torch, numpy; print(torch.__version__)"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      if (p.exitCode !== 0) {
        torchProbe = {
          ok: false,
          error: (p.stderr?.toString() ?? "").trim().split("\n").pop(),
          repMsPerStep: [],
          repCpuMsPerStep: [],
          losses: [],
        };
      }
    } catch (e) {
      torchProbe = {
        ok: false,
        error: `cannot run ${a.python}: ${(e as Error).message}`,
        repMsPerStep: [],
        repCpuMsPerStep: [],
        losses: [],
      };
    }
  }
  const torchMissing = a.torch && torchProbe && !torchProbe.ok;
  if (torchMissing) {
    const msg = `!!! PyTorch is NOT available via ${a.python} (${torchProbe!.error}); printing our engine alone. Install python3-torch + libopenblas0-openmp (apt). !!!`;
    console.error(`\n${"!".repeat(100)}\n${msg}\n${"!".repeat(100)}\n`);
  }
  const roofOrt = await ortGemmRoof(a);
  const roofTorch = a.torch && !torchMissing ? torchGemmRoof(a) : null;
  log(
    `GEMM roof (1024^3 fp32, one thread, best of 7): ORT/MLAS ${roofOrt.toFixed(1)} GFLOP/s, PyTorch/OpenBLAS ${roofTorch === null ? "-" : roofTorch.toFixed(1)} GFLOP/s; nominal peak ${peak.gflops.toFixed(1)}`,
  );
  const reports: CaseReport[] = [];
  const dumps: Record<string, { oneStep: number[]; loop: number[]; torch: number[] }> = {};
  try {
    for (const c of cases) {
      const k = a.k;
      const steps = Math.ceil((a.steps ?? c.stepsPerRep) / k) * k;
      const warmup = k;
      const flops = 6 * c.forwardMacs;
      const before = loadNow();
      log(`\n[${c.id}] ${c.title}: ${a.reps} reps x ${steps} steps after ${warmup} warm-up steps`);
      const one = await runOurs(c, false, k, warmup, a.reps, steps, a);
      log(
        `  ours 1 step/run: ${median(one.repMsPerStep).toFixed(3)} ms/step  reps [${one.repMsPerStep.map((x) => x.toFixed(3)).join(", ")}]`,
      );
      const lp = await runOurs(c, true, k, warmup, a.reps, steps, a);
      log(
        `  ours Loop K=${k}:  ${median(lp.repMsPerStep).toFixed(3)} ms/step  reps [${lp.repMsPerStep.map((x) => x.toFixed(3)).join(", ")}]`,
      );
      let tr: TorchResult | null = null;
      if (a.torch && !torchMissing) {
        const file = writeCase(dir, c, warmup, a.reps, steps);
        tr = runTorch(a, file);
        if (tr.ok)
          log(
            `  PyTorch:          ${median(tr.repMsPerStep).toFixed(3)} ms/step  reps [${tr.repMsPerStep.map((x) => x.toFixed(3)).join(", ")}]`,
          );
        else console.error(`  !!! PyTorch run failed for ${c.id}: ${tr.error}`);
      }
      if (a.dumpLosses) dumps[c.id] = { oneStep: one.losses, loop: lp.losses, torch: tr?.losses ?? [] };
      const after = loadNow();
      const m1 = median(one.repMsPerStep);
      const mL = median(lp.repMsPerStep);
      const gf = (ms: number) => flops / (ms * 1e6);
      const torchOk = tr?.ok ? tr : null;
      const mT = torchOk ? median(torchOk.repMsPerStep) : NaN;
      const total = warmup + a.reps * steps;
      reports.push({
        id: c.id,
        title: c.title,
        forwardMacs: c.forwardMacs,
        flopsPerStep: flops,
        neededFlopsPerStep: 2 * (c.forwardMacs + c.backwardMacs),
        warmupSteps: warmup,
        stepsPerRep: steps,
        reps: a.reps,
        prepareMs: { oneStep: one.prepareMs, loop: lp.prepareMs },
        ours1: {
          msPerStep: m1,
          cpuMsPerStep: median(one.repCpuMsPerStep),
          reps: one.repMsPerStep,
          gflops: gf(m1),
          pctPeak: (100 * gf(m1)) / peak.gflops,
        },
        oursLoop: {
          k,
          msPerStep: mL,
          cpuMsPerStep: median(lp.repCpuMsPerStep),
          reps: lp.repMsPerStep,
          gflops: gf(mL),
          pctPeak: (100 * gf(mL)) / peak.gflops,
        },
        torch: torchOk
          ? {
              msPerStep: mT,
              cpuMsPerStep: median(torchOk.repCpuMsPerStep),
              reps: torchOk.repMsPerStep,
              gflops: gf(mT),
              pctPeak: (100 * gf(mT)) / peak.gflops,
              version: torchOk.version,
            }
          : null,
        speedup: torchOk ? { oneStep: mT / m1, loop: mT / mL } : null,
        cpuSpeedup: torchOk
          ? {
              oneStep: median(torchOk.repCpuMsPerStep) / median(one.repCpuMsPerStep),
              loop: median(torchOk.repCpuMsPerStep) / median(lp.repCpuMsPerStep),
            }
          : null,
        loss: {
          first: one.losses[0]!,
          last: one.losses[one.losses.length - 1]!,
          oursLoopVsOneStepMaxAbs: maxAbsDiff(one.losses, lp.losses),
          vsTorchMaxAbsMeasured: torchOk ? maxAbsDiff(one.losses, torchOk.losses, warmup, total) : null,
          vsTorchMaxAbsFirst10: torchOk ? maxAbsDiff(one.losses, torchOk.losses, 0, 10) : null,
          vsTorchMaxAbsAll: torchOk ? maxAbsDiff(one.losses, torchOk.losses, 0, total) : null,
          vsTorchFirstStepOver1e4: torchOk ? firstOver(one.losses, torchOk.losses, 1e-4) : null,
        },
        load: { before, after },
      });
    }
    if (a.dumpLosses) writeFileSync(a.dumpLosses, JSON.stringify(dumps));
  } finally {
    if (!a.caseDir) rmSync(dir, { recursive: true, force: true });
  }

  const result = {
    date: started.toISOString(),
    machine: {
      cpu: peak.cpu,
      family: peak.family,
      model: peak.model,
      vcpus: cpus().length,
      mhz: peak.mhz,
      peakGflopsOneCore: peak.gflops,
      peakAssumption: peak.assumption,
    },
    gemmRoofGflops: { ortMlas: roofOrt, torchOpenblas: roofTorch, shape: "1024x1024x1024 fp32, one thread" },
    ours: {
      runtime: `onnxruntime-node ${ort.env.versions?.common ?? "?"}`,
      bun: Bun.version,
      intraOpThreads: a.threads,
      spinning: a.spin,
      graphOptimizationLevel: a.opt,
    },
    torch: torchMissing
      ? { available: false, error: torchProbe?.error }
      : a.torch
        ? { available: true }
        : { available: false, error: "--no-torch" },
    optimizer: {
      ...defaults(OPTIM.kind),
      ...OPTIM,
      semantics: "PyTorch (torch.optim.AdamW, single-tensor path)",
    },
    flopsConvention: "forward = 2 x MACs, backward = 2 x forward: 6 x forward MACs per step",
    cases: reports,
    loadEnd: loadNow(),
  };
  if (a.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  printTable(result, peak);
}

function printTable(
  r: {
    date: string;
    cases: CaseReport[];
    loadEnd: string;
    torch: { available: boolean; error?: string };
    gemmRoofGflops: { ortMlas: number; torchOpenblas: number | null };
  },
  peak: Peak,
) {
  const f = (x: number | null | undefined, d = 3) =>
    x === null || x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d);
  const e = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toExponential(1));
  // wall time well above CPU time: the process waited for the CPU (other load), so wall ratios are unreliable
  const busy = (c: CaseReport) =>
    [c.ours1, c.oursLoop, ...(c.torch ? [c.torch] : [])].some((x) => x.msPerStep > 1.1 * x.cpuMsPerStep);
  const rows = [
    [
      "model",
      "ours 1-step",
      "ours Loop",
      "PyTorch",
      "speed-up 1-step",
      "speed-up Loop",
      "|dloss| max",
      "|dloss| 10",
      "GFLOP/s 1-step / Loop / torch",
      "% peak (Loop)",
    ],
    ...r.cases.map((c) => [
      c.id,
      `${f(c.ours1.msPerStep)} ms`,
      `${f(c.oursLoop.msPerStep)} ms`,
      c.torch ? `${f(c.torch.msPerStep)} ms` : "-",
      c.speedup ? `${f(c.speedup.oneStep, 2)}x${busy(c) ? "*" : ""}` : "-",
      c.speedup ? `${f(c.speedup.loop, 2)}x${busy(c) ? "*" : ""}` : "-",
      e(c.loss.vsTorchMaxAbsMeasured),
      e(c.loss.vsTorchMaxAbsFirst10),
      `${f(c.ours1.gflops, 1)} / ${f(c.oursLoop.gflops, 1)} / ${c.torch ? f(c.torch.gflops, 1) : "-"}`,
      `${f(c.oursLoop.pctPeak, 1)}%`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ");
  console.log(
    `\n=== engine bench, ${r.date}: ms/step medians (warm), speed-up = PyTorch time / our time (> 1: we are faster) ===`,
  );
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows.slice(1)) console.log(line(row));
  console.log("");
  for (const c of r.cases) {
    const over = c.loss.vsTorchFirstStepOver1e4;
    console.log(
      `${c.id}: ${c.title}; ${(c.flopsPerStep / 1e6).toFixed(1)} MFLOP/step (${(c.neededFlopsPerStep / 1e6).toFixed(1)} needed); loss ${c.loss.first.toFixed(4)} -> ${c.loss.last.toFixed(4)}; ` +
        `Loop vs 1-step max |dloss| ${e(c.loss.oursLoopVsOneStepMaxAbs)}; ` +
        (c.torch
          ? `|dloss| vs PyTorch ${over === null ? "<= 1e-4 at every step" : `first > 1e-4 at step ${over} of ${c.warmupSteps + c.reps * c.stepsPerRep}`}; `
          : "") +
        `prepare ${c.prepareMs.oneStep.toFixed(0)} / ${c.prepareMs.loop.toFixed(0)} ms; load ${c.load.before} -> ${c.load.after}`,
    );
    console.log(
      `  CPU ms/step: ours 1-step ${f(c.ours1.cpuMsPerStep)}, Loop ${f(c.oursLoop.cpuMsPerStep)}, PyTorch ${c.torch ? f(c.torch.cpuMsPerStep) : "-"}` +
        (c.cpuSpeedup
          ? `; CPU-time speed-up 1-step ${f(c.cpuSpeedup.oneStep, 2)}x, Loop ${f(c.cpuSpeedup.loop, 2)}x`
          : ""),
    );
  }
  if (r.cases.some(busy)) {
    console.log(
      `* wall time exceeded CPU time by > 10% on this model: the machine was busy (see load); trust the CPU-time speed-ups below the table.`,
    );
  }
  console.log(
    `|dloss| max: max |loss_ours - loss_torch| over the measured steps (1-step run; float32 both); |dloss| 10: over the first 10 steps.`,
  );
  console.log(
    `FLOPs: forward = 2 x MACs, backward = 2 x forward. Peak ${peak.gflops.toFixed(1)} GFLOP/s fp32: ${peak.assumption}.`,
  );
  console.log(
    `Measured GEMM roof (1024^3, one thread): ORT/MLAS ${r.gemmRoofGflops.ortMlas.toFixed(1)} GFLOP/s, PyTorch/OpenBLAS ${r.gemmRoofGflops.torchOpenblas?.toFixed(1) ?? "-"} GFLOP/s` +
      (r.gemmRoofGflops.ortMlas > peak.gflops
        ? " (above the nominal peak: the core runs above its reported base clock)."
        : "."),
  );
  console.log(`Target: speed-up >= 1.5x on every model. Load average at the end: ${r.loadEnd}.`);
  if (!r.torch.available) console.log(`!!! PyTorch not measured: ${r.torch.error} !!!`);
}

await main();
