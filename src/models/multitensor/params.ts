// Parameters are declared where they are used: the forward code asks a ParamSource for a tensor by
// name, shape and initialiser. A DeclaringSource records the requests during a dry build (and hands
// out graph inputs); a BoundSource returns the tensors the training-graph API passes in. Initial values
// are a pure function of (seed, name), so they do not depend on declaration order.
import { hashString } from "../../arc/random.ts";
import type { Graph, Tensor } from "../../graph/graph.ts";
import { Rng } from "../../train/rng.ts";
import type { ParamSpec } from "../../train/spec.ts";
import * as G from "../../graph/index.ts";

export type Init =
  | { kind: "normal"; std: number }
  | { kind: "zeros" }
  /** Rows of a [rows, cols] matrix all equal to one N(0, std^2) row. */
  | { kind: "equalRows"; std: number };

export interface ParamSource {
  get(name: string, shape: number[], init: Init): Tensor;
}

interface Declared {
  name: string;
  shape: number[];
  init: Init;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export class DeclaringSource implements ParamSource {
  readonly declared: Declared[] = [];
  private readonly tensors = new Map<string, Tensor>();
  constructor(
    private readonly g: Graph,
    private readonly dtype: "float32" | "float64",
  ) {}

  get(name: string, shape: number[], init: Init): Tensor {
    const hit = this.tensors.get(name);
    if (hit) {
      if (!sameShape(hit.shape, shape))
        throw new Error(`parameter ${name} requested as [${shape}] and [${hit.shape}]`);
      return hit;
    }
    const t = this.g.input(name, this.dtype, shape);
    this.tensors.set(name, t);
    this.declared.push({ name, shape: [...shape], init });
    return t;
  }
}

export class BoundSource implements ParamSource {
  constructor(private readonly params: Record<string, Tensor>) {}
  get(name: string, shape: number[]): Tensor {
    const t = this.params[name];
    if (!t) throw new Error(`parameter ${name} was not declared`);
    if (!sameShape(t.shape, shape))
      throw new Error(`parameter ${name} is [${t.shape}], the forward asks for [${shape}]`);
    return t;
  }
}

/** Where each declared parameter lives in the flat parameter vector. */
export interface PackedEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export function packLayout(declared: readonly Declared[]): { entries: PackedEntry[]; total: number } {
  let offset = 0;
  const entries = declared.map((d) => {
    const size = d.shape.reduce((a, b) => a * b, 1);
    const e = { name: d.name, shape: d.shape, offset, size };
    offset += size;
    return e;
  });
  return { entries, total: offset };
}

/**
 * Parameters read from one flat vector, cut by one Split node per forward (the optimizer then updates
 * one tensor instead of hundreds, ~14 nodes each) and reshaped on first use;
 * `direct` ones are separate inputs of the spec, returned as they are.
 */
export class PackedSource implements ParamSource {
  private readonly pieces: Tensor[];
  private readonly index: Map<string, number>;
  private readonly shaped = new Map<string, Tensor>();
  constructor(
    flat: Tensor,
    private readonly entries: readonly PackedEntry[],
    private readonly direct: Record<string, Tensor> = {},
  ) {
    this.pieces = G.split(
      flat,
      entries.map((e) => e.size),
    );
    this.index = new Map(entries.map((e, i) => [e.name, i]));
  }
  get(name: string, shape: number[]): Tensor {
    const d = this.direct[name];
    if (d) {
      if (!sameShape(d.shape, shape))
        throw new Error(`parameter ${name} is [${d.shape}], the forward asks for [${shape}]`);
      return d;
    }
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`parameter ${name} was not declared`);
    const e = this.entries[i]!;
    if (!sameShape(e.shape, shape))
      throw new Error(`parameter ${name} is [${e.shape}], the forward asks for [${shape}]`);
    let t = this.shaped.get(name);
    if (!t) {
      t = G.reshape(this.pieces[i]!, shape);
      this.shaped.set(name, t);
    }
    return t;
  }
}

/** A 32-bit FNV-1a hash of a name (the random stream of its initial values). */
export function nameStream(name: string): number {
  return hashString(name);
}

/** Initial values of the declared parameters. */
export function materialise(
  declared: readonly Declared[],
  seed: number,
  dtype: "float32" | "float64",
): ParamSpec[] {
  return declared.map((d) => {
    const n = d.shape.reduce((a, b) => a * b, 1);
    const data = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
    const rng = new Rng(seed, nameStream(d.name));
    const init = d.init;
    if (init.kind === "normal") for (let i = 0; i < n; i++) data[i] = init.std * rng.normal();
    else if (init.kind === "equalRows") {
      const cols = d.shape[d.shape.length - 1]!;
      for (let j = 0; j < cols; j++) data[j] = init.std * rng.normal();
      for (let i = cols; i < n; i++) data[i] = data[i % cols]!;
    }
    return { name: d.name, shape: d.shape, init: data };
  });
}
