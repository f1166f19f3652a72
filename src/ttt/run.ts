// A whole `ttt solve` run: load and plan the tasks, share the time budget, run the tasks on the
// executor (worker processes), keep the submission valid and current after every task, write the run
// directory, and sum up. One bad task never stops the others.
import { totalmem } from "node:os";
import { taskToJson } from "../arc/index.ts";
import type { ModelFamily } from "../models/task-model.ts";
import type { EpChoice } from "../runtime/providers.ts";
import type { ModelSpec } from "../train/spec.ts";
import pkg from "../../package.json" with { type: "json" };
import { TimeBudget } from "./budget.ts";
import { loadFamily } from "./engine.ts";
import { loadRunInputs } from "./inputs.ts";
import { planTasks, type TaskPlan } from "./plan.ts";
import { ProcessPool, type Executor } from "./pool.ts";
import { PlainDisplay, type Display } from "./progress.ts";
import type { WireAnswer, WireOutcome } from "./protocol.ts";
import { median, notRunRecord, recordFromOutcome, type RunReport, type TaskRecord } from "./report.ts";
import { RunResults } from "./results.ts";
import { RunDir } from "./run-dir.ts";

export interface SolveSettings {
  source: string;
  output: string;
  runDir: string;
  solutions?: string;
  timePerTask?: number;
  timeBudget?: number;
  steps?: number;
  chunk?: number;
  patience?: number;
  workers: number;
  ep: EpChoice;
  threads: number;
  seed: number;
  taskIds?: string[];
  /** --max-memory; default 80% of the machine's memory shared by the workers. */
  maxMemoryBytes?: number;
  family: string;
}

export interface SolveDeps {
  executor?: Executor;
  display?: Display;
  /** The family used for planning (memory estimates); default: loaded by name. */
  family?: ModelFamily<ModelSpec>;
  /** Clock in seconds and the run's start on it (the budget counts from there). */
  now?: () => number;
  startedAt?: number;
  /** Aborting stops the run: tasks in flight are killed (their answers so far kept), none is started. */
  signal?: AbortSignal;
  readStdin?: () => Promise<string>;
}

export interface SolveResult {
  report: RunReport;
  /** 0 when some task was answered, else 1 (nothing could be done). */
  exitCode: number;
  interrupted: boolean;
}

/** Run-wide seconds added to a task's time before its worker is killed (it normally stops itself). */
export const hardGrace = (allot: number) => Math.max(3, 0.1 * allot);

export async function solve(s: SolveSettings, deps: SolveDeps = {}): Promise<SolveResult> {
  const now = deps.now ?? (() => performance.now() / 1000);
  const budget = new TimeBudget({
    workers: s.workers,
    now,
    ...(deps.startedAt !== undefined ? { startedAt: deps.startedAt } : {}),
    ...(s.timeBudget !== undefined ? { totalSeconds: s.timeBudget } : {}),
    ...(s.timePerTask !== undefined ? { perTaskSeconds: s.timePerTask } : {}),
  });
  const display = deps.display ?? new PlainDisplay();
  const startedAt = new Date(Date.now() - budget.elapsed() * 1000).toISOString();

  const inputs = await loadRunInputs(s.source, { ...(s.solutions ? { solutions: s.solutions } : {}), ...(s.taskIds ? { taskIds: s.taskIds } : {}), ...(deps.readStdin ? { readStdin: deps.readStdin } : {}) });
  for (const e of inputs.problems) display.log("warn", e.toString());
  const ids = [...inputs.tasks.map((t) => t.id), ...inputs.invalid.map((t) => t.id)];
  const tests = new Map<string, number>([...inputs.tasks.map((t) => [t.id, t.test.length] as const), ...inputs.invalid.map((t) => [t.id, t.tests] as const)]);

  const maxMemoryBytes = s.maxMemoryBytes ?? Math.floor((0.8 * totalmem()) / Math.max(1, s.workers));
  const settings = {
    family: s.family, ep: s.ep, threads: s.threads, workers: s.workers, seed: s.seed,
    steps: s.steps ?? null, chunk: s.chunk ?? null, patience: s.patience ?? null,
    timePerTask: s.timePerTask ?? null, timeBudget: s.timeBudget ?? null, safetyMargin: budget.margin,
    maxMemoryBytes, tasks: s.taskIds ?? null,
  };
  const runDir = new RunDir(s.runDir, ids);
  const header = {
    tool: "ttt" as const, command: "solve" as const, version: pkg.version, startedAt, source: s.source, submission: s.output,
    runDir: s.runDir, solutions: inputs.solutionsSource, settings, loadErrors: inputs.errors.map((e) => e.toString()),
  };
  runDir.writeRunInfo(header, ids);
  const results = new RunResults({ tests, output: s.output, runDir, header, solutions: inputs.solutions, elapsed: () => budget.elapsed() });
  const finish = (r: TaskRecord, weight: number) => {
    results.finish(r);
    display.taskDone(r, weight);
  };

  // Plans, memory estimates, and the records of tasks that will not run.
  let family = deps.family;
  let familyError = "";
  if (!family && inputs.tasks.length > 0) {
    try {
      family = await loadFamily(s.family);
    } catch (e) {
      familyError = (e as Error).message;
      display.log("error", familyError);
    }
  }
  const planOpts = { seed: s.seed, maxMemoryBytes, ...(s.steps !== undefined ? { steps: s.steps } : {}), ...(s.chunk !== undefined ? { chunk: s.chunk } : {}), ...(s.patience !== undefined ? { patience: s.patience } : {}) };
  const { plans, runnable, skips } = planTasks(inputs.tasks, planOpts, family, familyError);
  const weights = new Map(plans.map((p) => [p.id, p.weight]));
  const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0);
  display.begin(ids.length, totalWeight, Number.isFinite(budget.remaining()) ? budget.remaining() : undefined);
  results.write("running");
  for (const t of inputs.invalid) finish(notRunRecord(t.id, "invalid", "invalid", t.message, t.tests, inputs.solutions.get(t.id)), 0);
  for (const k of skips) {
    const r = notRunRecord(k.id, k.status, k.stop, k.message, tests.get(k.id)!, inputs.solutions.get(k.id));
    if (k.memoryEstimateBytes !== undefined) r.memoryEstimateBytes = k.memoryEstimateBytes;
    finish(r, weights.get(k.id) ?? 0);
  }

  // Run: `workers` loops pull tasks in order; each task's time is shared out when it starts.
  const executor = deps.executor ?? new ProcessPool();
  const tasksById = new Map(inputs.tasks.map((t) => [t.id, t]));
  const pending = [...runnable];
  let pendingWeight = pending.reduce((a, p) => a + p.weight, 0);
  const inFlight = new Map<string, { allot: number; started: number }>();
  const seenLogs = new Set<string>();
  /** Set-up seconds of the tasks answered so far: each pending task is given the median of them first. */
  const setups: number[] = [];
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    executor.abort();
  };
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  if (deps.signal?.aborted) onAbort();

  const runOne = async (plan: TaskPlan) => {
    const t = now();
    let promised = 0;
    for (const f of inFlight.values()) if (Number.isFinite(f.allot)) promised += Math.max(0, f.allot - (t - f.started));
    const allot = budget.allot(plan.weight, pendingWeight, promised, { seconds: median(setups), pendingCount: pending.length + 1 });
    pendingWeight -= plan.weight;
    const truths = inputs.solutions.get(plan.id);
    if (allot === undefined) {
      finish(notRunRecord(plan.id, "skipped", "no-time", "not started: the time budget is spent", plan.testInputs, truths), plan.weight);
      return;
    }
    inFlight.set(plan.id, { allot, started: t });
    display.taskStarted(plan.id, plan.weight);
    const hard = Math.min(Number.isFinite(allot) ? allot + hardGrace(allot) : Infinity, budget.deadline() - now());
    let live: Live | undefined;
    const outcome = await executor.run(
      { id: plan.id, task: taskToJson(tasksById.get(plan.id)!, false), plan, timeLimit: Number.isFinite(allot) ? allot : null, family: s.family, ep: s.ep, threads: s.threads },
      {
        onMessage: (m) => {
          if (m.type !== "chunk") return;
          live = { step: m.step, answers: m.answers, losses: [...(live?.losses ?? []), ...m.losses] };
          display.chunk(plan.id, m.step, m.steps, m.loss);
        },
        onLog: (line) => {
          // Workers say the same things (the execution provider, say): each line once per run.
          if (seenLogs.has(line)) return;
          seenLogs.add(line);
          display.log("info", `[${plan.id}] ${line}`);
        },
      },
      hard,
    );
    inFlight.delete(plan.id);
    const record = recordFromOutcome(plan, withLiveAnswers(outcome, live), truths, allot);
    if (record.status === "ok" && outcome.setupSeconds > 0) setups.push(outcome.setupSeconds);
    if (interrupted && outcome.stop === "error") record.stop = "interrupted";
    finish(record, plan.weight);
  };
  const loops = Array.from({ length: Math.max(1, s.workers) }, async () => {
    for (let plan = pending.shift(); plan; plan = pending.shift()) {
      if (interrupted) {
        finish(notRunRecord(plan.id, "skipped", "interrupted", "not started: the run was interrupted", plan.testInputs, inputs.solutions.get(plan.id)), plan.weight);
        continue;
      }
      await runOne(plan);
    }
  });
  try {
    await Promise.all(loops);
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    await executor.close();
    display.end();
  }
  const report = results.write(interrupted ? "interrupted" : "finished");
  try {
    await (await import("../report/index.ts")).writeRunReport(runDir.path);
  } catch (e) {
    display.log("warn", `report.html not written: ${(e as Error).message}`);
  }
  return { report, exitCode: results.answered() ? 0 : 1, interrupted };
}

/** What the run knows of a task in flight from its chunk messages. */
interface Live {
  step: number;
  answers: WireAnswer[];
  losses: (number | null)[];
}

/** A killed or crashed task keeps the answers of its last finished chunk. */
function withLiveAnswers(o: WireOutcome, live: Live | undefined): WireOutcome {
  if (o.answers.some((a) => a.attempts.length > 0) || !live) return o;
  const finite = live.losses.filter((l): l is number => l !== null && Number.isFinite(l));
  return {
    ...o,
    steps: live.step,
    losses: live.losses,
    finalLoss: finite.length ? finite[finite.length - 1]! : null,
    answers: live.answers,
    error: `${o.error ?? "stopped"}; kept the answers after step ${live.step}`,
  };
}
