// Reductions and normalising maps: ReduceSum/Mean/Max, LogSumExp, Softmax, LogSoftmax, ArgMax.
// Opset 17: ReduceSum takes its axes as an input; the others take an `axes` attribute.
import { type Tensor, attr } from "./graph.ts";
import { normAxes, normAxis } from "./shape.ts";

function reducedShape(shape: readonly number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(d);
  });
  return out;
}

function allAxes(x: Tensor): number[] {
  return x.shape.map((_, i) => i);
}

export function reduceSum(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const ax = normAxes("ReduceSum", axes ?? allAxes(x), x.rank);
  if (ax.length === 0) return x;
  const shape = reducedShape(x.shape, ax, keepdims);
  return x.graph.node("ReduceSum", [x, x.graph.int64s(ax)], [{ dtype: x.dtype, shape }], {
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0]!;
}

function reduceAttr(op: string, x: Tensor, axes: number[] | undefined, keepdims: boolean): Tensor {
  const ax = normAxes(op, axes ?? allAxes(x), x.rank);
  if (ax.length === 0) return x;
  const shape = reducedShape(x.shape, ax, keepdims);
  return x.graph.node(op, [x], [{ dtype: x.dtype, shape }], {
    axes: attr.ints(ax),
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0]!;
}

export const reduceMean = (x: Tensor, axes?: number[], keepdims = false) =>
  reduceAttr("ReduceMean", x, axes, keepdims);
export const reduceMax = (x: Tensor, axes?: number[], keepdims = false) =>
  reduceAttr("ReduceMax", x, axes, keepdims);
export const reduceMin = (x: Tensor, axes?: number[], keepdims = false) =>
  reduceAttr("ReduceMin", x, axes, keepdims);
/** log(sum(exp(x))) over `axes`, computed stably by the runtime. */
export const logSumExp = (x: Tensor, axes?: number[], keepdims = false) =>
  reduceAttr("ReduceLogSumExp", x, axes, keepdims);

export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis("Softmax", axis, x.rank);
  return x.graph.node("Softmax", [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.int(a) })[0]!;
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis("LogSoftmax", axis, x.rank);
  return x.graph.node("LogSoftmax", [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.int(a) })[0]!;
}

export function argMax(x: Tensor, axis = -1, keepdims = false): Tensor {
  const a = normAxis("ArgMax", axis, x.rank);
  const shape = reducedShape(x.shape, [a], keepdims);
  return x.graph.node("ArgMax", [x], [{ dtype: "int64", shape }], {
    axis: attr.int(a),
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0]!;
}
