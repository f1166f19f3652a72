// The gradient registry: one rule per ONNX op. A rule receives the forward node's input and output
// tensors and the gradients of its outputs, and returns one gradient per input (null where none).
// A returned gradient may have the *broadcast* shape; the driver reduces it to the input's shape.
import type { Graph, Node, Tensor } from "../graph/graph.ts";

export interface GradContext {
  g: Graph;
  node: Node;
  inputs: (Tensor | null)[];
  outputs: Tensor[];
  /** Gradient of each output (null when an output does not reach the loss). */
  dY: (Tensor | null)[];
  /** Whether input i needs a gradient (lets a rule skip work). */
  needs: (i: number) => boolean;
  /** Integer values of a constant input (shape/axes operands), read at build time. */
  constInts: (i: number) => number[];
  /** The node's int attribute, or a default. */
  intAttr: (name: string, dflt: number) => number;
  intsAttr: (name: string) => number[] | undefined;
  floatAttr: (name: string, dflt: number) => number;
  stringAttr: (name: string) => string | undefined;
}

export interface GradRule {
  /** Inputs that never take a gradient (indices, shapes, axes, conditions). */
  nondiff?: number[];
  grad: (c: GradContext) => (Tensor | null | undefined)[];
}

const rules = new Map<string, GradRule>();
/** Ops whose outputs carry no gradient at all (comparisons, integer maths, shape queries). */
const constantOps = new Set<string>();

export function defineGrad(opType: string, rule: GradRule): void {
  if (rules.has(opType)) throw new Error(`gradient rule for ${opType} defined twice`);
  rules.set(opType, rule);
}
export function defineNoGrad(...opTypes: string[]): void {
  for (const op of opTypes) constantOps.add(op);
}
export function gradRule(opType: string): GradRule | undefined {
  return rules.get(opType);
}
export function hasNoGrad(opType: string): boolean {
  return constantOps.has(opType);
}
export function registeredOps(): string[] {
  return [...rules.keys()].sort();
}
