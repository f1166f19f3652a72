// Gradient rules for elementwise ops. Notation: X, A, B inputs; Y output; dY its gradient.
import * as G from "../../graph/index.ts";
import { defineGrad, defineNoGrad } from "../registry.ts";

defineNoGrad(
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Not",
  "ArgMax",
  "Shape",
  "Floor",
  "Sign",
  "OneHot",
);

// dA = dY, dB = dY
defineGrad("Add", { grad: ({ dY }) => [dY[0], dY[0]] });
// dX_i = dY for every operand
defineGrad("Sum", { grad: ({ dY, inputs }) => inputs.map(() => dY[0]) });
// dA = dY, dB = -dY
defineGrad("Sub", { grad: ({ dY, needs }) => [dY[0], needs(1) ? G.neg(dY[0]!) : null] });
// dA = dY * B, dB = dY * A
defineGrad("Mul", {
  grad: ({ dY, inputs: [a, b], needs }) => [
    needs(0) ? G.mul(dY[0]!, b!) : null,
    needs(1) ? G.mul(dY[0]!, a!) : null,
  ],
});
// dA = dY / B, dB = -dY * Y / B
defineGrad("Div", {
  grad: ({ dY, inputs: [, b], outputs: [y], needs }) => [
    needs(0) ? G.div(dY[0]!, b!) : null,
    needs(1) ? G.neg(G.div(G.mul(dY[0]!, y!), b!)) : null,
  ],
});
// dA = dY * B * A^(B-1), dB = dY * Y * log(A)
defineGrad("Pow", {
  grad: ({ dY, inputs: [a, b], outputs: [y], needs }) => [
    needs(0) ? G.mul(dY[0]!, G.mul(b!, G.pow(a!, G.sub(b!, 1)))) : null,
    needs(1) ? G.mul(dY[0]!, G.mul(y!, G.log(a!))) : null,
  ],
});
// dX = -dY
defineGrad("Neg", { grad: ({ dY }) => [G.neg(dY[0]!)] });
// dX = dY
defineGrad("Identity", { grad: ({ dY }) => [dY[0]] });
// dX = dY * sign(X)
defineGrad("Abs", { grad: ({ dY, inputs: [x] }) => [G.mul(dY[0]!, G.sign(x!))] });
// dX = dY * Y
defineGrad("Exp", { grad: ({ dY, outputs: [y] }) => [G.mul(dY[0]!, y!)] });
// dX = dY / X
defineGrad("Log", { grad: ({ dY, inputs: [x] }) => [G.div(dY[0]!, x!)] });
// dX = dY * 0.5 / Y
defineGrad("Sqrt", { grad: ({ dY, outputs: [y] }) => [G.div(G.mul(dY[0]!, 0.5), y!)] });
// dX = -dY * Y^2
defineGrad("Reciprocal", { grad: ({ dY, outputs: [y] }) => [G.neg(G.mul(dY[0]!, G.mul(y!, y!)))] });
// dX = dY * (1 - Y^2)
defineGrad("Tanh", { grad: ({ dY, outputs: [y] }) => [G.mul(dY[0]!, G.sub(1, G.mul(y!, y!)))] });
// dX = dY * Y * (1 - Y)
defineGrad("Sigmoid", { grad: ({ dY, outputs: [y] }) => [G.mul(dY[0]!, G.mul(y!, G.sub(1, y!)))] });
// dX = dY where Y > 0, else 0. From the output Y (= X where X > 0) so that X feeds only the Relu and ORT can
// fuse the producing Gemm with it; Mul by the cast mask is faster on ORT's CPU than Where with a scalar 0.
defineGrad("Relu", { grad: ({ dY, outputs: [y] }) => [G.mul(dY[0]!, G.cast(G.greater(y!, 0), y!.dtype))] });
// dX = dY * cos(X)
defineGrad("Sin", { grad: ({ dY, inputs: [x] }) => [G.mul(dY[0]!, G.cos(x!))] });
// dX = -dY * sin(X)
defineGrad("Cos", { grad: ({ dY, inputs: [x] }) => [G.neg(G.mul(dY[0]!, G.sin(x!)))] });
// dX = dY * 2/sqrt(pi) * exp(-X^2)
defineGrad("Erf", {
  grad: ({ dY, inputs: [x] }) => [G.mul(dY[0]!, G.mul(G.exp(G.neg(G.mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],
});
// dA = dY where A >= B, dB = dY where A < B (ties go to A)
defineGrad("Max", {
  grad: ({ dY, inputs: [a, b], needs }) => {
    const takeA = G.greaterOrEqual(a!, b!);
    return [needs(0) ? G.where(takeA, dY[0]!, 0) : null, needs(1) ? G.where(takeA, 0, dY[0]!) : null];
  },
});
// dA = dY where A <= B, dB = dY where A > B (ties go to A)
defineGrad("Min", {
  grad: ({ dY, inputs: [a, b], needs }) => {
    const takeA = G.lessOrEqual(a!, b!);
    return [needs(0) ? G.where(takeA, dY[0]!, 0) : null, needs(1) ? G.where(takeA, 0, dY[0]!) : null];
  },
});
// dX = where(C, dY, 0), dY' = where(C, 0, dY)
defineGrad("Where", {
  nondiff: [0],
  grad: ({ dY, inputs: [c], needs }) => [
    null,
    needs(1) ? G.where(c!, dY[0]!, 0) : null,
    needs(2) ? G.where(c!, 0, dY[0]!) : null,
  ],
});
// dX = cast(dY, dtype of X)
defineGrad("Cast", {
  grad: ({ dY, inputs: [x] }) => [G.isFloat(x!.dtype) ? G.cast(dY[0]!, x!.dtype) : null],
});
