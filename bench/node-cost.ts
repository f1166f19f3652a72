// bench/node-cost: what one graph node costs ORT's CPU executor when its arithmetic is nearly free. A
// chain of N Add/Mul nodes, each with a scalar constant, on a small tensor, one thread, optimisation
// off (so that ORT keeps every node); ms per run / N = the per-node floor. A training step of M nodes
// on tiny tensors cannot run faster than M times this floor, whatever its kernels cost (bench/README.md).
import * as ort from "onnxruntime-node";
import { parseArgs } from "node:util";
import * as G from "../src/graph/index.ts";
import { median } from "../src/rundir/records.ts";

const USAGE = `bun bench/node-cost.ts [--nodes 250,1000,3000,6000] [--shapes 1x4,16x36,8x432] [--reps 7] [--step-nodes 5472] [--json]
  --step-nodes M  also print the floor of a graph of M nodes (default: the default family's 3x3 step after ORT's optimisation)`;

interface Args {
  nodes: number[];
  shapes: number[][];
  reps: number;
  stepNodes: number;
  json: boolean;
}

function readArgs(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      nodes: { type: "string", default: "250,1000,3000,6000" },
      shapes: { type: "string", default: "1x4,16x36,8x432" },
      reps: { type: "string", default: "7" },
      "step-nodes": { type: "string", default: "5472" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const list = (s: string) => s.split(",").filter(Boolean);
  const a: Args = {
    nodes: list(v.nodes!).map(Number),
    shapes: list(v.shapes!).map((s) => s.split("x").map(Number)),
    reps: Math.max(1, Number(v.reps)),
    stepNodes: Number(v["step-nodes"]),
    json: v.json!,
  };
  const bad = [...a.nodes, ...a.shapes.flat(), a.stepNodes].find((n) => !(Number.isInteger(n) && n > 0));
  if (bad !== undefined) throw new Error(`not a positive integer: ${bad}\n${USAGE}`);
  return a;
}

const options: ort.InferenceSession.SessionOptions = {
  executionProviders: ["cpu"],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: "disabled",
  logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
};

/** µs per node of a chain of `n` nodes on `shape`: median over reps of (10 runs' mean time / n). */
async function chainCost(shape: number[], n: number, reps: number): Promise<number> {
  const g = new G.Graph("chain");
  let x = g.input("x", "float32", shape);
  for (let i = 0; i < n; i++) {
    const c = g.constant("float32", [1], [1 + (i % 5) * 1e-4]);
    x = i % 2 ? G.mul(x, c) : G.add(x, c);
  }
  g.output(x, "y");
  const s = await ort.InferenceSession.create(G.toModelBytes(g), options);
  const size = shape.reduce((p, d) => p * d, 1);
  const feeds = { x: new ort.Tensor("float32", new Float32Array(size).fill(1), shape) };
  try {
    for (let i = 0; i < 5; i++) await s.run(feeds);
    const per: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      for (let i = 0; i < 10; i++) await s.run(feeds);
      per.push(((performance.now() - t) / 10 / n) * 1000);
    }
    return median(per);
  } finally {
    await s.release();
  }
}

async function main() {
  let a: Args;
  try {
    a = readArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench/node-cost: ${(e as Error).message}`);
    process.exit(2);
  }
  const rows: { shape: string; nodes: number; usPerNode: number }[] = [];
  for (const shape of a.shapes)
    for (const n of a.nodes)
      rows.push({ shape: shape.join("x"), nodes: n, usPerNode: await chainCost(shape, n, a.reps) });
  if (a.json) {
    console.log(JSON.stringify({ reps: a.reps, rows }, null, 2));
    return;
  }
  console.log(`ORT CPU executor, one thread, optimisation off; median of ${a.reps} reps of 10 runs\n`);
  console.log(`| tensor | ${a.nodes.map((n) => `${n} nodes`).join(" | ")} |`);
  console.log(`|---|${a.nodes.map(() => "---").join("|")}|`);
  for (const shape of a.shapes) {
    const k = shape.join("x");
    const cells = a.nodes.map((n) => rows.find((r) => r.shape === k && r.nodes === n)!.usPerNode.toFixed(2));
    console.log(`| ${k} | ${cells.map((c) => `${c} µs`).join(" | ")} |`);
  }
  const largest = Math.max(...a.nodes);
  const floor = Math.min(...rows.filter((r) => r.nodes === largest).map((r) => r.usPerNode));
  console.log(
    `\nA graph of ${a.stepNodes} nodes: at least ${((a.stepNodes * floor) / 1000).toFixed(2)} ms per run at ${floor.toFixed(2)} µs/node (the cheapest tensor at ${largest} nodes).`,
  );
}

await main();
