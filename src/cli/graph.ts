// `ttt graph <model> --out file.onnx [--kind train|loop|infer] [--steps K]`: write a toy model's
// training (or inference) graph for inspection in Netron; prints its size and node count.
import { writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { consola } from "consola";
import type { Graph } from "../graph/graph.ts";
import { toModelBytes } from "../graph/serialize.ts";
import { mlpSpec, transformerBlockSpec } from "../models/toy.ts";
import { type GraphKind, buildGraph } from "../train/build.ts";
import { graphKey } from "../train/cache.ts";
import type { ModelSpec } from "../train/spec.ts";
import { UsageError } from "./usage-error.ts";

const MODELS: Record<string, (batch?: number) => ModelSpec> = {
  mlp: (batch) => mlpSpec({ inputs: 64, hidden: 256, classes: 10, batch: batch ?? 128 }),
  transformer: (batch) => transformerBlockSpec({ d: 64, heads: 4, seq: 32, batch: batch ?? 16, vocab: 10 }),
};
const KINDS: GraphKind[] = ["train", "loop", "infer"];

/** Nodes of a graph and of its subgraphs (Loop bodies). */
export function countNodes(g: Graph): { top: number; total: number } {
  let total = 0;
  const walk = (x: Graph) => {
    for (const n of x.nodes) {
      total++;
      for (const a of Object.values(n.attrs)) if (a.kind === "graph") walk(a.value);
    }
  };
  walk(g);
  return { top: g.nodes.length, total };
}

const positiveInt = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
};

export default defineCommand({
  meta: { name: "graph", description: "Write a toy model's training graph (ONNX) to open in Netron" },
  args: {
    model: { type: "positional", description: `model: ${Object.keys(MODELS).join(", ")}`, required: true },
    out: { type: "string", description: "output .onnx file", required: true },
    kind: {
      type: "string",
      description: "train (one step), loop (K steps in an ONNX Loop) or infer",
      default: "train",
    },
    steps: { type: "string", description: "K, steps per run for --kind loop", default: "8" },
    batch: { type: "string", description: "batch size (default: the model's)" },
  },
  run({ args }) {
    const make = MODELS[args.model];
    if (!make)
      throw new UsageError(`unknown model "${args.model}" (models: ${Object.keys(MODELS).join(", ")})`);
    const kind = args.kind as GraphKind;
    if (!KINDS.includes(kind))
      throw new UsageError(`--kind must be one of ${KINDS.join(", ")}, got "${args.kind}"`);
    const steps = positiveInt("steps", args.steps) ?? 8;
    const spec = make(positiveInt("batch", args.batch));
    const req = { spec, kind, steps, optim: { kind: "adamw" as const, lr: 1e-3, clipNorm: 1 } };
    const g = buildGraph(req);
    const bytes = toModelBytes(g, { docString: graphKey(req).description });
    writeFileSync(args.out, bytes);
    const n = countNodes(g);
    const kib = (bytes.length / 1024).toFixed(1);
    const nodes = n.total === n.top ? `${n.top} nodes` : `${n.top} nodes (${n.total} with the Loop body)`;
    consola.log(
      `${args.out}: ${args.model} ${kind}${kind === "loop" ? ` K=${steps}` : ""}, ${kib} KiB, ${nodes}, ${spec.params.length} parameter tensors`,
    );
  },
});
