// Shape and indexing ops: Reshape, Transpose, Unsqueeze, Squeeze, Expand, Concat, Slice (negative
// steps flip), Pad, Gather, CumSum, OneHot, Tile. Shapes are computed here, at build time.
import { size } from "./dtype.ts";
import { GPU_MAX_PIECES, GraphError, type Tensor, attr } from "./graph.ts";
import { broadcastShapes, formatShape, normAxes, normAxis } from "./shape.ts";

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = shape.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const holes = out.filter((d) => d === -1).length;
  if (holes > 1) throw new GraphError(`Reshape: more than one -1 in ${formatShape(shape)}`);
  if (holes === 1) out[out.indexOf(-1)] = known === 0 ? 0 : x.size / known;
  if (size(out) !== x.size || !out.every(Number.isInteger)) {
    throw new GraphError(`Reshape: cannot reshape ${x} of ${x.size} elements to ${formatShape(shape)}`);
  }
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.node("Reshape", [x, x.graph.int64s(out)], [{ dtype: x.dtype, shape: out }])[0]!;
}

export function transpose(x: Tensor, perm?: number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const valid =
    p.length === x.rank &&
    p.every((a) => Number.isInteger(a) && a >= 0 && a < x.rank) &&
    new Set(p).size === p.length;
  if (!valid) {
    throw new GraphError(`Transpose: perm [${p.join(",")}] is not a permutation for ${x}`);
  }
  if (p.every((a, i) => a === i)) return x;
  return x.graph.node("Transpose", [x], [{ dtype: x.dtype, shape: p.map((a) => x.shape[a]!) }], {
    perm: attr.ints(p),
  })[0]!;
}

export function unsqueeze(x: Tensor, axes: number[]): Tensor {
  const rank = x.rank + axes.length;
  const ax = normAxes("Unsqueeze", axes, rank);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x.shape[k++]!);
  return x.graph.node("Unsqueeze", [x, x.graph.int64s(ax)], [{ dtype: x.dtype, shape: out }])[0]!;
}

export function squeeze(x: Tensor, axes: number[]): Tensor {
  const ax = normAxes("Squeeze", axes, x.rank);
  for (const a of ax) if (x.shape[a] !== 1) throw new GraphError(`Squeeze: axis ${a} of ${x} is not 1`);
  const out = x.shape.filter((_, i) => !ax.includes(i));
  return x.graph.node("Squeeze", [x, x.graph.int64s(ax)], [{ dtype: x.dtype, shape: out }])[0]!;
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes("Expand", x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.node("Expand", [x, x.graph.int64s([...shape])], [{ dtype: x.dtype, shape: out }])[0]!;
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new GraphError("Concat: no inputs");
  const first = xs[0]!;
  if (xs.length === 1) return first;
  const a = normAxis("Concat", axis, first.rank);
  let total = 0;
  for (const t of xs) {
    const ok =
      t.rank === first.rank &&
      t.dtype === first.dtype &&
      t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) throw new GraphError(`Concat: ${t} does not match ${first} outside axis ${a}`);
    total += t.shape[a]!;
  }
  if (first.graph.gpu && xs.length > GPU_MAX_PIECES)
    return concat(
      chunks(xs, Math.ceil(xs.length / GPU_MAX_PIECES)).map((c) => concat(c, a)),
      a,
    );
  const shape = first.shape.map((d, i) => (i === a ? total : d));
  return first.graph.node("Concat", xs, [{ dtype: first.dtype, shape }], { axis: attr.int(a) })[0]!;
}

/** Length of range(start, end, step) after ONNX clamping. */
function sliceLength(dim: number, start: number, end: number, step: number): [number, number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    return [Math.max(0, Math.ceil((e - s) / step)), s, e];
  }
  s = clamp(s, 0, dim - 1);
  e = clamp(e, -1, dim - 1);
  return [Math.max(0, Math.ceil((e - s) / step)), s, e];
}

/** x[starts:ends:steps] along `axes`. Use a very negative end (e.g. -2**31) with step -1 to flip. */
export function slice(
  x: Tensor,
  starts: number[],
  ends: number[],
  axes?: number[],
  steps?: number[],
): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis("Slice", a, x.rank));
  const st = steps ?? starts.map(() => 1);
  if (st.some((s) => s === 0)) throw new GraphError(`Slice: step 0 on ${x}`);
  const out = [...x.shape];
  ax.forEach((a, i) => {
    out[a] = sliceLength(x.shape[a]!, starts[i]!, ends[i]!, st[i]!)[0];
  });
  const g = x.graph;
  const inputs = [x, g.int64s(starts), g.int64s(ends), g.int64s(ax), g.int64s(st)];
  return g.node("Slice", inputs, [{ dtype: x.dtype, shape: out }])[0]!;
}

/** Reverse `x` along `axis` (Slice with step -1). */
export const flip = (x: Tensor, axis: number) => slice(x, [-1], [-(2 ** 31)], [axis], [-1]);

/** Constant padding: pads = [begin_0, ..., begin_n, end_0, ..., end_n] (negative crops). */
export function pad(x: Tensor, pads: number[], value = 0): Tensor {
  if (pads.length !== 2 * x.rank) throw new GraphError(`Pad: ${pads.length} pads for ${x}`);
  const out = x.shape.map((d, i) => d + pads[i]! + pads[i + x.rank]!);
  if (out.some((d) => d < 0)) throw new GraphError(`Pad: pads [${pads.join(",")}] crop ${x} below zero`);
  const g = x.graph;
  return g.node(
    "Pad",
    [x, g.int64s(pads), g.constant(x.dtype, [], [value])],
    [{ dtype: x.dtype, shape: out }],
    {
      mode: attr.string("constant"),
    },
  )[0]!;
}

/** Gather slices of `x` along `axis` at integer `indices` (int64 or int32 tensor). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = normAxis("Gather", axis, x.rank);
  if (indices.dtype !== "int64" && indices.dtype !== "int32")
    throw new GraphError(`Gather: indices must be integers, got ${indices}`);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return x.graph.node("Gather", [x, indices], [{ dtype: x.dtype, shape }], { axis: attr.int(a) })[0]!;
}

export function cumSum(
  x: Tensor,
  axis: number,
  opts: { exclusive?: boolean; reverse?: boolean } = {},
): Tensor {
  const a = normAxis("CumSum", axis, x.rank);
  return x.graph.node(
    "CumSum",
    [x, x.graph.constant("int64", [], [a])],
    [{ dtype: x.dtype, shape: x.shape }],
    {
      exclusive: attr.int(opts.exclusive ? 1 : 0),
      reverse: attr.int(opts.reverse ? 1 : 0),
    },
  )[0]!;
}

/** One-hot encoding on a new last axis of size `depth`, with values off/on of `dtype`. */
export function oneHot(indices: Tensor, depth: number, dtype: "float32" | "float64" = "float32"): Tensor {
  const g = indices.graph;
  const shape = [...indices.shape, depth];
  return g.node(
    "OneHot",
    [indices, g.constant("int64", [], [depth]), g.constant(dtype, [2], [0, 1])],
    [{ dtype, shape }],
    {
      axis: attr.int(-1),
    },
  )[0]!;
}

export function tile(x: Tensor, repeats: number[]): Tensor {
  if (repeats.length !== x.rank) throw new GraphError(`Tile: ${repeats.length} repeats for ${x}`);
  const shape = x.shape.map((d, i) => d * repeats[i]!);
  return x.graph.node("Tile", [x, x.graph.int64s(repeats)], [{ dtype: x.dtype, shape }])[0]!;
}

/** Cut `x` along `axis` into consecutive pieces of the given sizes (one ONNX Split node). */
export function split(x: Tensor, sizes: number[], axis = 0): Tensor[] {
  const a = normAxis("Split", axis, x.rank);
  const total = sizes.reduce((s, n) => s + n, 0);
  if (total !== x.shape[a] || sizes.some((n) => n < 0 || !Number.isInteger(n))) {
    throw new GraphError(`Split: sizes [${sizes.join(",")}] do not cut axis ${a} of ${x}`);
  }
  if (sizes.length === 1) return [x];
  if (x.graph.gpu && sizes.length > GPU_MAX_PIECES) {
    // groups of at most GPU_MAX_PIECES, cut out of x first (recursively), then each cut into its pieces
    const groups = chunks(sizes, Math.ceil(sizes.length / GPU_MAX_PIECES));
    const parts = split(
      x,
      groups.map((gs) => gs.reduce((s, n) => s + n, 0)),
      a,
    );
    return groups.flatMap((gs, i) => split(parts[i]!, gs, a));
  }
  const outs = sizes.map((n) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? n : d)) }));
  return x.graph.node("Split", [x, x.graph.int64s(sizes)], outs, { axis: attr.int(a) });
}

/** `xs` cut into `n` consecutive runs of near-equal length (the first ones one longer). */
function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const len = Math.floor(xs.length / n) + (i < xs.length % n ? 1 : 0);
    out.push(xs.slice(at, at + len));
    at += len;
  }
  return out;
}
