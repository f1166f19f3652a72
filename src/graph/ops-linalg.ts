// Linear algebra and normalisation: MatMul (batched, broadcasting), Gemm, Einsum, LayerNormalization.
import { GraphError, type Tensor, attr } from "./graph.ts";
import { broadcastShapes, formatShape, normAxis } from "./shape.ts";
import { reshape } from "./ops-shape.ts";

/** a @ b for rank >= 2 operands with numpy batch broadcasting. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 2 || b.rank < 2)
    throw new GraphError(`MatMul: operands must have rank >= 2, got ${a} and ${b}`);
  if (a.dtype !== b.dtype) throw new GraphError(`MatMul: dtypes differ, ${a} and ${b}`);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2)
    throw new GraphError(
      `MatMul: inner dimensions differ, ${formatShape(a.shape)} @ ${formatShape(b.shape)}`,
    );
  const batch = broadcastShapes("MatMul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  return a.graph.node("MatMul", [a, b], [{ dtype: a.dtype, shape: [...batch, m, n] }])[0]!;
}

/** alpha * op(A) @ op(B) + beta * C for 2-D A, B; C broadcasts to the result. */
export function gemm(
  a: Tensor,
  b: Tensor,
  c?: Tensor,
  opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {},
): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new GraphError(`Gemm: operands must be 2-D, got ${a} and ${b}`);
  for (const t of c ? [b, c] : [b])
    if (t.dtype !== a.dtype) throw new GraphError(`Gemm: dtypes differ, ${a} and ${t}`);
  const [m, k] = opts.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = opts.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== k2)
    throw new GraphError(
      `Gemm: inner dimensions differ, ${a} and ${b} (transA=${!!opts.transA}, transB=${!!opts.transB})`,
    );
  if (c) broadcastShapes("Gemm", c.shape, [m, n]);
  return a.graph.node("Gemm", c ? [a, b, c] : [a, b], [{ dtype: a.dtype, shape: [m, n] }], {
    transA: attr.int(opts.transA ? 1 : 0),
    transB: attr.int(opts.transB ? 1 : 0),
    alpha: attr.float(opts.alpha ?? 1),
    beta: attr.float(opts.beta ?? 1),
  })[0]!;
}

export interface EinsumSpec {
  inputs: string[];
  output: string;
}

/** Parse "ij,jk->ik" (explicit output, letters only, no ellipsis). */
export function parseEinsum(equation: string): EinsumSpec {
  const eq = equation.replace(/\s+/g, "");
  const m = /^([a-zA-Z]*(?:,[a-zA-Z]*)*)->([a-zA-Z]*)$/.exec(eq);
  if (!m)
    throw new GraphError(
      `Einsum: equation "${equation}" must look like "ij,jk->ik" (explicit output, no ellipsis)`,
    );
  return { inputs: m[1]!.split(","), output: m[2]! };
}

export function einsum(equation: string, ...xs: Tensor[]): Tensor {
  const spec = parseEinsum(equation);
  if (spec.inputs.length !== xs.length)
    throw new GraphError(`Einsum "${equation}": ${xs.length} operands for ${spec.inputs.length} terms`);
  for (const x of xs)
    if (x.dtype !== xs[0]!.dtype)
      throw new GraphError(`Einsum "${equation}": dtypes differ, ${xs[0]} and ${x}`);
  const dims = new Map<string, number>();
  spec.inputs.forEach((term, i) => {
    const x = xs[i]!;
    if (term.length !== x.rank) throw new GraphError(`Einsum "${equation}": term ${term} does not fit ${x}`);
    [...term].forEach((c, j) => {
      const d = x.shape[j]!;
      const seen = dims.get(c);
      if (seen !== undefined && seen !== d)
        throw new GraphError(`Einsum "${equation}": letter ${c} is ${seen} and ${d}`);
      dims.set(c, d);
    });
  });
  const shape = [...spec.output].map((c) => {
    const d = dims.get(c);
    if (d === undefined) throw new GraphError(`Einsum "${equation}": output letter ${c} is in no input`);
    return d;
  });
  return xs[0]!.graph.node("Einsum", xs, [{ dtype: xs[0]!.dtype, shape }], {
    equation: attr.string(
      spec.output ? `${spec.inputs.join(",")}->${spec.output}` : `${spec.inputs.join(",")}->`,
    ),
  })[0]!;
}

/** LayerNormalization over the axes from `axis` to the end: (x - mean) / sqrt(var + eps) * scale + bias. */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor | null, axis = -1, epsilon = 1e-5): Tensor {
  const a = normAxis("LayerNormalization", axis, x.rank);
  // For WebGPU a rank-3 input over its last axis goes through 2-D: ORT fuses Add -> LayerNormalization
  // of rank 3 into SkipLayerNormalization, whose WebGPU kernel leaves the Mean and InvStdDev outputs
  // unset (the gradient reads InvStdDev: "Missing Input"); a 2-D LayerNormalization is not fused.
  if (x.graph.gpu && x.rank === 3 && a === 2) {
    const flat = reshape(x, [x.shape[0]! * x.shape[1]!, x.shape[2]!]);
    return reshape(layerNorm(flat, scale, bias, 1, epsilon), [...x.shape]);
  }
  const normShape = x.shape.slice(a);
  for (const p of bias ? [scale, bias] : [scale]) {
    if (p.dtype !== x.dtype)
      throw new GraphError(`LayerNormalization: ${p} does not match the dtype of ${x}`);
    if (
      p.rank > normShape.length ||
      broadcastShapes("LayerNormalization", p.shape, normShape).length !== normShape.length
    ) {
      throw new GraphError(
        `LayerNormalization: ${p} does not fit normalised shape ${formatShape(normShape)}`,
      );
    }
  }
  // For float32, the optional Mean and InvStdDev outputs ([..., 1, ...], float32 by the default stash_type)
  // are declared so the gradient can reuse them; ONNX allows them only as float/bfloat16, so not for float64.
  const stats = x.shape.map((d, i) => (i < a ? d : 1));
  const outs =
    x.dtype === "float32"
      ? [
          { dtype: x.dtype, shape: x.shape },
          { dtype: x.dtype, shape: stats },
          { dtype: x.dtype, shape: stats },
        ]
      : [{ dtype: x.dtype, shape: x.shape }];
  return x.graph.node("LayerNormalization", bias ? [x, scale, bias] : [x, scale], outs, {
    axis: attr.int(a),
    epsilon: attr.float(epsilon),
  })[0]!;
}
