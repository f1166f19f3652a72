// Parameters are declared where they are used: the forward code asks a ParamSource for a tensor by
// name, shape (one copy's) and initialiser, and gets [copies, ...shape]: every copy of the model has
// its own values. A model of one copy gets the shape alone (`withCopies`): its flat tensors are then
// 2-D, the matrix products plain 2-D ones that ORT fuses with their bias or sum into one Gemm. A DeclaringSource records the requests during a dry build (and hands out graph
// inputs); a PackedSource cuts them out of the one flat parameter vector. Initial values are a pure
// function of (copy's seed, name), so they do not depend on declaration order, and copy r of a model
// of R copies starts exactly as a one-copy model built with copy r's seed.
import { hashString } from "../../arc/random.ts";
import type { Graph, Tensor } from "../../graph/graph.ts";
import { StreamCursor } from "../../train/rng.ts";
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

export interface Declared {
  name: string;
  shape: number[];
  init: Init;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The shape a source hands out for one copy's `shape`: the copy axis leads unless there is one copy. */
export const withCopies = (copies: number, shape: readonly number[]): number[] =>
  copies === 1 ? [...shape] : [copies, ...shape];

export class DeclaringSource implements ParamSource {
  readonly declared: Declared[] = [];
  private readonly tensors = new Map<string, { t: Tensor; shape: number[] }>();
  constructor(
    private readonly g: Graph,
    private readonly dtype: "float32" | "float64",
    private readonly copies: number,
  ) {}

  get(name: string, shape: number[], init: Init): Tensor {
    const hit = this.tensors.get(name);
    if (hit) {
      if (!sameShape(hit.shape, shape))
        throw new Error(`parameter ${name} requested as [${shape}] and [${hit.shape}]`);
      return hit.t;
    }
    const t = this.g.input(name, this.dtype, withCopies(this.copies, shape));
    this.tensors.set(name, { t, shape: [...shape] });
    this.declared.push({ name, shape: [...shape], init });
    return t;
  }
}

/**
 * Where each declared parameter lives in the flat parameter vector: copy 0's values at `offset`
 * (`size` of them, row-major in `shape`), copy r's at `offset + r * copyStride`.
 */
export interface PackedEntry {
  name: string;
  /** One copy's shape. */
  shape: number[];
  offset: number;
  size: number;
  copyStride: number;
}

/** Matrices ([rows, cols]) are packed by column count, so one Split cuts a group into its matrices. */
const groupOf = (shape: readonly number[]): string => (shape.length === 2 ? `cols${shape[1]}` : "other");

/**
 * Offsets in the flat vector of `copies` copies: the matrices of each column count side by side (a
 * [copies, rows, cols] block, each copy's matrices in declaration order; groups in order of first
 * declaration), then every other shape ([copies, ...shape] each).
 */
export function packLayout(
  declared: readonly Declared[],
  copies = 1,
): { entries: PackedEntry[]; total: number } {
  const groups = new Map<string, Declared[]>();
  for (const d of declared) {
    const k = groupOf(d.shape);
    const list = groups.get(k);
    if (list) list.push(d);
    else groups.set(k, [d]);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => Number(a === "other") - Number(b === "other"));
  let offset = 0;
  const entries: PackedEntry[] = [];
  for (const [k, list] of ordered) {
    const sizes = list.map((d) => d.shape.reduce((a, b) => a * b, 1));
    if (k === "other") {
      list.forEach((d, i) => {
        entries.push({ name: d.name, shape: d.shape, offset, size: sizes[i]!, copyStride: sizes[i]! });
        offset += copies * sizes[i]!;
      });
      continue;
    }
    const perCopy = sizes.reduce((a, b) => a + b, 0);
    let within = 0;
    list.forEach((d, i) => {
      entries.push({
        name: d.name,
        shape: d.shape,
        offset: offset + within,
        size: sizes[i]!,
        copyStride: perCopy,
      });
      within += sizes[i]!;
    });
    offset += copies * perCopy;
  }
  return { entries, total: offset };
}

/**
 * Parameters read from one flat vector (the optimizer then updates one tensor instead of hundreds, ~14
 * nodes each): one Split cuts it into the column-count groups of packLayout, each group is reshaped to
 * its [copies, rows, cols] block once and cut into its matrices by one more Split (no Reshape per
 * matrix); other shapes are reshaped to [copies, ...shape] on first use. `direct` ones are separate
 * inputs of the spec ([copies, ...shape]), returned as they are (reshaped to `shape` at one copy). Entries must come in packLayout's order.
 */
export class PackedSource implements ParamSource {
  private readonly tensors = new Map<string, Tensor>();
  private readonly others = new Map<string, Tensor>();
  private readonly entries: Map<string, PackedEntry>;
  constructor(
    flat: Tensor,
    entries: readonly PackedEntry[],
    private readonly copies: number,
    private readonly direct: Record<string, Tensor> = {},
  ) {
    this.entries = new Map(entries.map((e) => [e.name, e]));
    const runs: PackedEntry[][] = [];
    for (const e of entries) {
      const last = runs[runs.length - 1];
      if (last && groupOf(e.shape) !== "other" && groupOf(last[0]!.shape) === groupOf(e.shape)) last.push(e);
      else runs.push([e]);
    }
    const pieces = G.split(
      flat,
      runs.map((r) => copies * r.reduce((s, e) => s + e.size, 0)),
    );
    runs.forEach((run, i) => {
      const first = run[0]!;
      if (groupOf(first.shape) === "other") {
        this.others.set(first.name, pieces[i]!);
        return;
      }
      const cols = first.shape[1]!;
      const block = G.reshape(pieces[i]!, withCopies(copies, [pieces[i]!.size / (copies * cols), cols]));
      const mats = G.split(
        block,
        run.map((e) => e.shape[0]!),
        block.rank - 2,
      );
      for (const [j, e] of run.entries()) this.tensors.set(e.name, mats[j]!);
    });
  }
  get(name: string, shape: number[]): Tensor {
    const d = this.direct[name];
    if (d) {
      if (!sameShape(d.shape, [this.copies, ...shape]))
        throw new Error(`parameter ${name} is [${d.shape}], the forward asks for [${this.copies},${shape}]`);
      if (this.copies > 1) return d;
      let t = this.tensors.get(name);
      if (!t) {
        t = G.reshape(d, shape);
        this.tensors.set(name, t);
      }
      return t;
    }
    const e = this.entries.get(name);
    if (!e) throw new Error(`parameter ${name} was not declared`);
    if (!sameShape(e.shape, shape))
      throw new Error(`parameter ${name} is [${e.shape}], the forward asks for [${shape}]`);
    let t = this.tensors.get(name);
    if (!t) {
      t = G.reshape(this.others.get(name)!, withCopies(this.copies, shape));
      this.tensors.set(name, t);
    }
    return t;
  }
}

/** A 32-bit FNV-1a hash of a name (the random stream of its initial values). */
export function nameStream(name: string): number {
  return hashString(name);
}

/** One copy's initial values of a declared parameter, from that copy's seed, written into `data`. */
export function initialValues(d: Declared, seed: number, data: Float32Array | Float64Array): void {
  const n = d.shape.reduce((a, b) => a * b, 1);
  const rng = new StreamCursor(seed, nameStream(d.name));
  const init = d.init;
  if (init.kind === "normal") for (let i = 0; i < n; i++) data[i] = init.std * rng.normal();
  else if (init.kind === "equalRows") {
    const cols = d.shape[d.shape.length - 1]!;
    for (let j = 0; j < cols; j++) data[j] = init.std * rng.normal();
    for (let i = cols; i < n; i++) data[i] = data[i % cols]!;
  } else data.fill(0, 0, n);
}

/** Initial values of declared parameters kept apart ([copies, ...shape]; copy r from seeds[r]). */
export function materialise(
  declared: readonly Declared[],
  seeds: readonly number[],
  dtype: "float32" | "float64",
): ParamSpec[] {
  return declared.map((d) => {
    const n = d.shape.reduce((a, b) => a * b, 1);
    const data =
      dtype === "float64" ? new Float64Array(n * seeds.length) : new Float32Array(n * seeds.length);
    seeds.forEach((seed, r) => {
      initialValues(d, seed, data.subarray(r * n, (r + 1) * n));
    });
    return { name: d.name, shape: [seeds.length, ...d.shape], init: data };
  });
}
