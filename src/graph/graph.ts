// The graph under construction: typed tensor handles with static shapes, nodes, inputs, outputs and
// initializers. Ops (ops-*.ts) create nodes through Graph.node with shapes they infer at build time.
import { type AnyTypedArray, type DType, size, toTypedArray } from "./dtype.ts";

export type Shape = readonly number[];

export type AttrValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] }
  | { kind: "tensor"; value: ConstantData }
  | { kind: "graph"; value: Graph };

export interface ConstantData {
  name: string;
  dtype: DType;
  shape: number[];
  data: AnyTypedArray;
}

export interface Node {
  opType: string;
  name: string;
  inputs: string[]; // "" for an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
}

/** A typed handle to a value in a graph. Shapes are static. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return size(this.shape);
  }
  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(",")}]`;
  }
}

export class GraphError extends Error {
  override name = "GraphError";
}

export const attr = {
  int: (value: number): AttrValue => ({ kind: "int", value }),
  float: (value: number): AttrValue => ({ kind: "float", value }),
  string: (value: string): AttrValue => ({ kind: "string", value }),
  ints: (value: number[]): AttrValue => ({ kind: "ints", value }),
  floats: (value: number[]): AttrValue => ({ kind: "floats", value }),
  graph: (value: Graph): AttrValue => ({ kind: "graph", value }),
};

/** Pieces one Split or Concat may have in a graph emitted for the GPU (plus its one input or output: 8 buffers). */
export const GPU_MAX_PIECES = 7;

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  readonly initializers: ConstantData[] = [];
  /** Every tensor known in this graph (inputs, initializers, node outputs) by name. */
  readonly values = new Map<string, Tensor>();
  /** The node producing each tensor. */
  readonly producer = new Map<string, Node>();
  private readonly constants = new Map<string, Tensor>();
  /** Names taken in this graph's whole tree (a subgraph shares its root's set: ONNX names are global). */
  private readonly used: Set<string>;
  /** Next suffix to try per base name (shared like `used`), so naming stays O(1) in big graphs. */
  private readonly nextSuffix: Map<string, number>;
  private scopes: string[] = [];
  /**
   * Emit for ORT's WebGPU provider (set by train/build.ts; a subgraph takes its parent's): no Sum
   * nodes (it has no Sum kernel) and no Split or Concat of more than GPU_MAX_PIECES pieces (a shader
   * binds one storage buffer per input and output, and WebGPU guarantees only 8 per stage).
   */
  gpu = false;

  constructor(
    readonly name = "ttt",
    /** The enclosing graph for a subgraph (Loop body): its tensors may be read from inside. */
    readonly parent?: Graph,
  ) {
    this.used = parent ? parent.used : new Set<string>();
    this.nextSuffix = parent ? parent.nextSuffix : new Map<string, number>();
    this.gpu = parent?.gpu ?? false;
  }

  /** A name unique in this graph and all enclosing ones, under the current scope. */
  uniqueName(base: string): string {
    const name = this.freshName(base);
    this.used.add(name);
    return name;
  }
  /** An unused name under the current scope, not yet reserved. */
  freshName(base: string): string {
    const prefix = this.scopes.length ? `${this.scopes.join("/")}/` : "";
    const full = prefix + base;
    if (!this.isTaken(full)) return full;
    let i = this.nextSuffix.get(full) ?? 1;
    while (this.isTaken(`${full}_${i}`)) i++;
    this.nextSuffix.set(full, i + 1);
    return `${full}_${i}`;
  }
  private isTaken(name: string): boolean {
    return this.used.has(name);
  }
  reserve(name: string): void {
    if (this.isTaken(name)) throw new GraphError(`name ${name} is already used in graph ${this.name}`);
    this.used.add(name);
  }

  /** Run `fn` with names prefixed by `scope/` (nested scopes join with "/"). */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }
  /** Run `fn` with an exact scope stack (used by autodiff to name helper nodes `<node>_Grad/...`). */
  withScopes<T>(scopes: string[], fn: () => T): T {
    const saved = this.scopes;
    this.scopes = scopes;
    try {
      return fn();
    } finally {
      this.scopes = saved;
    }
  }

  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.reserve(name);
    const t = new Tensor(this, name, dtype, [...shape]);
    this.inputs.push(t);
    this.values.set(name, t);
    return t;
  }

  /** A constant tensor (an initializer), de-duplicated by content. */
  constant(
    dtype: DType,
    shape: Shape,
    data: ArrayLike<number> | ArrayLike<bigint> | AnyTypedArray,
    base = "const",
  ): Tensor {
    const typed = toTypedArray(dtype, data as ArrayLike<number>);
    if (typed.length !== size(shape)) {
      throw new GraphError(`constant ${base}: ${typed.length} values for shape [${shape.join(",")}]`);
    }
    const key =
      typed.length <= 64
        ? `${dtype}|${shape.join(",")}|${Array.from(typed as ArrayLike<number | bigint>).join(",")}`
        : "";
    if (key) {
      const hit = this.constants.get(key);
      if (hit) return hit;
    }
    const name = this.withScopes([], () => this.uniqueName(base));
    const t = new Tensor(this, name, dtype, [...shape]);
    this.initializers.push({ name, dtype, shape: [...shape], data: typed });
    this.values.set(name, t);
    if (key) this.constants.set(key, t);
    return t;
  }
  scalar(value: number, dtype: DType = "float32"): Tensor {
    return this.constant(dtype, [], [value]);
  }
  int64s(values: number[]): Tensor {
    return this.constant("int64", [values.length], values);
  }

  /** Add a node; `outs` gives dtype and shape of each output (inferred by the calling op). */
  node(
    opType: string,
    inputs: (Tensor | null)[],
    outs: { dtype: DType; shape: Shape; name?: string }[],
    attrs: Record<string, AttrValue> = {},
    domain?: string,
  ): Tensor[] {
    // An op mixing an outer tensor with a Loop body's tensor belongs in the body (ops call this on their
    // first operand's graph, which may be the enclosing one).
    let home: Graph = this;
    for (const t of inputs) {
      if (!t || home.canRead(t)) continue;
      if (t.graph.isWithin(home)) home = t.graph;
      else throw new GraphError(`${opType}: input ${t.name} belongs to another graph`);
    }
    if (home !== this) return home.node(opType, inputs, outs, attrs, domain);
    const nodeName = this.uniqueName(opType);
    const outputs = outs.map((o, i) => {
      if (o.name) this.reserve(o.name);
      const name =
        o.name ||
        (outs.length === 1 ? this.uniqueName(`${opType}_out`) : this.uniqueName(`${opType}_out${i}`));
      const t = new Tensor(this, name, o.dtype, [...o.shape]);
      this.values.set(name, t);
      return t;
    });
    const node: Node = {
      opType,
      name: nodeName,
      inputs: inputs.map((t) => (t ? t.name : "")),
      outputs: outputs.map((t) => t.name),
      attrs,
      ...(domain ? { domain } : {}),
    };
    this.nodes.push(node);
    for (const o of outputs) this.producer.set(o.name, node);
    return outputs;
  }

  private canRead(t: Tensor): boolean {
    return t.graph === this || (this.parent?.canRead(t) ?? false);
  }
  /** Whether this graph is `g` or nested (at any depth) inside it. */
  isWithin(g: Graph): boolean {
    return this === g || (this.parent?.isWithin(g) ?? false);
  }

  /** Mark a tensor as a graph output, optionally renaming it through an Identity node. */
  output(t: Tensor, name?: string): Tensor {
    let out = t;
    if (name && name !== t.name) {
      out = this.node("Identity", [t], [{ dtype: t.dtype, shape: t.shape, name }])[0]!;
    } else if (t.graph !== this || this.outputs.includes(t) || this.inputs.includes(t)) {
      out = this.node("Identity", [t], [{ dtype: t.dtype, shape: t.shape }])[0]!;
    }
    this.outputs.push(out);
    return out;
  }

  /** Look up a tensor by name in this graph or an enclosing one. */
  get(name: string): Tensor {
    const t = this.values.get(name) ?? this.parent?.values.get(name);
    if (!t) throw new GraphError(`no tensor named ${name} in graph ${this.name}`);
    return t;
  }
}
