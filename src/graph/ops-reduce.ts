// Reductions and normalising maps: ReduceSum/Mean/Max, LogSumExp, Softmax, LogSoftmax, ArgMax.
// Opset 17: ReduceSum takes its axes as an input; the others take an `axes` attribute.
import { type Tensor, attr } from "./graph.ts";
import { matmul } from "./ops-linalg.ts";
import { reshape } from "./ops-shape.ts";
import { normAxes, normAxis } from "./shape.ts";
import { planSum, stackedIdentity } from "./sum-plan.ts";

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

/** One ReduceSum node (opset 17: axes as an input). */
function reduceSumNode(x: Tensor, ax: number[], keepdims: boolean): Tensor {
  const shape = reducedShape(x.shape, ax, keepdims);
  return x.graph.node("ReduceSum", [x, x.graph.int64s(ax)], [{ dtype: x.dtype, shape }], {
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0]!;
}

/** One ReduceMean node (opset 17: axes as an attribute). */
function reduceMeanNode(x: Tensor, ax: number[], keepdims: boolean): Tensor {
  return reduceAttr("ReduceMean", x, ax, keepdims);
}

/** A sum (or mean) emitted the way sum-plan.ts finds cheapest for ORT's CPU kernels. */
function planned(x: Tensor, ax: number[], keepdims: boolean, mean: boolean): Tensor {
  const node = mean ? reduceMeanNode : reduceSumNode;
  const plan = planSum(x.shape, ax);
  if (plan.kind === "direct") return node(x, ax, keepdims);
  const out = reducedShape(x.shape, ax, keepdims);
  if (plan.kind === "reshaped") return reshape(node(reshape(x, plan.shape), plan.axes, true), out);
  const { outer, reduced, inner } = plan;
  const stack = x.graph.constant(
    x.dtype,
    [reduced * inner, inner],
    stackedIdentity(reduced, inner, mean ? 1 / reduced : 1),
  );
  return reshape(matmul(reshape(x, [outer, reduced * inner]), stack), out);
}

export function reduceSum(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const ax = normAxes("ReduceSum", axes ?? allAxes(x), x.rank);
  if (ax.length === 0) return x;
  return planned(x, ax, keepdims, false);
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

export function reduceMean(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const ax = normAxes("ReduceMean", axes ?? allAxes(x), x.rank);
  if (ax.length === 0) return x;
  return planned(x, ax, keepdims, true);
}
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
