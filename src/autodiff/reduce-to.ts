// Broadcasting, undone: sum a gradient of a broadcast shape back down to an operand's shape.
import type { Shape, Tensor } from "../graph/graph.ts";
import { reduceSum, reshape } from "../graph/index.ts";

export function reduceToShape(grad: Tensor, shape: Shape): Tensor {
  if (grad.rank === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && grad.shape[i] !== 1) axes.push(i);
  }
  const summed = axes.length ? reduceSum(grad, axes, true) : grad;
  return reshape(summed, [...shape]);
}
