// bench/step: the default family's training step, task by task, as the solver runs it (the Trainer of
// src/train, a Loop of the plan's chunk size, one ORT thread, CPU provider unless --ep, optimisation "all"):
// nodes emitted and after ORT's optimisation, ms/step (median of reps), analytic FLOPs per step,
// achieved GFLOP/s against a measured one-thread GEMM roof, bytes moved per step on paper (each node's
// inputs and outputs) and the achieved GB/s against a measured one-thread memory roof (which roof binds),
// the top op types by time from ORT's profile, and with `--against <rev>` the same for that commit, measured in the same process with
// reps interleaved, and the speed-up per task. With `--ep webgpu` the trainer runs on ORT's WebGPU
// provider and each task also prints its node placement ("N of M nodes on WebGPU"; the graph figures
// and profile stay the CPU's). See bench/README.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import type { Task } from "../src/arc/index.ts";
import { defaultChunk, taskCost } from "../src/loop/plan.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";
import { readModel, type GraphRead } from "../test/support/onnx-reader.ts";
import { bestGemmGflops, bestRunMs } from "./gemm-roof.ts";

const ROOT = resolve(import.meta.dir, "..");
const DEFAULT_ARC = resolve(ROOT, "..", "shared", "arc");
/** Small to large: three 3x3 tasks, a 10x10 one, the median train-50 task (14x15), the largest (30x30). */
const DEFAULT_TASKS = ["25ff71a9", "a85d4709", "6150a2bd", "694f12f3", "36d67576", "3631a71a"];
/** The solver's optimizer for the default family, used for both trees. */
const OPTIM = DEFAULT_OPTIM;

const USAGE = `bun bench/step.ts [arc-root] [--tasks id,id,...] [--reps 5] [--k N] [--ep cpu|webgpu|cuda] [--against <rev>] [--copies 1,2,4,8] [--no-profile] [--json]
  arc-root      folder with arc-agi-1/training_challenges.json (default ../shared/arc)
  --k N         Loop steps per run (default: the solver's chunk for the task's size: 25, 10 or 5)
  --ep EP       the trainer's execution provider (default cpu); webgpu/cuda also print node placement
  --against REV also measure commit REV (checked out with git archive under /tmp), interleaved
  --copies LIST the cost of R copies of the model in one graph against one, for each R (this tree only)`;

interface Args {
  arc: string;
  tasks: string[];
  reps: number;
  k?: number;
  against?: string;
  copies?: number[];
  ep: string;
  profile: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { arc: DEFAULT_ARC, tasks: DEFAULT_TASKS, reps: 5, ep: "cpu", profile: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    const next = () => {
      const n = argv[++i];
      if (n === undefined) throw new Error(`${v} needs a value\n${USAGE}`);
      return n;
    };
    if (v === "--tasks") a.tasks = next().split(",").filter(Boolean);
    else if (v === "--reps") a.reps = Math.max(1, Number(next()));
    else if (v === "--k") a.k = Math.max(1, Number(next()));
    else if (v === "--against") a.against = next();
    else if (v === "--copies") a.copies = next().split(",").map(Number);
    else if (v === "--ep") a.ep = next();
    else if (v === "--no-profile") a.profile = false;
    else if (v === "--json") a.json = true;
    else if (v === "--help" || v === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (v.startsWith("--")) throw new Error(`unknown option ${v}\n${USAGE}`);
    else a.arc = resolve(v);
  }
  return a;
}

// ---------- the code under test: one source tree (this one, or a commit's) ----------
// The parts of another tree's API the bench uses, typed structurally (the trees may differ elsewhere).
interface GridLike {
  height: number;
  width: number;
  cells: Uint8Array;
}
interface TaskLike {
  train: { input: GridLike; output: GridLike }[];
  test: { input: GridLike }[];
}
interface NodeLike {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, { value?: unknown } | undefined>;
}
interface GraphLike {
  nodes: NodeLike[];
  get(name: string): { shape: readonly number[]; size: number };
}
interface ModelLike {
  /** false where the solver's sessions run without ORT's memory pattern (large tasks). */
  memPattern?: boolean;
  spec: {
    params: { name: string; shape: number[]; init: Float32Array }[];
    batch: { name: string; shape: number[] }[];
    noise?: { name: string; shape: number[] }[];
  };
  fixed: Record<string, { data: Float32Array }>;
  /** Where each named parameter lives in the concatenation of the spec's parameters. */
  paramEntries: { name: string; offset: number; size: number }[];
  memoryEstimateBytes: number;
}
interface StateLike {
  step: number;
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}
interface TrainerLike {
  setBatch(b: Record<string, Float32Array>): void;
  prepare(kinds: { kind: string; steps?: number }[]): Promise<void>;
  step(k: number): Promise<ArrayLike<number>>;
  getState(): StateLike;
  setState(s: StateLike): void;
  release(): Promise<void>;
  /** Where ORT runs the nodes (trees from before placement counting lack it). */
  placement?(kind: string, steps?: number): Promise<unknown>;
}
interface Tree {
  label: string;
  root: string;
  buildMultitensor: (task: TaskLike, o: { seed: number; copies?: number }) => ModelLike;
  describePlacement?: (p: unknown) => string;
  Trainer: { create(spec: ModelLike["spec"], o: object): Promise<TrainerLike> };
  buildGraph: (req: object) => GraphLike;
  toModelBytes: (g: unknown) => Uint8Array;
  taskFromJson: (id: string, j: unknown) => TaskLike;
  withoutTestOutputs: (t: TaskLike) => TaskLike;
}

async function loadTree(root: string, label: string): Promise<Tree> {
  const at = (p: string) => import(join(root, p));
  const [mt, train, graph, task, placement] = await Promise.all([
    at("src/models/multitensor/index.ts"),
    at("src/train/index.ts"),
    at("src/graph/index.ts"),
    at("src/arc/task.ts"),
    at("src/runtime/placement.ts").catch(() => ({})),
  ]);
  return {
    label,
    root,
    buildMultitensor: mt.buildMultitensor,
    describePlacement: placement.describePlacement,
    Trainer: train.Trainer,
    buildGraph: train.buildGraph,
    toModelBytes: graph.toModelBytes,
    taskFromJson: task.taskFromJson,
    withoutTestOutputs: task.withoutTestOutputs,
  };
}

/** The source of commit `rev` under /tmp (git archive), with this tree's node_modules linked in. */
function checkout(rev: string): { root: string; sha: string } {
  const sha = execFileSync("git", ["rev-parse", "--verify", `${rev}^{commit}`], { cwd: ROOT })
    .toString()
    .trim();
  const root = join(tmpdir(), `ttt-step-${sha.slice(0, 12)}`);
  if (!existsSync(join(root, "src"))) {
    rmSync(root, { recursive: true, force: true });
    execFileSync("mkdir", ["-p", root]);
    execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C '${root}'`], { cwd: ROOT });
  }
  if (!existsSync(join(root, "node_modules")))
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  return { root, sha };
}

// ---------- what a step costs on paper ----------
const sizeOf = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** 2 m k n per MatMul/Gemm (broadcast batch included) over a graph's nodes; output elements of the rest. */
function flopsOf(g: GraphLike): { matmul: number; elementwise: number } {
  let matmul = 0;
  let elementwise = 0;
  for (const n of g.nodes) {
    const out = g.get(n.outputs[0]!);
    if (n.opType === "MatMul" || n.opType === "Gemm") {
      const a = g.get(n.inputs[0]!).shape;
      const k = n.opType === "Gemm" && n.attrs.transA?.value === 1 ? a[a.length - 2]! : a[a.length - 1]!;
      matmul += 2 * k * out.size;
    } else if (n.opType !== "Identity" && n.opType !== "Reshape") elementwise += out.size;
  }
  return { matmul, elementwise };
}

/**
 * Memory traffic on paper: bytes each node reads and writes (its inputs and outputs, 4 bytes a value),
 * Reshape and Identity left out (views), per op type. An upper bound of what the kernels move: a
 * tensor small enough to stay in cache between two nodes, or a pass ORT fuses away, costs less.
 */
function bytesOf(g: GraphLike): { total: number; byOp: Map<string, number> } {
  const byOp = new Map<string, number>();
  let total = 0;
  for (const n of g.nodes) {
    if (n.opType === "Identity" || n.opType === "Reshape") continue;
    let b = 0;
    for (const t of [...n.inputs, ...n.outputs]) if (t) b += 4 * g.get(t).size;
    byOp.set(n.opType, (byOp.get(n.opType) ?? 0) + b);
    total += b;
  }
  return { total, byOp };
}

const countOps = (nodes: readonly { opType: string }[]) => {
  const c = new Map<string, number>();
  for (const n of nodes) c.set(n.opType, (c.get(n.opType) ?? 0) + 1);
  return c;
};

/** Nodes of the (first) Loop body of a read model. */
function loopBody(g: GraphRead): GraphRead {
  const loop = g.nodes.find((n) => n.opType === "Loop");
  const body = loop?.attrs.body?.g;
  if (!body) throw new Error("the optimised model has no Loop body");
  return body;
}

// ---------- ORT ----------
const sessionOptions = (
  extra: ort.InferenceSession.SessionOptions = {},
): ort.InferenceSession.SessionOptions => ({
  executionProviders: ["cpu"],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  ...extra,
});

/** Best fp32 rate of a 1024^3 MatMul on one thread (GFLOP/s). */
async function gemmRoof(tree: Tree): Promise<number> {
  const G = await import(join(tree.root, "src/graph/index.ts"));
  const n = 1024;
  const g = new G.Graph("roof");
  g.output(G.matmul(g.input("a", "float32", [n, n]), g.input("b", "float32", [n, n])), "c");
  const s = await ort.InferenceSession.create(tree.toModelBytes(g), sessionOptions());
  return bestGemmGflops(s, (d, dims) => new ort.Tensor("float32", d, dims), ["a", "b"], n);
}

/**
 * The one-thread memory roof: the best rate of an Add of two 32 MiB float32 tensors into a third (96 MiB
 * moved per run, far beyond the caches), in GB/s.
 */
async function bandwidthRoof(tree: Tree): Promise<number> {
  const G = await import(join(tree.root, "src/graph/index.ts"));
  const n = 8 * 2 ** 20;
  const g = new G.Graph("bandwidth");
  g.output(G.add(g.input("a", "float32", [n]), g.input("b", "float32", [n])), "c");
  const s = await ort.InferenceSession.create(tree.toModelBytes(g), sessionOptions());
  const data = Float32Array.from({ length: n }, (_, i) => (i % 1000) / 1000);
  const feeds = { a: new ort.Tensor("float32", data, [n]), b: new ort.Tensor("float32", data, [n]) };
  const best = await bestRunMs(s, feeds);
  return (3 * 4 * n) / (best * 1e6);
}

/** Feeds of a K-step Loop graph: initial parameters, zero moments, the fixed batch, uniform noise. */
function loopFeeds(model: ModelLike, K: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const p of model.spec.params) {
    f[p.name] = new ort.Tensor("float32", p.init.slice(), p.shape);
    f[`${p.name}.m`] = new ort.Tensor("float32", new Float32Array(p.init.length), p.shape);
    f[`${p.name}.v`] = new ort.Tensor("float32", new Float32Array(p.init.length), p.shape);
  }
  f.step = new ort.Tensor("int64", BigInt64Array.of(0n), []);
  for (const b of model.spec.batch) f[b.name] = new ort.Tensor("float32", model.fixed[b.name]!.data, b.shape);
  for (const nz of model.spec.noise ?? []) {
    const data = Float32Array.from(
      { length: K * sizeOf(nz.shape) },
      (_, i) => ((i * 2654435761) % 4294967296) / 4294967296,
    );
    f[nz.name] = new ort.Tensor("float32", data, [K, ...nz.shape]);
  }
  return f;
}

/** The K-step Loop graph opened once with the optimised model written out, and once profiled. */
async function inspectLoop(tree: Tree, model: ModelLike, K: number, profile: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "ttt-step-"));
  try {
    const bytes = tree.toModelBytes(
      tree.buildGraph({ spec: model.spec, kind: "loop", steps: K, optim: OPTIM }),
    );
    const optPath = join(dir, "optimized.onnx");
    const s = await ort.InferenceSession.create(bytes, sessionOptions({ optimizedModelFilePath: optPath }));
    await s.release();
    const body = loopBody(readModel(new Uint8Array(readFileSync(optPath))).graph);
    let byOp: [string, number][] = [];
    if (profile) {
      const prefix = join(dir, "profile");
      const p = await ort.InferenceSession.create(
        bytes,
        sessionOptions({
          enableProfiling: true,
          profileFilePrefix: prefix,
          ...(model.memPattern === false ? { enableMemPattern: false } : {}),
        }),
      );
      const feeds = loopFeeds(model, K);
      await p.run(feeds);
      await p.run(feeds);
      p.endProfiling();
      await p.release();
      const file = readdirSync(dir).find((f) => f.startsWith("profile") && f.endsWith(".json"));
      if (file) byOp = profileByOp(JSON.parse(readFileSync(join(dir, file), "utf8")));
    }
    return { optimizedNodes: body.nodes.length, optimizedOps: countOps(body.nodes), byOp };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kernel time per op type (µs), the Loop node itself left out (its time is its body's). */
function profileByOp(events: { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[]) {
  const t = new Map<string, number>();
  for (const e of events) {
    const op = e.args?.op_name;
    if (e.cat !== "Node" || !op || op === "Loop" || !e.name?.endsWith("_kernel_time")) continue;
    t.set(op, (t.get(op) ?? 0) + (e.dur ?? 0));
  }
  return [...t.entries()].sort((a, b) => b[1] - a[1]);
}

// ---------- one tree on one task ----------
interface Measured {
  label: string;
  emitted: number;
  identity: number;
  emittedOps: Map<string, number>;
  optimizedNodes: number;
  optimizedOps: Map<string, number>;
  byOp: [string, number][];
  flops: { matmul: number; elementwise: number };
  bytes: { total: number; byOp: Map<string, number> };
  msPerStep: number[];
  losses: number[];
  /** Node placement on --ep (null on the CPU or where the tree cannot tell). */
  placement: string | null;
  model: ModelLike;
  trainer: TrainerLike;
}

async function prepare(
  tree: Tree,
  rawTask: unknown,
  id: string,
  K: number,
  profile: boolean,
  ep: string,
  copies = 1,
): Promise<Measured> {
  const task = tree.withoutTestOutputs(tree.taskFromJson(id, rawTask));
  const model = tree.buildMultitensor(task, copies === 1 ? { seed: 0 } : { seed: 0, copies });
  const step = tree.buildGraph({ spec: model.spec, kind: "train", optim: OPTIM });
  // the nodes as written to ONNX (a tree may leave dead nodes and Reshape chains out when writing)
  const written = readModel(tree.toModelBytes(step)).graph.nodes;
  const emittedOps = countOps(written);
  const inspected = await inspectLoop(tree, model, K, profile);
  const trainer = await tree.Trainer.create(model.spec, {
    optim: OPTIM,
    seed: 0,
    cacheDir: false,
    session: {
      ep,
      intraOpThreads: 1,
      interOpThreads: 1,
      label: `step:${tree.label}`,
      ...(model.memPattern === false ? { memPattern: false } : {}),
    },
  });
  trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
  await trainer.prepare([{ kind: "loop", steps: K }]);
  const placement =
    ep !== "cpu" && trainer.placement && tree.describePlacement
      ? tree.describePlacement(await trainer.placement("loop", K))
      : null;
  return {
    label: tree.label,
    emitted: written.length,
    identity: emittedOps.get("Identity") ?? 0,
    emittedOps,
    ...inspected,
    flops: flopsOf(step),
    bytes: bytesOf(step),
    msPerStep: [],
    losses: [],
    placement,
    model,
    trainer,
  };
}

// ---------- same function: gradients of both trees at one state ----------
/** A state's tensors by parameter name (the trees may pack the weights in different orders). */
function byName(model: ModelLike, r: Record<string, Float32Array>): Map<string, Float32Array> {
  const all = new Float32Array(model.paramEntries.reduce((n, e) => Math.max(n, e.offset + e.size), 0));
  let at = 0;
  for (const p of model.spec.params) {
    all.set(r[p.name]!, at);
    at += p.init.length;
  }
  return new Map(model.paramEntries.map((e) => [e.name, all.subarray(e.offset, e.offset + e.size)]));
}
function fromNames(model: ModelLike, named: Map<string, Float32Array>): Record<string, Float32Array> {
  const total = model.spec.params.reduce((n, p) => n + p.init.length, 0);
  const all = new Float32Array(total);
  for (const e of model.paramEntries) all.set(named.get(e.name)!, e.offset);
  const out: Record<string, Float32Array> = {};
  let at = 0;
  for (const p of model.spec.params) {
    out[p.name] = all.slice(at, at + p.init.length);
    at += p.init.length;
  }
  return out;
}
/** The state of `from` in `to`'s packing. */
function carry(from: Measured, to: Measured): StateLike {
  const s = from.trainer.getState();
  const map = (r: Record<string, Float32Array>) => fromNames(to.model, byName(from.model, r));
  return { step: s.step, params: map(s.params), m: map(s.m), v: map(s.v) };
}
/**
 * The gradient of one step from the trainer's current state, by name: with zero first moments, Adam's
 * m after the step is (1 - beta1) g = g / 2 exactly.
 */
async function gradientAt(m: Measured, s: StateLike): Promise<Map<string, Float32Array>> {
  const zero = (r: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, new Float32Array(v.length)]));
  m.trainer.setState({ ...s, m: zero(s.m) });
  await m.trainer.step(1);
  const g = byName(m.model, m.trainer.getState().m);
  for (const v of g.values()) for (let i = 0; i < v.length; i++) v[i]! /= 1 - OPTIM.betas![0];
  m.trainer.setState(s);
  return g;
}
/** ||g_b - g_a|| / ||g_a|| over every parameter, and the worst parameter's. */
function gradientAgreement(a: Map<string, Float32Array>, b: Map<string, Float32Array>) {
  let num = 0;
  let den = 0;
  let worst = 0;
  let worstName = "";
  let worstNorm = 0;
  for (const [name, ga] of a) {
    const gb = b.get(name)!;
    let n = 0;
    let d = 0;
    for (let i = 0; i < ga.length; i++) {
      n += (ga[i]! - gb[i]!) ** 2;
      d += ga[i]! ** 2;
    }
    num += n;
    den += d;
    const rel = Math.sqrt(n / Math.max(d, 1e-30));
    if (d > 0 && rel > worst) {
      worst = rel;
      worstName = name;
      worstNorm = d;
    }
  }
  return { all: Math.sqrt(num / den), worst, worstName, worstShare: Math.sqrt(worstNorm / den) };
}

/** Gradients of both trees at the same state (base's, carried over), compared. */
async function compareGradients(base: Measured, mine: Measured) {
  const s = base.trainer.getState();
  const ga = await gradientAt(base, s);
  const gb = await gradientAt(mine, carry(base, mine));
  mine.trainer.setState(carry(base, mine));
  return gradientAgreement(ga, gb);
}

async function rep(m: Measured, K: number): Promise<void> {
  const t = performance.now();
  const losses = await m.trainer.step(K);
  m.msPerStep.push((performance.now() - t) / K);
  m.losses.push(...Array.from(losses));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const top = (ops: Map<string, number>, n: number) =>
  [...ops.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");

interface Roofs {
  gflops: number;
  gbps: number;
}

/** Bytes and the roofs: the time each roof alone allows, and which binds. */
function trafficLine(m: Measured, ms: number, roofs: Roofs): string {
  const gbps = m.bytes.total / (ms * 1e6);
  const atGemm = m.flops.matmul / (roofs.gflops * 1e6);
  const atMemory = m.bytes.total / (roofs.gbps * 1e6);
  const byOp = [...m.bytes.byOp.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5)
    .map(([op, b]) => `${op} ${(b / 1e6).toFixed(0)}`)
    .join(", ");
  return (
    `    traffic/step (on paper): ${(m.bytes.total / 1e6).toFixed(0)} MB (${byOp}); ${gbps.toFixed(1)} GB/s = ${((100 * gbps) / roofs.gbps).toFixed(0)}% of the memory roof; ` +
    `at the roofs alone: GEMM ${atGemm.toFixed(1)} ms, memory ${atMemory.toFixed(1)} ms (${atMemory > atGemm ? "memory" : "GEMM"} binds, ${((100 * Math.max(atGemm, atMemory)) / ms).toFixed(0)}% of the step)`
  );
}

function describe(m: Measured, roofs: Roofs): string {
  const roof = roofs.gflops;
  const ms = median(m.msPerStep);
  const gflops = m.flops.matmul / (ms * 1e6);
  const total = m.byOp.reduce((s, [, d]) => s + d, 0);
  const prof = m.byOp
    .slice(0, 6)
    .map(([op, d]) => `${op} ${((100 * d) / total).toFixed(0)}%`)
    .join(", ");
  return [
    `  ${m.label}: ${ms.toFixed(2)} ms/step (${(1000 / ms).toFixed(1)} steps/s; reps ${m.msPerStep.map((x) => x.toFixed(1)).join(" ")})`,
    `    nodes: ${m.emitted} emitted (${m.identity} Identity), ${m.optimizedNodes} after ORT "all"`,
    ...(m.placement ? [`    placement (Loop of the step): ${m.placement}`] : []),
    `    emitted: ${top(m.emittedOps, 8)}`,
    `    optimised: ${top(m.optimizedOps, 8)}`,
    `    FLOPs/step: MatMul ${(m.flops.matmul / 1e6).toFixed(2)} M, other element ops ${(m.flops.elementwise / 1e6).toFixed(2)} M; ${gflops.toFixed(2)} GFLOP/s = ${((100 * gflops) / roof).toFixed(1)}% of the roof`,
    trafficLine(m, ms, roofs),
    ...(prof ? [`    profile (kernel time): ${prof}`] : []),
  ].join("\n");
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const file = join(a.arc, "arc-agi-1", "training_challenges.json");
  if (!existsSync(file)) {
    console.error(
      `\n!!! bench/step: ARC-AGI-1 training data missing (${file}); nothing measured: SKIPPED.\n`,
    );
    return;
  }
  const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const trees = [await loadTree(ROOT, "this tree")];
  if (a.against) {
    const { root, sha } = checkout(a.against);
    trees.unshift(await loadTree(root, `${a.against} (${sha.slice(0, 10)})`));
  }
  if (a.copies) return copiesMode(a, all, trees[0]!);
  const roof = await gemmRoof(trees[trees.length - 1]!);
  const roofs: Roofs = { gflops: roof, gbps: await bandwidthRoof(trees[trees.length - 1]!) };
  console.log(
    `GEMM roof (1024^3 fp32, one thread, best of 7): ${roof.toFixed(1)} GFLOP/s; memory roof (Add of 32 MiB tensors, one thread, best of 7): ${roofs.gbps.toFixed(1)} GB/s; reps ${a.reps}; trainer on --ep ${a.ep}`,
  );
  const rows: string[] = [];
  const report: unknown[] = [];
  for (const id of a.tasks) {
    const raw = all[id];
    if (!raw) {
      console.log(`${id}: not in ${file}; skipped`);
      continue;
    }
    const probe = trees[0]!.taskFromJson(id, raw);
    const K = a.k ?? defaultChunk(taskCost(probe as unknown as Task));
    const ms: Measured[] = [];
    for (const t of trees) ms.push(await prepare(t, raw, id, K, a.profile, a.ep));
    const agree: ReturnType<typeof gradientAgreement>[] = [];
    if (ms.length === 2) agree.push(await compareGradients(ms[0]!, ms[1]!));
    for (const m of ms) await rep(m, K); // warm-up, discarded
    for (const m of ms) m.msPerStep.length = 0;
    for (let r = 0; r < a.reps; r++) for (const m of ms) await rep(m, K);
    // after training: the base's state carried into this tree, then one more gradient each
    if (ms.length === 2) agree.push(await compareGradients(ms[0]!, ms[1]!));
    const grids = [...probe.train.flatMap((p) => [p.input, p.output]), ...probe.test.map((x) => x.input)];
    const grid = `${Math.max(...grids.map((g) => g.height))}x${Math.max(...grids.map((g) => g.width))}`;
    console.log(`\n${id} (grids up to ${grid}, Loop of ${K} steps)`);
    for (const m of ms) console.log(describe(m, roofs));
    const base = ms[0]!;
    const mine = ms[ms.length - 1]!;
    let note = "";
    if (ms.length === 2) {
      const speed = median(base.msPerStep) / median(mine.msPerStep);
      const first = K;
      let worst = 0;
      for (let i = 0; i < first; i++)
        worst = Math.max(
          worst,
          Math.abs(base.losses[i]! - mine.losses[i]!) / Math.max(1, Math.abs(base.losses[i]!)),
        );
      note = `${speed.toFixed(2)}x`;
      const g = agree.map(
        (x) =>
          `${x.all.toExponential(1)} (worst ${x.worstName} ${x.worst.toExponential(1)}, its |g| ${x.worstShare.toExponential(1)} of the whole)`,
      );
      console.log(
        `  speed-up ${note}; losses of the first ${first} steps: worst relative difference ${worst.toExponential(2)}`,
      );
      console.log(
        `  gradient ||g - g_base|| / ||g_base|| at the initial state: ${g[0]}; after the reps: ${g[1]}`,
      );
      rows.push(
        `| ${id} | ${grid} | ${base.emitted} / ${base.optimizedNodes} | ${mine.emitted} / ${mine.optimizedNodes} | ${median(base.msPerStep).toFixed(2)} | ${median(mine.msPerStep).toFixed(2)} | ${note} | ${worst.toExponential(1)} | ${agree[0]!.all.toExponential(1)} / ${agree[1]!.all.toExponential(1)} |`,
      );
    } else
      rows.push(
        `| ${id} | ${grid} | ${mine.emitted} / ${mine.optimizedNodes} | ${median(mine.msPerStep).toFixed(2)} |${a.ep !== "cpu" ? ` ${mine.placement ?? "?"} |` : ""}`,
      );
    report.push({
      id,
      K,
      runs: ms.map((m) => ({
        label: m.label,
        emitted: m.emitted,
        optimized: m.optimizedNodes,
        msPerStep: m.msPerStep,
        flops: m.flops,
        bytes: m.bytes.total,
        profile: m.byOp.slice(0, 10),
        placement: m.placement,
      })),
    });
    for (const m of ms) await m.trainer.release();
    Bun.gc(true);
  }
  console.log("");
  if (trees.length === 2) {
    console.log(
      "| task | grid | nodes before (emitted / optimised) | after | ms/step before | after | speed-up | loss diff, first chunk | gradient diff, start / trained |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
  } else {
    console.log(
      `| task | grid | nodes (emitted / optimised) | ms/step |${a.ep !== "cpu" ? " placement |" : ""}`,
    );
    console.log(`|---|---|---|---|${a.ep !== "cpu" ? "---|" : ""}`);
  }
  for (const r of rows) console.log(r);
  if (a.json) console.log(JSON.stringify({ roof, bandwidthRoof: roofs.gbps, tasks: report }));
}

/**
 * The cost of R copies in one graph against one copy, per task: ms/step of each R measured interleaved
 * in one process, the ratio to R = 1, model-steps per second (R x steps/s), nodes and the memory estimate.
 */
async function copiesMode(a: Args, all: Record<string, unknown>, tree: Tree) {
  const Rs = a.copies!;
  if (Rs.some((r) => !Number.isInteger(r) || r < 1)) throw new Error(`--copies: positive integers\n${USAGE}`);
  console.log(`copies ${Rs.join(", ")}; reps ${a.reps} (median ms/step, interleaved)`);
  const rows: string[] = [];
  for (const id of a.tasks) {
    const raw = all[id];
    if (!raw) {
      console.log(`${id}: not in the training set; skipped`);
      continue;
    }
    const probe = tree.taskFromJson(id, raw);
    const K = a.k ?? defaultChunk(taskCost(probe as unknown as Task));
    const ms: Measured[] = [];
    for (const r of Rs) ms.push(await prepare(tree, raw, id, K, a.profile, a.ep, r));
    for (const m of ms) await rep(m, K); // warm-up, discarded
    for (const m of ms) m.msPerStep.length = 0;
    for (let i = 0; i < a.reps; i++) for (const m of ms) await rep(m, K);
    const grids = [...probe.train.flatMap((p) => [p.input, p.output]), ...probe.test.map((x) => x.input)];
    const grid = `${Math.max(...grids.map((g) => g.height))}x${Math.max(...grids.map((g) => g.width))}`;
    const one = median(ms[0]!.msPerStep);
    if (a.profile)
      ms.forEach((m, i) => {
        const total = m.byOp.reduce((x, [, d]) => x + d, 0);
        const top = m.byOp
          .slice(0, 8)
          .map(
            ([op, d]) =>
              `${op} ${((100 * d) / total).toFixed(0)}% (${(d / 1000 / (K * (a.reps + 1))).toFixed(2)} ms/step)`,
          )
          .join(", ");
        console.log(`${id} R=${Rs[i]}: kernel time ${top}`);
      });
    ms.forEach((m, i) => {
      const R = Rs[i]!;
      const t = median(m.msPerStep);
      rows.push(
        `| ${id} | ${grid} | ${R} | ${m.optimizedNodes} | ${t.toFixed(2)} | ${(t / one).toFixed(2)}x | ${((1000 * R) / t).toFixed(1)} | ${((R * one) / t).toFixed(2)}x | ${(m.model.memoryEstimateBytes / 2 ** 20).toFixed(0)} MiB |`,
      );
    });
    for (const m of ms) await m.trainer.release();
    Bun.gc(true);
  }
  console.log(
    "\n| task | grid | copies R | nodes after ORT | ms/step | cost against R = 1 | model-steps/s | model-steps/s against R = 1 | memory estimate |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}

await main();
