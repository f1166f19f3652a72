// Elementwise ops: unary maths, broadcasting binary maths and comparisons, Where, Cast, and the
// composites SiLU and Gelu (built from Sigmoid and Erf so opset 17 suffices).
import { type DType, isFloat } from "./dtype.ts";
import { GraphError, type Tensor, attr } from "./graph.ts";
import { broadcastShapes } from "./shape.ts";

export type Operand = Tensor | number;

/** Turn a plain number into a scalar constant of the other operand's dtype. */
function lift(a: Operand, b: Operand, op: string): [Tensor, Tensor] {
  if (typeof a === "number" && typeof b === "number")
    throw new GraphError(`${op}: needs at least one tensor`);
  const ta = typeof a === "number" ? (b as Tensor).graph.scalar(a, (b as Tensor).dtype) : a;
  const tb = typeof b === "number" ? ta.graph.scalar(b, ta.dtype) : b;
  if (ta.dtype !== tb.dtype)
    throw new GraphError(`${op}: dtypes ${ta.dtype} and ${tb.dtype} differ (${ta.name}, ${tb.name})`);
  return [ta, tb];
}

function binary(op: string, a: Operand, b: Operand, outDtype?: DType): Tensor {
  const [x, y] = lift(a, b, op);
  const shape = broadcastShapes(op, x.shape, y.shape);
  return x.graph.node(op, [x, y], [{ dtype: outDtype ?? x.dtype, shape }])[0]!;
}

function unary(op: string, x: Tensor, requireFloat = true): Tensor {
  if (requireFloat && !isFloat(x.dtype))
    throw new GraphError(`${op}: needs a float tensor, got ${x.dtype} (${x.name})`);
  return x.graph.node(op, [x], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

export const add = (a: Operand, b: Operand) => binary("Add", a, b);
export const sub = (a: Operand, b: Operand) => binary("Sub", a, b);
export const mul = (a: Operand, b: Operand) => binary("Mul", a, b);
export const div = (a: Operand, b: Operand) => binary("Div", a, b);
export const pow = (a: Operand, b: Operand) => binary("Pow", a, b);
export const equal = (a: Operand, b: Operand) => binary("Equal", a, b, "bool");
export const less = (a: Operand, b: Operand) => binary("Less", a, b, "bool");
export const greater = (a: Operand, b: Operand) => binary("Greater", a, b, "bool");
export const lessOrEqual = (a: Operand, b: Operand) => binary("LessOrEqual", a, b, "bool");
export const greaterOrEqual = (a: Operand, b: Operand) => binary("GreaterOrEqual", a, b, "bool");
export const and = (a: Tensor, b: Tensor) => binary("And", a, b, "bool");
export const or = (a: Tensor, b: Tensor) => binary("Or", a, b, "bool");

/** Elementwise maximum / minimum of two tensors (ONNX Max/Min, broadcasting). */
export const max = (a: Operand, b: Operand) => binary("Max", a, b);

/** The sum of several tensors that broadcast to one shape, in one ONNX Sum node (one tensor: itself; a GPU graph: Adds). */
export function sum(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new GraphError("Sum: needs at least one tensor");
  if (xs.length === 1) return xs[0]!;
  const dtype = xs[0]!.dtype;
  const bad = xs.find((x) => x.dtype !== dtype);
  if (bad) throw new GraphError(`Sum: dtypes ${dtype} and ${bad.dtype} differ (${bad.name})`);
  const shape = broadcastShapes("Sum", ...xs.map((x) => x.shape));
  if (xs[0]!.graph.gpu) {
    // a balanced tree of Adds: ORT's WebGPU provider has no Sum kernel
    const half = xs.length >> 1;
    return binary("Add", sum(xs.slice(0, half)), sum(xs.slice(half)));
  }
  return xs[0]!.graph.node("Sum", [...xs], [{ dtype, shape }])[0]!;
}
export const min = (a: Operand, b: Operand) => binary("Min", a, b);

export const neg = (x: Tensor) => unary("Neg", x, false);
export const abs = (x: Tensor) => unary("Abs", x, false);
export const sign = (x: Tensor) => unary("Sign", x, false);
export const exp = (x: Tensor) => unary("Exp", x);
export const log = (x: Tensor) => unary("Log", x);
export const sqrt = (x: Tensor) => unary("Sqrt", x);
export const reciprocal = (x: Tensor) => unary("Reciprocal", x);
export const tanh = (x: Tensor) => unary("Tanh", x);
export const sigmoid = (x: Tensor) => unary("Sigmoid", x);
export const relu = (x: Tensor) => unary("Relu", x);
export const erf = (x: Tensor) => unary("Erf", x);
export const floor = (x: Tensor) => unary("Floor", x);
export const sin = (x: Tensor) => unary("Sin", x);
export const cos = (x: Tensor) => unary("Cos", x);
export const identity = (x: Tensor) => unary("Identity", x, false);
export const not = (x: Tensor) => {
  if (x.dtype !== "bool") throw new GraphError(`Not: needs bool, got ${x.dtype} (${x.name})`);
  return unary("Not", x, false);
};

/** SiLU(x) = x * sigmoid(x). */
export const silu = (x: Tensor) => x.graph.scope("SiLU", () => mul(x, sigmoid(x)));

/** Gelu(x) = 0.5 x (1 + erf(x / sqrt 2)), exact form. */
export const gelu = (x: Tensor) =>
  x.graph.scope("Gelu", () => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1)));

/** where(cond, a, b): a where cond is true, else b (broadcasting all three). */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== "bool")
    throw new GraphError(`Where: condition must be bool, got ${cond.dtype} (${cond.name})`);
  const [x, y] = lift(a, b, "Where");
  const shape = broadcastShapes("Where", cond.shape, x.shape, y.shape);
  return x.graph.node("Where", [cond, x, y], [{ dtype: x.dtype, shape }])[0]!;
}

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  const codes: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };
  return x.graph.node("Cast", [x], [{ dtype: to, shape: x.shape }], { to: attr.int(codes[to]) })[0]!;
}
