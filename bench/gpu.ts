// bench/gpu: one script for a machine with a GPU. Per task size, the default family's training step
// on each execution provider here (the CPU; WebGPU where Vulkan lists an adapter; CUDA where its
// provider libraries are present): steps/s (median of reps, a Loop of the solver's chunk), node
// placement ("N of M nodes on WebGPU") and the worst relative difference of the first chunk's losses
// from the CPU's; then a short accuracy run: `ttt solve` of the fixtures on each provider, the score
// and whether the answers equal the CPU's. Tasks: bench/step's six (3x3 to 30x30) from ARC-AGI-1
// where ../shared/arc is there, else the fixture tasks. See bench/README.md "gpu".
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Task, taskFromJson, withoutTestOutputs } from "../src/arc/task.ts";
import { defaultChunk, taskCost } from "../src/loop/plan.ts";
import { optimOf } from "../src/loop/trainer.ts";
import { DEFAULT_FAMILY, loadFamily } from "../src/models/registry.ts";
import { describePlacement } from "../src/runtime/placement.ts";
import { type Provider, cudaLibraryCheck, webgpuCheck } from "../src/runtime/providers.ts";
import { releaseAllSessions } from "../src/runtime/registry.ts";
import { median } from "../src/rundir/records.ts";
import type { ModelSpec } from "../src/train/spec.ts";
import { Trainer } from "../src/train/trainer.ts";

const ROOT = resolve(import.meta.dir, "..");
const ARC_TASKS = ["25ff71a9", "a85d4709", "6150a2bd", "694f12f3", "36d67576", "3631a71a"];
const USAGE = `bun bench/gpu.ts [--arc ../shared/arc] [--tasks id,...] [--eps cpu,webgpu,cuda] [--reps 3] [--accuracy-steps 100] [--no-accuracy]`;

function options() {
  try {
    const { values } = parseArgs({
      options: {
        arc: { type: "string", default: resolve(ROOT, "..", "shared", "arc") },
        tasks: { type: "string" },
        eps: { type: "string" },
        reps: { type: "string", default: "3" },
        "accuracy-steps": { type: "string", default: "100" },
        "no-accuracy": { type: "boolean", default: false },
      },
    });
    const reps = Number(values.reps);
    const steps = Number(values["accuracy-steps"]);
    if (!(reps >= 1) || !(steps >= 1)) throw new Error("--reps and --accuracy-steps must be >= 1");
    return { ...values, reps, accuracySteps: steps };
  } catch (e) {
    console.error(`bench/gpu: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** The providers to measure: asked for, else every one that can run here. */
function providers(asked: string | undefined): { eps: Provider[]; notes: string[] } {
  const notes: string[] = [];
  const gpu = webgpuCheck();
  const cuda = cudaLibraryCheck();
  notes.push(`webgpu: ${gpu.reason}`, `cuda: ${cuda.reason}`);
  if (asked) return { eps: asked.split(",").filter(Boolean) as Provider[], notes };
  const eps: Provider[] = ["cpu"];
  if (gpu.adapterFound) eps.push("webgpu");
  if (cuda.present) eps.push("cuda");
  return { eps, notes };
}

function loadTasks(arc: string, ids: string[] | undefined): { tasks: Task[]; source: string } {
  const file = join(arc, "arc-agi-1", "training_challenges.json");
  if (existsSync(file)) {
    const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const want = ids ?? ARC_TASKS;
    return {
      tasks: want.filter((id) => all[id]).map((id) => taskFromJson(id, all[id] as never)),
      source: file,
    };
  }
  const fx = JSON.parse(readFileSync(join(ROOT, "fixtures/tasks_challenges.json"), "utf8"));
  const want = ids ?? Object.keys(fx);
  console.error(`\n!!! bench/gpu: ${file} missing: measuring the fixture tasks instead\n`);
  return { tasks: want.filter((id) => fx[id]).map((id) => taskFromJson(id, fx[id])), source: "fixtures" };
}

const gridOf = (t: Task) => {
  const gs = [...t.train.flatMap((p) => [p.input, p.output]), ...t.test.map((x) => x.input)];
  return `${Math.max(...gs.map((g) => g.height))}x${Math.max(...gs.map((g) => g.width))}`;
};

interface Row {
  ep: Provider;
  stepsPerS: number | null;
  placement: string;
  lossDiff: number | null;
  error?: string;
}

async function measure(
  task: Task,
  ep: Provider,
  reps: number,
  cpuLosses: number[] | null,
): Promise<Row & { losses: number[] }> {
  const family = await loadFamily(DEFAULT_FAMILY);
  const model = family.build(withoutTestOutputs(task), { seed: 0 });
  const K = defaultChunk(taskCost(task));
  const trainer = await Trainer.create(model.spec as ModelSpec, {
    optim: optimOf(model, 1),
    seed: 0,
    cacheDir: false,
    session: { ep, intraOpThreads: 1, interOpThreads: 1, label: `bench-gpu:${ep}` },
  });
  try {
    trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    await trainer.prepare([{ kind: "loop", steps: K }]);
    const placement = ep === "cpu" ? "-" : describePlacement(await trainer.placement("loop", K));
    const losses = Array.from(await trainer.step(K)); // the first chunk: compared, and the warm-up
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      await trainer.step(K);
      times.push((performance.now() - t) / K);
    }
    let lossDiff: number | null = null;
    if (cpuLosses)
      lossDiff = Math.max(
        ...losses.map((l, i) => Math.abs(l - cpuLosses[i]!) / Math.max(1, Math.abs(cpuLosses[i]!))),
      );
    return { ep, stepsPerS: 1000 / median(times), placement, lossDiff, losses };
  } finally {
    await trainer.release();
    await releaseAllSessions();
  }
}

/** `ttt solve` of the fixtures on `ep`: score and submission text. */
function solveFixtures(
  ep: Provider,
  steps: number,
  dir: string,
): { score: string; submission: string; error?: string } {
  const out = join(dir, `sub-${ep}.json`);
  const r = Bun.spawnSync(
    [
      process.execPath,
      "src/cli/main.ts",
      "solve",
      "fixtures/tasks_challenges.json",
      "--ep",
      ep,
      "--steps",
      String(steps),
      "--workers",
      "1",
      "--run-dir",
      join(dir, `run-${ep}`),
      "-o",
      out,
    ],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  const text = `${r.stdout.toString()}\n${r.stderr.toString()}`;
  if (r.exitCode !== 0) return { score: "-", submission: "", error: text.trim().split("\n").at(-1) ?? "" };
  const score = /^score\s+(\S+)/m.exec(text)?.[1] ?? "?";
  return { score, submission: readFileSync(out, "utf8") };
}

async function main() {
  const o = options();
  const { eps, notes } = providers(o.eps);
  const { tasks, source } = loadTasks(o.arc, o.tasks?.split(",").filter(Boolean));
  console.log(
    `bench/gpu ${new Date().toISOString()}: providers ${eps.join(", ")}; tasks from ${source}; reps ${o.reps}`,
  );
  for (const n of notes) console.log(`  ${n}`);
  console.log("\n| task | grid | K | provider | steps/s | placement (Loop of K) | loss diff, first chunk |");
  console.log("|---|---|---|---|---|---|---|");
  for (const task of tasks) {
    let cpuLosses: number[] | null = null;
    for (const ep of eps) {
      let row: Row;
      try {
        const m = await measure(task, ep, o.reps, ep === "cpu" ? null : cpuLosses);
        if (ep === "cpu") cpuLosses = m.losses;
        row = m;
      } catch (e) {
        row = {
          ep,
          stepsPerS: null,
          placement: "-",
          lossDiff: null,
          error: (e as Error).message.split("\n")[0],
        };
      }
      const K = defaultChunk(taskCost(task));
      console.log(
        `| ${task.id} | ${gridOf(task)} | ${K} | ${ep} | ${row.stepsPerS?.toFixed(2) ?? `failed: ${row.error}`} | ${row.placement} | ${row.lossDiff === null ? "-" : row.lossDiff.toExponential(1)} |`,
      );
    }
  }
  if (o["no-accuracy"]) return;
  const dir = mkdtempSync(join(tmpdir(), "ttt-bench-gpu-"));
  try {
    console.log(
      `\nAccuracy: ttt solve fixtures/tasks_challenges.json --steps ${o.accuracySteps} --workers 1`,
    );
    console.log("| provider | score | answers equal the CPU's |");
    console.log("|---|---|---|");
    let cpu = "";
    for (const ep of eps) {
      const r = solveFixtures(ep, o.accuracySteps, dir);
      if (ep === "cpu") cpu = r.submission;
      const same = ep === "cpu" || r.error ? "-" : r.submission === cpu ? "yes" : "no";
      console.log(`| ${ep} | ${r.error ? `failed: ${r.error}` : r.score} | ${same} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
