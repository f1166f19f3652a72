// Gradient rules for MatMul, Gemm and Einsum.
import * as G from "../../graph/index.ts";
import type { Tensor } from "../../graph/graph.ts";
import { GraphError } from "../../graph/graph.ts";
import { defineGrad } from "../registry.ts";

/** Swap the last two axes. */
const swapLast = (t: Tensor) =>
  G.transpose(
    t,
    [...t.shape.keys()].map((i) => (i === t.rank - 2 ? t.rank - 1 : i === t.rank - 1 ? t.rank - 2 : i)),
  );

const matrixSize = (t: Tensor) => t.shape[t.rank - 1]! * t.shape[t.rank - 2]!;

/**
 * dB = A^T @ dY, oriented for ORT's CPU kernels: a transposed *first* operand is slow there (batched
 * FusedMatMul transposes it per matrix), and a product with few columns wastes the GEMM kernel's width.
 * So when A's matrices are much larger than dY's (attention probabilities), or dB has few columns and
 * many rows (a classifier head), compute (dY^T @ A)^T instead: the transposes land on the small operands.
 */
function matmulGradB(a: Tensor, dy: Tensor): Tensor {
  const bigA = a.rank > 2 && matrixSize(a) > 4 * matrixSize(dy);
  const narrow = a.rank === 2 && dy.rank === 2 && dy.shape[1]! < 16 && a.shape[1]! >= 64;
  return bigA || narrow ? swapLast(G.matmul(swapLast(dy), a)) : G.matmul(swapLast(a), dy);
}

// dA = dY @ B^T, dB = A^T @ dY (batch axes reduced by the driver)
defineGrad("MatMul", {
  grad: ({ dY, inputs: [a, b], needs }) => [
    needs(0) ? G.matmul(dY[0]!, swapLast(b!)) : null,
    needs(1) ? matmulGradB(a!, dY[0]!) : null,
  ],
});

// Y = alpha op(A) op(B) + beta C: d op(A) = alpha dY op(B)^T, d op(B) = alpha op(A)^T dY, dC = beta dY
defineGrad("Gemm", {
  grad: (c) => {
    const [a, b] = c.inputs as [Tensor, Tensor];
    const dy = c.dY[0]!;
    const alpha = c.floatAttr("alpha", 1);
    const beta = Math.fround(c.floatAttr("beta", 1)); // ONNX float attributes are float32: the forward used this value
    const tA = !!c.intAttr("transA", 0);
    const tB = !!c.intAttr("transB", 0);
    // dA: if transA, dA = alpha * op(B) dY^T, else alpha * dY op(B)^T
    const dA = c.needs(0)
      ? tA
        ? G.gemm(b, dy, undefined, { transA: tB, transB: true, alpha })
        : G.gemm(dy, b, undefined, { transB: !tB, alpha })
      : null;
    // dB: if transB, dB = alpha * dY^T op(A), else alpha * op(A)^T dY
    const dB = c.needs(1)
      ? tB
        ? G.gemm(dy, a, undefined, { transA: true, transB: tA, alpha })
        : G.gemm(a, dy, undefined, { transA: !tA, alpha })
      : null;
    const dC = c.needs(2) ? (beta === 1 ? dy : G.mul(dy, beta)) : null;
    return [dA, dB, dC];
  },
});

// dX_i = einsum(dY and the other operands -> term of X_i), broadcast over letters only X_i has
defineGrad("Einsum", {
  grad: (c) => {
    const spec = G.parseEinsum(c.stringAttr("equation")!);
    for (const t of spec.inputs) {
      if (new Set(t).size !== t.length)
        throw new GraphError(`autodiff: Einsum with a repeated letter (${t}) has no gradient rule`);
    }
    return c.inputs.map((x, i) => {
      if (!c.needs(i)) return null;
      const term = spec.inputs[i]!;
      const others = spec.inputs.filter((_, j) => j !== i);
      const known = new Set([...spec.output, ...others.join("")]);
      const kept = [...term].filter((l) => known.has(l)).join("");
      const operands = [c.dY[0]!, ...c.inputs.filter((_, j) => j !== i)] as Tensor[];
      let d = G.einsum(`${[spec.output, ...others].join(",")}->${kept}`, ...operands);
      if (kept.length < term.length) {
        const missing = [...term].map((l, k) => (known.has(l) ? -1 : k)).filter((k) => k >= 0);
        d = G.expand(G.unsqueeze(d, missing), [...x!.shape]);
      }
      return d;
    });
  },
});
