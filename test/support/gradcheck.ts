// Test support: float64 central-difference gradient checks of graphs built with src/graph and
// differentiated with src/autodiff, run by ONNX Runtime on the CPU.
//
// A case builds y = op(x0, x1, ...) from graph inputs; the loss is sum(y * W) with fixed random
// weights W (so every element of dY differs and gradients are non-trivial). The analytic gradients of
// every float input come from `gradients`, the numeric ones from central differences of the loss.
//
// Error metric (one number per input): the max-abs error normalised by the gradient's scale,
//   err = max_i |a_i - n_i| / max(max_i |a_i|, max_i |n_i|)   (0 when both gradients are all zero).
// It is insensitive to elements that are ~0 by chance, yet a wrong element of any size that matters
// shows up (a component off by 1% of the largest one gives err = 1e-2).
import { type DType, Graph, type Tensor, mul, reduceSum, toModelBytes } from "../../src/graph/index.ts";
import { gradients } from "../../src/autodiff/index.ts";
import { releaseSession, openSessions } from "../../src/runtime/registry.ts";
import { type Feed, cpuSession, runPlain } from "./ort.ts";

/**
 * How an input is filled: any in [-1,1]; positive in [0.5,1.5]; nonzero |x| in [0.2,1] with a random
 * sign (away from the kinks of Abs/Relu and the pole of Reciprocal/Div); distinct: all values different,
 * 0.1 apart (ReduceMax/Min without ties); gridA / gridB: odd / even multiples of 0.05, so an A value and a
 * B value are at least 0.05 apart (Max/Min without ties); int: fixed integer values (indices).
 */
export type Init = "any" | "positive" | "nonzero" | "distinct" | "gridA" | "gridB";

export interface InputSpec {
  shape: number[];
  init?: Init;
}

export interface GradCase {
  /** Shown as the test's name, e.g. "Add [2,3]+[3]". */
  name: string;
  /** The registered op this case exercises (the coverage test checks a node of it is built). */
  op: string;
  /** One entry per differentiable input: a shape, or a shape with an init. */
  inputs: (number[] | InputSpec)[];
  build: (xs: Tensor[], g: Graph) => Tensor;
  /** float64 unless ORT's CPU provider lacks a float64 kernel for the op (then float32, looser check). */
  dtype?: "float64" | "float32";
  /** ORT graph optimisation level for this case's sessions (default "all"). */
  optimization?: "basic" | "all";
}

export interface BuiltCase {
  g: Graph;
  xs: Tensor[];
  y: Tensor;
  loss: Tensor;
  /** opTypes of the nodes `build` created. */
  builtOps: Set<string>;
  forwardBytes: Uint8Array;
  gradBytes: Uint8Array;
  gradNames: string[];
  feeds: Record<string, Feed>;
}

export interface CheckResult {
  name: string;
  op: string;
  dtype: DType;
  /** err (see above) for each input, in input order. */
  errors: number[];
  worst: number;
}

/** mulberry32: a small seeded generator so every case sees the same numbers on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function fill(n: number, init: Init, r: () => number): number[] {
  const u = () => 2 * r() - 1;
  switch (init) {
    case "any":
      return Array.from({ length: n }, u);
    case "positive":
      return Array.from({ length: n }, () => 0.5 + r());
    case "nonzero":
      return Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.2 + 0.8 * r()));
    case "distinct": {
      const vals = Array.from({ length: n }, (_, i) => 0.1 * (i - (n - 1) / 2));
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [vals[i], vals[j]] = [vals[j]!, vals[i]!];
      }
      return vals;
    }
    case "gridA":
      return Array.from({ length: n }, () => 0.05 + 0.1 * (Math.floor(r() * 20) - 10));
    case "gridB":
      return Array.from({ length: n }, () => 0.1 * (Math.floor(r() * 21) - 10));
  }
}

const specOf = (s: number[] | InputSpec): InputSpec => (Array.isArray(s) ? { shape: s } : s);
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** float32 cases use values on a 2^-10 grid so x +- k*h (h = 2^-7) is exact in float32. */
const quantise = (v: number) => Math.round(v * 1024) / 1024;

export function buildCase(c: GradCase): BuiltCase {
  const dtype = c.dtype ?? "float64";
  const r = rng(hashString(c.name));
  const g = new Graph(c.name.replace(/[^A-Za-z0-9_]+/g, "_"));
  const specs = c.inputs.map(specOf);
  const xs = specs.map((s, i) => g.input(`x${i}`, dtype, s.shape));
  const before = g.nodes.length;
  const y = c.build(xs, g);
  const builtOps = new Set(g.nodes.slice(before).map((n) => n.opType));
  const w = g.constant(dtype, y.shape, fill(y.size, "any", r), "loss_weights");
  const loss = reduceSum(mul(y, w));
  g.output(loss, "loss");
  const forwardBytes = toModelBytes(g);
  const grads = gradients(loss, xs);
  const gradNames = grads.map((t) => g.output(t).name);
  const gradBytes = toModelBytes(g);
  const feeds: Record<string, Feed> = {};
  specs.forEach((s, i) => {
    let data = fill(count(s.shape), s.init ?? "any", r);
    if (dtype === "float32") data = data.map(quantise);
    feeds[`x${i}`] = { dtype, shape: s.shape, data };
  });
  return { g, xs, y, loss, builtOps, forwardBytes, gradBytes, gradNames, feeds };
}

/** Central differences of the loss w.r.t. every element of every input. */
async function numericGradients(
  b: BuiltCase & { optimization?: "basic" | "all" },
  dtype: DType,
): Promise<number[][]> {
  const fwd = await cpuSession(b.forwardBytes, "gradcheck-forward", b.optimization);
  try {
    const lossAt = async (feeds: Record<string, Feed>) =>
      (await runPlain(fwd, feeds, ["loss"])).loss!.data[0]!;
    // float64: 2-point stencil, h = 1e-6 (truncation ~1e-12, round-off ~1e-10 relative).
    // float32: 5-point stencil, h = 2^-7 (truncation O(h^4) ~ 1e-9, round-off ~1e-5 relative).
    const stencil: [number, number][] =
      dtype === "float64"
        ? [
            [1, 0.5],
            [-1, -0.5],
          ]
        : [
            [-2, 1 / 12],
            [-1, -8 / 12],
            [1, 8 / 12],
            [2, -1 / 12],
          ];
    const h = dtype === "float64" ? 1e-6 : 2 ** -7;
    const out: number[][] = [];
    for (const [name, feed] of Object.entries(b.feeds)) {
      const base = Array.from(feed.data as ArrayLike<number>);
      const grad: number[] = [];
      for (let i = 0; i < base.length; i++) {
        let acc = 0;
        for (const [k, coef] of stencil) {
          const data = base.slice();
          data[i] = base[i]! + k * h;
          acc += coef * (await lossAt({ ...b.feeds, [name]: { ...feed, data } }));
        }
        grad.push(acc / h);
      }
      out.push(grad);
    }
    return out;
  } finally {
    for (const e of openSessions()) if (e.session === fwd) await releaseSession(e);
  }
}

export function scaledMaxError(a: readonly number[], n: readonly number[]): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - n[i]!));
    scale = Math.max(scale, Math.abs(a[i]!), Math.abs(n[i]!));
  }
  if (!Number.isFinite(diff) || a.length !== n.length) return Number.POSITIVE_INFINITY;
  return scale === 0 ? 0 : diff / scale;
}

export async function checkCase(c: GradCase): Promise<CheckResult> {
  const dtype = c.dtype ?? "float64";
  const b = buildCase(c);
  const session = await cpuSession(b.gradBytes, "gradcheck", c.optimization);
  let analytic: number[][];
  try {
    const res = await runPlain(session, b.feeds, b.gradNames);
    analytic = b.gradNames.map((n, i) => {
      const t = res[n]!;
      const want = b.xs[i]!.shape;
      if (t.dims.length !== want.length || t.dims.some((d, j) => d !== want[j])) {
        throw new Error(`${c.name}: gradient ${n} has dims [${t.dims}] but ${b.xs[i]!.name} has [${want}]`);
      }
      return t.data;
    });
  } finally {
    for (const e of openSessions()) if (e.session === session) await releaseSession(e);
  }
  const numeric = await numericGradients({ ...b, optimization: c.optimization }, dtype);
  const errors = analytic.map((a, i) => scaledMaxError(a, numeric[i]!));
  return { name: c.name, op: c.op, dtype, errors, worst: Math.max(0, ...errors) };
}
