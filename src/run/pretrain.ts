// `ttt pretrain`: learn a prior (the family's task-independent weights) across tasks by first-order
// meta-learning (Reptile). Each round takes the next `batch` tasks of a seeded order, trains each for
// `innerSteps` steps (at most `innerSeconds`) from the prior so far, as a `ttt solve` run of those tasks
// on one shared worker pool, reads every task's final weights from its final checkpoint, and moves
// the prior towards their mean: theta += rate * (mean - theta). Only train pairs and test inputs reach
// the workers (jobs never carry test outputs). The run directory keeps pretrain.json (settings and
// progress), rounds.jsonl (one line per round: the tasks' first and last losses, how far theta moved)
// and prior.ttt (the prior after the last finished round), so --resume goes on from the next round.
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { Rng, type Task } from "../arc/index.ts";
import { loadFamily } from "../models/registry.ts";
import type { ModelFamily, TaskModel } from "../models/task-model.ts";
import { type Prior, type PriorWeight, reptileStep, rmsDifference, sortedWeights } from "../models/prior.ts";
import type { ModelSpec } from "../train/spec.ts";
import type { EpChoice } from "../runtime/providers.ts";
import { CheckpointStore } from "../rundir/checkpoint-store.ts";
import { snapshotFromFiles } from "../rundir/snapshot-files.ts";
import { RunLock } from "../rundir/lock.ts";
import { fileStems } from "../rundir/run-dir.ts";
import { readPriorFile, writePriorFile } from "../rundir/prior-file.ts";
import {
  CHECKPOINTS_DIR,
  PRETRAIN_FILE,
  PRETRAIN_FORMAT,
  PRIOR_SO_FAR_FILE,
  ROUNDS_DIR,
  ROUNDS_FILE,
} from "../rundir/formats/index.ts";
import type { PretrainInfo, PretrainSettingsRecord, RoundEntry } from "../rundir/formats/index.ts";
import { appendRound, readPretrainInfo, writePretrainInfo } from "../rundir/pretrain-files.ts";
import { canonicalJson, sha256 } from "../util/hash.ts";
import { type Executor, ProcessPool } from "../workers/pool.ts";
import { loadRunInputs } from "./inputs.ts";
import { PlainDisplay, type Display } from "./progress.ts";
import { solve } from "./solve.ts";

/** What `ttt pretrain` is asked: the recorded settings (formats/types.ts), where, and on what. */
export interface PretrainSettings extends Omit<PretrainSettingsRecord, "rounds" | "timeBudget"> {
  source: string;
  /** The prior file written at the end (and after every round, in the run directory). */
  output: string;
  runDir: string;
  taskIds?: string[];
  /** Task ids left out (a held-out sample). */
  exclude?: string[];
  rounds?: number;
  timeBudget?: number;
  ep: EpChoice;
  threads: number;
  resume?: boolean;
  /** Start from this prior instead of the family's seeded weights. */
  from?: string;
}

type SharedWeightsOf = NonNullable<TaskModel["sharedWeights"]>;

export interface PretrainDeps {
  display?: Display;
  executor?: Executor;
  signal?: AbortSignal;
  now?: () => number;
  family?: ModelFamily<ModelSpec>;
}

export interface PretrainResult {
  output: string;
  rounds: number;
  seconds: number;
  tasks: number;
  interrupted: boolean;
  priorBytes: number;
}

/** The settings pretrain.json and the prior record; a resume must ask the same ones (bar rounds and time). */
export function pretrainRecord(s: PretrainSettings): PretrainSettingsRecord {
  return {
    family: s.family,
    seed: s.seed,
    innerSteps: s.innerSteps,
    innerSeconds: s.innerSeconds,
    batch: s.batch,
    rate: s.rate,
    rounds: s.rounds ?? null,
    timeBudget: s.timeBudget ?? null,
    workers: s.workers,
  };
}

const SAME_ON_RESUME = ["family", "seed", "innerSteps", "innerSeconds", "batch", "rate"] as const;

/** Round r's tasks: the next `batch` of the order, wrapping around. */
export function roundTasks(order: readonly string[], batch: number, round: number): string[] {
  const n = Math.min(batch, order.length);
  return Array.from({ length: n }, (_, i) => order[(round * n + i) % order.length]!);
}

/** A quiet display for a round's solve: warnings and errors only, tagged with the round. */
function roundDisplay(outer: Display, round: number): Display {
  return {
    begin() {},
    taskStarted() {},
    chunk() {},
    taskDone() {},
    log: (level, message) => {
      if (level !== "info") outer.log(level, `round ${round + 1}: ${message}`);
    },
    end() {},
  };
}

/** An executor shared by every round: closing it after a round keeps it open. */
const keptOpen = (e: Executor): Executor => ({
  run: (job, handlers, hard) => e.run(job, handlers, hard),
  abort: () => e.abort(),
  close: async () => {},
});

export async function pretrain(s: PretrainSettings, deps: PretrainDeps = {}): Promise<PretrainResult> {
  const display = deps.display ?? new PlainDisplay();
  const lock = await RunLock.acquire(s.runDir, "ttt pretrain");
  try {
    return await pretrainLocked(s, deps, display);
  } finally {
    lock.release();
  }
}

async function pretrainLocked(
  s: PretrainSettings,
  deps: PretrainDeps,
  display: Display,
): Promise<PretrainResult> {
  const now = deps.now ?? (() => performance.now() / 1000);
  const t0 = now();
  const family = deps.family ?? (await loadFamily(s.family));
  const configKey = family.priorKey?.();
  if (configKey === undefined) throw new Error(`model family ${family.name} does not start from a prior`);
  const inputs = await loadRunInputs(s.source, s.taskIds ? { taskIds: s.taskIds } : {});
  for (const e of inputs.problems) display.log("warn", e.toString());
  for (const t of inputs.invalid) display.log("warn", `task ${t.id} left out: ${t.message}`);
  const excluded = new Set(s.exclude ?? []);
  const tasks = inputs.tasks.filter((t) => !excluded.has(t.id));
  if (tasks.length === 0) throw new Error(`${s.source}: no valid tasks to pretrain on`);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const settings = pretrainRecord(s);

  const infoPath = join(s.runDir, PRETRAIN_FILE);
  const priorPath = join(s.runDir, PRIOR_SO_FAR_FILE);
  let info: PretrainInfo;
  let theta: Map<string, PriorWeight>;
  const earlier = s.resume && existsSync(infoPath) ? readPretrainInfo(infoPath) : undefined;
  if (earlier) {
    for (const k of SAME_ON_RESUME)
      if (earlier.settings[k] !== settings[k])
        throw new Error(
          `${infoPath}: settings.${k} is ${JSON.stringify(earlier.settings[k])}, this command asks ${JSON.stringify(settings[k])}; resume with the same settings or choose another --run-dir`,
        );
    const ids = [...byId.keys()].sort();
    if (canonicalJson([...earlier.order].sort()) !== canonicalJson(ids))
      throw new Error(`${infoPath}: the run pretrained on other tasks; resume with the same tasks`);
    info = { ...earlier, settings, state: "running", output: s.output };
    // prior.ttt is written before pretrain.json: its header says which round it is the result of
    const so = existsSync(priorPath) ? readPriorFile(priorPath) : undefined;
    info.rounds = so?.header.rounds ?? 0;
    theta = so ? so.prior.weights : initialWeights(s, family, tasks);
    display.log("info", `resuming ${s.runDir}: ${info.rounds} rounds done earlier`);
  } else {
    if (s.resume) display.log("info", `nothing to resume in ${s.runDir}: a new pretraining run starts there`);
    const order = new Rng(`pretrain/${s.seed}`).shuffle([...byId.keys()].sort());
    info = {
      format: PRETRAIN_FORMAT,
      tool: "ttt",
      command: "pretrain",
      version: pkg.version,
      startedAt: new Date().toISOString(),
      source: s.source,
      output: s.output,
      settings,
      order,
      rounds: 0,
      seconds: 0,
      state: "running",
      priorSha256: null,
    };
    rmSync(join(s.runDir, ROUNDS_FILE), { force: true });
    theta = initialWeights(s, family, tasks);
  }
  writePretrainInfo(infoPath, info);
  const meta = () => ({
    createdAt: new Date().toISOString(),
    trainedOn: {
      source: s.source,
      tasks: info.order.length,
      taskSet: sha256(canonicalJson([...info.order].sort())),
    },
    rounds: info.rounds,
    settings,
  });
  const asPrior = (w: Map<string, PriorWeight>): Prior => ({ family: family.name, configKey, weights: w });
  if (info.rounds === 0) info.priorSha256 = writePriorFile(priorPath, asPrior(theta), meta());

  // Each task's map from trainer parameters to named weights, built once (a dry model build) for all rounds.
  const extractors = new Map<string, SharedWeightsOf>();
  const sharedOf = (id: string): SharedWeightsOf => {
    let f = extractors.get(id);
    if (!f) {
      f = family.build(byId.get(id)!, { seed: 0 }).sharedWeights!;
      extractors.set(id, f);
    }
    return f;
  };
  const executor = deps.executor ?? new ProcessPool();
  const shared = keptOpen(executor);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  if (deps.signal?.aborted) onAbort();
  const previous = info.seconds;
  const elapsed = () => previous + now() - t0;
  let lastRound = 0;
  try {
    while (!controller.signal.aborted) {
      if (s.rounds !== undefined && info.rounds >= s.rounds) break;
      if (s.timeBudget !== undefined && elapsed() + lastRound > s.timeBudget) break;
      const r = info.rounds;
      const started = now();
      // a round never runs past the budget: its tasks share what is left of it
      const remaining = s.timeBudget !== undefined ? s.timeBudget - elapsed() : undefined;
      const entry = await runRound(
        s,
        r,
        info.order,
        priorPath,
        family,
        sharedOf,
        shared,
        controller.signal,
        display,
        remaining,
      );
      if (controller.signal.aborted) break;
      const next = reptileStep(theta, entry.weights, s.rate);
      const moved = rmsDifference(next, theta);
      theta = next;
      info.rounds = r + 1;
      info.priorSha256 = writePriorFile(priorPath, asPrior(theta), meta());
      lastRound = now() - started;
      const line: RoundEntry = { ...entry.line, moved, seconds: lastRound };
      appendRound(join(s.runDir, ROUNDS_FILE), line);
      info.seconds = elapsed();
      writePretrainInfo(infoPath, info);
      display.log("info", roundLine(line, s, elapsed()));
    }
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    if (!deps.executor) await executor.close();
  }
  const interrupted = controller.signal.aborted;
  info.seconds = elapsed();
  info.state = interrupted ? "interrupted" : "finished";
  writePretrainInfo(infoPath, info);
  if (!interrupted) writePriorFile(s.output, asPrior(theta), meta());
  return {
    output: s.output,
    rounds: info.rounds,
    seconds: info.seconds,
    tasks: info.order.length,
    interrupted,
    priorBytes: statSync(priorPath).size,
  };
}

/** The prior before any round: the family's seeded weights (the union over the first round's tasks), or --from. */
function initialWeights(
  s: PretrainSettings,
  family: ModelFamily<ModelSpec>,
  tasks: readonly Task[],
): Map<string, PriorWeight> {
  if (s.from) return readPriorFile(s.from).prior.weights;
  const out = new Map<string, PriorWeight>();
  for (const t of tasks.slice(0, Math.max(1, s.batch))) {
    const model = family.build(t, { seed: s.seed });
    const spec = model.spec;
    const params = Object.fromEntries(spec.params.map((p) => [p.name, p.init]));
    for (const [name, w] of model.sharedWeights!(params)) if (!out.has(name)) out.set(name, w);
  }
  return sortedWeights(out);
}

interface RoundOutcome {
  weights: Map<string, PriorWeight>[];
  line: Omit<RoundEntry, "moved" | "seconds">;
}

/** One round: its tasks trained from the prior so far as a solve run; their final weights and losses. */
async function runRound(
  s: PretrainSettings,
  round: number,
  order: readonly string[],
  priorPath: string,
  family: ModelFamily<ModelSpec>,
  sharedOf: (id: string) => SharedWeightsOf,
  executor: Executor,
  signal: AbortSignal,
  display: Display,
  remaining?: number,
): Promise<RoundOutcome> {
  const ids = roundTasks(order, s.batch, round);
  const dir = join(s.runDir, ROUNDS_DIR, `r${String(round + 1).padStart(5, "0")}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await solve(
    {
      source: s.source,
      output: join(dir, "submission.json"),
      runDir: dir,
      taskIds: [...new Set(ids)],
      steps: s.innerSteps,
      patience: 0,
      // one copy: the prior is learned from each task's trained weights (copy 0's)
      copies: 1,
      restarts: false,
      timePerTask: s.innerSeconds,
      ...(remaining !== undefined ? { timeBudget: Math.max(1, remaining) } : {}),
      checkpointEvery: 0,
      keepCheckpoints: 1,
      workers: s.workers,
      ep: s.ep,
      threads: s.threads,
      seed: (s.seed * 1000003 + round) >>> 0,
      family: s.family,
      prior: priorPath,
    },
    { executor, display: roundDisplay(display, round), family, signal },
  );
  const weights: Map<string, PriorWeight>[] = [];
  const first: number[] = [];
  const last: number[] = [];
  for (const rec of result.report.tasks) {
    const store = new CheckpointStore(join(dir, CHECKPOINTS_DIR, fileStems([rec.id]).get(rec.id)!), rec.id);
    const found = store.loadNewest(
      () => undefined,
      (c) => snapshotFromFiles(c.files),
    ).found;
    if (!found || rec.steps === 0) {
      display.log(
        "warn",
        `round ${round + 1}: task ${rec.id} gave no weights (${rec.stop}${rec.message ? `: ${rec.message}` : ""}); left out of the average`,
      );
      continue;
    }
    weights.push(sharedOf(rec.id)(found.value.trainer.params));
    const losses = found.value.losses.filter(Number.isFinite);
    if (losses.length) {
      first.push(losses[0]!);
      last.push(losses[losses.length - 1]!);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    weights,
    line: {
      round: round + 1,
      tasks: ids,
      used: weights.length,
      firstLoss: mean(first),
      finalLoss: mean(last),
    },
  };
}

function roundLine(l: RoundEntry, s: PretrainSettings, elapsed: number): string {
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(1));
  const of = s.rounds !== undefined ? `/${s.rounds}` : "";
  const budget = s.timeBudget !== undefined ? ` of ${Math.round(s.timeBudget)}s` : "";
  return `round ${l.round}${of}: ${l.used}/${l.tasks.length} tasks, mean loss ${f(l.firstLoss)} -> ${f(l.finalLoss)} after ${s.innerSteps} steps, prior moved ${l.moved.toExponential(2)} (rms), ${l.seconds.toFixed(1)}s, ${Math.round(elapsed)}s${budget}`;
}
