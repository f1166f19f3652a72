#!/usr/bin/env bun
// Timing of the multitensor family's training graph (ONNX Loop, K steps per run, one CPU thread) on a
// small, a medium and a large ARC-AGI-1 task: node counts, graph and session set-up, ms/step (best of
// several runs), RSS growth and the model's memory estimate. Needs ../shared/arc. One line per task.
//   bun bench/multitensor.ts [--tasks training:0d3d703e,evaluation:0934a4d8] [--config '{"blocks":3}']
//                            [--k 10] [--rounds 3] [--copies R] [--arc dir]   (dir holds arc-agi-1/)
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { taskFromJson, withoutTestOutputs } from "../src/arc/task.ts";
import { buildMultitensor } from "../src/models/multitensor/index.ts";
import { buildGraph, getGraph, Trainer } from "../src/train/index.ts";
import { DEFAULT_OPTIM } from "../src/loop/trainer.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const arcDir = join(opt("--arc") ?? join(import.meta.dir, "..", "..", "shared", "arc"), "arc-agi-1");
const TASKS = (
  opt("--tasks") ?? "training:0d3d703e,training:007bbfb7,training:95990924,training:3631a71a"
).split(",");
const CONFIG = opt("--config") ? JSON.parse(opt("--config")!) : {};
const K = Number(opt("--k") ?? 10);
const ROUNDS = Number(opt("--rounds") ?? 3);
const COPIES = Number(opt("--copies") ?? 1);
const optim = DEFAULT_OPTIM;
const mib = (b: number) => (b / 2 ** 20).toFixed(0);

if (!existsSync(arcDir)) {
  console.warn(`\n!!! bench/multitensor: ARC-AGI-1 data not found at ${arcDir}; nothing measured.`);
  console.warn("!!! Pass the folder that holds arc-agi-1/: bun bench/multitensor.ts --arc <dir>\n");
  process.exit(0);
}

const splits = new Map<string, Record<string, unknown>>();
for (const spec of TASKS) {
  const [split, id] = spec.split(":") as [string, string];
  if (!splits.has(split))
    splits.set(split, JSON.parse(readFileSync(join(arcDir, `${split}_challenges.json`), "utf8")));
  const task = withoutTestOutputs(taskFromJson(id, splits.get(split)![id] as never));
  Bun.gc(true);
  const rss0 = process.memoryUsage.rss();
  let t = performance.now();
  const model = buildMultitensor(task, { seed: 0, config: CONFIG, copies: COPIES });
  const tBuild = performance.now() - t;
  t = performance.now();
  getGraph({ spec: model.spec, kind: "loop", steps: K, optim }, { cacheDir: false });
  const tGraph = performance.now() - t;
  const step = buildGraph({ spec: model.spec, kind: "train", optim });
  const identities = step.nodes.filter((n) => n.opType === "Identity").length;
  const tr = await Trainer.create(model.spec, {
    optim,
    session: { ep: "cpu", intraOpThreads: 1 },
    cacheDir: false,
  });
  tr.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
  t = performance.now();
  await tr.prepare([{ kind: "loop", steps: K }]);
  const tSession = performance.now() - t;
  await tr.step(K);
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    t = performance.now();
    const losses = await tr.step(K);
    best = Math.min(best, (performance.now() - t) / K);
    if (!Number.isFinite(losses[K - 1]!)) throw new Error(`${id}: the loss is not finite after ${K} steps`);
  }
  const rss1 = process.memoryUsage.rss();
  await tr.release();
  const s = model.layout.sizes;
  console.log(
    `${id} E${s.E} C${s.C} ${s.X}x${s.Y} ${model.layout.rule}, ${COPIES} ${COPIES === 1 ? "copy" : "copies"}: ${best.toFixed(1)} ms/step (K=${K}); forward nodes ${model.forwardNodes}, step graph ${step.nodes.length - identities} + ${identities} Identity, ` +
      `parameters ${model.spec.params.reduce((n, p) => n + p.init.length, 0)}; build ${tBuild.toFixed(0)} ms, loop graph ${tGraph.toFixed(0)} ms, session ${tSession.toFixed(0)} ms (graph again + ORT); ` +
      `RSS +${mib(rss1 - rss0)} MiB (now ${mib(rss1)}), estimate ${mib(model.memoryEstimateBytes)} MiB; load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`,
  );
}
