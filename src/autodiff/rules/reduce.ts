// Gradient rules for reductions and normalising maps.
import * as G from "../../graph/index.ts";
import type { Tensor } from "../../graph/graph.ts";
import { type GradContext, defineGrad } from "../registry.ts";

/** The reduced axes of a Reduce* node (from its `axes` input or attribute; all axes when absent). */
function reducedAxes(c: GradContext, axesFromInput: boolean): number[] {
  const x = c.inputs[0]!;
  const raw = axesFromInput ? (c.inputs[1] ? c.constInts(1) : []) : (c.intsAttr("axes") ?? []);
  const axes = raw.length ? raw : x.shape.map((_, i) => i);
  return axes.map((a) => (a < 0 ? a + x.rank : a)).sort((a, b) => a - b);
}

/** Bring a reduced tensor back to keepdims form so it broadcasts against X. */
function keep(c: GradContext, t: Tensor, axes: number[]): Tensor {
  return c.intAttr("keepdims", 1) ? t : axes.length ? G.unsqueeze(t, axes) : t;
}

// dX = broadcast(dY) over the reduced axes
defineGrad("ReduceSum", {
  nondiff: [1],
  grad: (c) => [G.expand(keep(c, c.dY[0]!, reducedAxes(c, true)), [...c.inputs[0]!.shape])],
});
// dX = broadcast(dY) / n over the reduced axes
defineGrad("ReduceMean", {
  grad: (c) => {
    const x = c.inputs[0]!;
    const axes = reducedAxes(c, false);
    const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
    return [G.expand(G.div(keep(c, c.dY[0]!, axes), n), [...x.shape])];
  },
});
// dX = dY where X == Y, shared equally among ties
function maxMinGrad(c: GradContext) {
  const x = c.inputs[0]!;
  const axes = reducedAxes(c, false);
  const y = keep(c, c.outputs[0]!, axes);
  const mask = G.cast(G.equal(x, y), x.dtype);
  const count = G.reduceSum(mask, axes, true);
  return [G.mul(G.div(mask, count), keep(c, c.dY[0]!, axes))];
}
defineGrad("ReduceMax", { grad: maxMinGrad });
defineGrad("ReduceMin", { grad: maxMinGrad });
// dX = dY * exp(X - Y)
defineGrad("ReduceLogSumExp", {
  grad: (c) => {
    const axes = reducedAxes(c, false);
    return [G.mul(keep(c, c.dY[0]!, axes), G.exp(G.sub(c.inputs[0]!, keep(c, c.outputs[0]!, axes))))];
  },
});
// dX = Y * (dY - sum(dY * Y, axis))
defineGrad("Softmax", {
  grad: (c) => {
    const y = c.outputs[0]!;
    const dy = c.dY[0]!;
    const axis = c.intAttr("axis", -1);
    return [G.mul(y, G.sub(dy, G.reduceSum(G.mul(dy, y), [axis], true)))];
  },
});
// dX = dY - exp(Y) * sum(dY, axis)
defineGrad("LogSoftmax", {
  grad: (c) => {
    const y = c.outputs[0]!;
    const dy = c.dY[0]!;
    const axis = c.intAttr("axis", -1);
    return [G.sub(dy, G.mul(G.exp(y), G.reduceSum(dy, [axis], true)))];
  },
});
/** Input i is a constant whose every value is 1 (a LayerNormalization without a learned scale). */
function constantOnes(c: GradContext, i: number): boolean {
  try {
    return c.constInts(i).every((v) => v === 1);
  } catch {
    return false;
  }
}

// xh = (X - mean) * rstd; dS = sum(dY * xh), dB = sum(dY), dX = rstd * (dxh - mean(dxh) - xh * mean(dxh * xh)), dxh = dY * S
// (with S a constant 1 and no bias, xh = Y and dxh = dY: the forward's output is reused)
defineGrad("LayerNormalization", {
  grad: (c) => {
    const [x, s, b] = c.inputs as [Tensor, Tensor, Tensor | null];
    const dy = c.dY[0]!;
    const axis = c.intAttr("axis", -1);
    const eps = Math.fround(c.floatAttr("epsilon", 1e-5)); // a float32 attribute: the value the forward used
    const a = axis < 0 ? axis + x.rank : axis;
    const axes = x.shape.map((_, i) => i).filter((i) => i >= a);
    const plain = !b && !c.needs(1) && constantOnes(c, 1);
    // the forward's Mean and InvStdDev outputs when declared (graph/ops-linalg.ts), else recomputed
    const stats = c.outputs.length === 3;
    const recomputed = () => {
      const mu = G.reduceMean(x, axes, true);
      const xc = G.sub(x, mu);
      return { xc, rstd: G.reciprocal(G.sqrt(G.add(G.reduceMean(G.mul(xc, xc), axes, true), eps))) };
    };
    let xh: Tensor;
    let rstd: Tensor;
    if (stats) {
      rstd = c.outputs[2]!;
      xh = plain ? c.outputs[0]! : G.mul(G.sub(x, c.outputs[1]!), rstd);
    } else {
      const r = recomputed();
      rstd = r.rstd;
      xh = plain ? c.outputs[0]! : G.mul(r.xc, rstd);
    }
    const dxh = plain ? dy : G.mul(dy, s);
    const dx = c.needs(0)
      ? G.mul(
          rstd,
          G.sub(
            G.sub(dxh, G.reduceMean(dxh, axes, true)),
            G.mul(xh, G.reduceMean(G.mul(dxh, xh), axes, true)),
          ),
        )
      : null;
    return [dx, c.needs(1) ? G.mul(dy, xh) : null, c.needs(2) ? dy : null];
  },
});
