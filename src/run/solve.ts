// A whole `ttt solve` run: lock the run directory, load and plan the tasks, continue an earlier session
// (--resume: finished tasks kept, the rest run, the one in flight from its checkpoint), share the time
// budget, run the tasks on the executor (worker processes), keep the submission valid and current
// after every task, write the run directory, and sum up. One bad task never stops the others.
import { rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { gridToRows, type Task, taskToJson } from "../arc/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { TimeBudget } from "./budget.ts";
import { CheckpointStore } from "../rundir/checkpoint-store.ts";
import { loadFamily } from "../models/registry.ts";
import { loadRunInputs } from "./inputs.ts";
import { RunLock } from "../rundir/lock.ts";
import type { Job } from "../loop/job.ts";
import { planTasks, type TaskPlan } from "../loop/plan.ts";
import { ProcessPool } from "../workers/pool.ts";
import { PlainDisplay, type Display } from "./progress.ts";
import type { RunHeader, RunReport, RunSettings } from "../rundir/formats/index.ts";
import { notRunRecord, type TaskRecord } from "../rundir/records.ts";
import { RunResults } from "../rundir/results.ts";
import { pendingRetry, reopenRun } from "../rundir/resume.ts";
import { RunDir } from "../rundir/run-dir.ts";
import { Scheduler } from "./scheduler.ts";
import { runTask, type TaskRunContext } from "./task-job.ts";
import {
  restartsOn,
  settingsRecord,
  type SolveDeps,
  type SolveResult,
  type SolveSettings,
} from "./settings.ts";
import { planDevices } from "./device-plan.ts";
import { acquireShardLock } from "./shard-lock.ts";
import { shardInputs } from "./shard-solve.ts";
import { readPriorFile, type PriorFile } from "../rundir/prior-file.ts";
import { checkPriorFits } from "../models/prior.ts";
import { installWriteFaults, parseFaults } from "../workers/fault-injection.ts";
import { resumeCommand, WriteStop } from "./write-stop.ts";

export type { SolveDeps, SolveResult, SolveSettings } from "./settings.ts";
export { DEFAULT_CHECKPOINT_EVERY, DEFAULT_KEEP_CHECKPOINTS } from "./settings.ts";

/** Run-wide seconds added to a task's time before its worker is killed (it normally stops itself). */
export const hardGrace = (allot: number) => Math.max(3, 0.1 * allot);

/**
 * Solve the tasks. Before any work: the run directory is locked (an error names the live holder's pid,
 * or says the directory cannot be written) and the submission's folder is checked for writing.
 */
export async function solve(s: SolveSettings, deps: SolveDeps = {}): Promise<SolveResult> {
  const display = deps.display ?? new PlainDisplay();
  const onStale = (old: { pid: number; host: string }) =>
    display.log(
      "warn",
      `run directory ${s.runDir}: took over the lock left by pid ${old.pid}${old.host !== hostname() ? ` on ${old.host}` : ""} (no longer running)`,
    );
  const onDamaged = (problem: string) => display.log("warn", `${problem}: not a lock of ttt's, taken over`);
  const lock = s.shard
    ? await acquireShardLock(s.runDir, "ttt solve", {
        onStale,
        onDamaged,
        onWait: (h) =>
          display.log(
            "info",
            `run directory ${s.runDir}: locked by pid ${h.pid} on ${h.host}; waiting for its heartbeat to stop (a requeued shard on another node)`,
          ),
      })
    : await RunLock.acquire(s.runDir, "ttt solve", { onStale, onDamaged });
  try {
    checkWritable(s.output);
    return await solveLocked(s, { ...deps, display }, lock);
  } finally {
    lock.release();
  }
}

function checkWritable(output: string): void {
  const probe = join(dirname(output), `.ttt-write-check-${process.pid}`);
  try {
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (e) {
    throw new Error(
      `submission file ${output} cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"}: ${(e as Error).message})`,
    );
  }
}

async function solveLocked(
  s: SolveSettings,
  deps: SolveDeps & { display: Display },
  lock: RunLock,
): Promise<SolveResult> {
  const now = deps.now ?? (() => performance.now() / 1000);
  const t0 = deps.startedAt ?? now();
  const display = deps.display;
  installWriteFaults(parseFaults(process.env.TTT_INJECT_FAULT));
  // A record, journal line, submission or report that cannot be written (a full disk) stops the run.
  const writes = new WriteStop(display);

  // The tasks (this shard's only, with --shard), and what an earlier session of the run left (--resume).
  const sharded = shardInputs(
    await loadRunInputs(s.source, {
      ...(s.solutions ? { solutions: s.solutions } : {}),
      ...(s.taskIds ? { taskIds: s.taskIds } : {}),
      ...(deps.readStdin ? { readStdin: deps.readStdin } : {}),
    }),
    s,
  );
  const inputs = sharded.inputs;
  const gpus = await planDevices(s, inputs.tasks, deps.family ? { family: deps.family } : {});
  if (gpus) {
    s = { ...s, workers: gpus.workers };
    display.log("info", gpus.note);
  }
  for (const e of inputs.problems) display.log("warn", e.toString());
  // More shards than the tasks fill: this one has nothing to do, a success (its run.json and empty
  // submission written as usual, so `ttt merge` finds it finished and Slurm/Kubernetes see it complete).
  const emptyShard = s.shard !== undefined && inputs.tasks.length + inputs.invalid.length === 0;
  if (emptyShard && s.shard)
    display.log(
      "info",
      `shard ${s.shard.index}/${s.shard.count} holds none of the ${sharded.record?.tasks.length ?? 0} tasks (more shards than tasks): nothing to solve, an empty record written`,
    );
  const ids = [...inputs.tasks.map((t) => t.id), ...inputs.invalid.map((t) => t.id)];
  const tests = new Map<string, number>([
    ...inputs.tasks.map((t) => [t.id, t.test.length] as const),
    ...inputs.invalid.map((t) => [t.id, t.tests] as const),
  ]);
  const prior = s.prior ? await checkedPrior(s.prior, s.family, deps.family) : undefined;
  if (prior)
    display.log(
      "info",
      `every task starts from the prior ${s.prior} (${prior.header.weights.length} weights, learned from ${prior.header.trainedOn.tasks} tasks in ${prior.header.rounds} rounds)`,
    );
  const settings = settingsRecord(s, prior?.fileSha256 ?? null);
  const reopened = s.resume ? reopenRun(s.runDir, ids, settings) : undefined;
  if (s.resume && !reopened) display.log("info", `nothing to resume in ${s.runDir}: a new run starts there`);
  for (const n of reopened?.notes ?? []) display.log("warn", `${s.runDir}: ${n}`);

  // The time earlier sessions used counts: the budget's clock starts that much earlier.
  const budget = new TimeBudget({
    workers: s.workers,
    now,
    startedAt: t0 - (reopened?.previousSeconds ?? 0),
    ...(s.timeBudget !== undefined ? { totalSeconds: s.timeBudget } : {}),
    ...(s.timePerTask !== undefined ? { perTaskSeconds: s.timePerTask } : {}),
  });
  settings.safetyMargin = budget.margin;

  // The run directory: run.json, then the results (records, journal, report, submission) as they come.
  const runDir = new RunDir(s.runDir, ids, { resume: reopened !== undefined });
  const header: RunHeader = {
    tool: "ttt",
    command: "solve",
    version: pkg.version,
    startedAt: reopened?.runInfo.startedAt ?? new Date(Date.now() - budget.elapsed() * 1000).toISOString(),
    source: s.source,
    submission: s.output,
    runDir: s.runDir,
    solutions: inputs.solutionsSource,
    settings,
    loadErrors: inputs.errors.map((e) => e.toString()),
  };
  const info = sharded.record ? { ...header, shard: sharded.record } : header;
  const resumes = reopened
    ? [
        ...(reopened.runInfo.resumes ?? []),
        { at: new Date().toISOString(), pid: process.pid, finished: reopened.finished.size },
      ]
    : [];
  runDir.writeRunInfo(info, ids, resumes);
  const results = new RunResults({
    tests,
    output: s.output,
    runDir,
    header,
    solutions: inputs.solutions,
    elapsed: () => budget.elapsed(),
  });
  const finished = reopened?.finished ?? new Map<string, TaskRecord>();
  const finish = (r: TaskRecord, weight: number) => {
    if (finished.has(r.id)) return;
    writes.guard(() => results.finish(r));
    display.taskDone(r, weight);
  };

  // Plans, memory estimates, and the records of tasks that will not run.
  const { plans, runnable, skips } = await planRun(s, inputs.tasks, settings.maxMemoryBytes, deps);
  const weights = new Map(plans.map((p) => [p.id, p.weight]));
  const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0);
  display.begin(
    ids.length,
    totalWeight,
    Number.isFinite(budget.remaining()) ? budget.remaining() : undefined,
  );
  if (reopened)
    display.log(
      "info",
      `resuming ${s.runDir}: ${finished.size} of ${ids.length} tasks finished earlier (kept as they are)`,
    );
  for (const r of finished.values()) {
    results.restore(r);
    display.taskDone(r, weights.get(r.id) ?? 0);
  }
  writes.guard(() => results.write("running"));
  for (const t of inputs.invalid)
    finish(notRunRecord(t.id, "invalid", "invalid", t.message, t.tests, inputs.solutions.get(t.id)), 0);
  for (const k of skips) {
    const r = notRunRecord(k.id, k.status, k.stop, k.message, tests.get(k.id)!, inputs.solutions.get(k.id));
    if (k.memoryEstimateBytes !== undefined) r.memoryEstimateBytes = k.memoryEstimateBytes;
    finish(r, weights.get(k.id) ?? 0);
  }

  // Run the tasks not finished yet on the executor (worker processes).
  const executor =
    deps.executor ?? new ProcessPool(process.env, (pids) => lock.setWorkers(pids), gpus?.spreader);
  const scheduler = new Scheduler(
    runnable.filter((p) => !finished.has(p.id)),
    budget,
    now,
  );
  const onAbort = () => {
    scheduler.interrupt();
    executor.abort();
  };
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  if (deps.signal?.aborted) onAbort();
  writes.onStop(onAbort);
  const tasksById = new Map(inputs.tasks.map((t) => [t.id, t]));
  const context = {
    executor,
    display,
    seenLogs: new Set<string>(),
    interrupted: () => scheduler.interrupted,
  };
  try {
    await scheduler.run(s.workers, {
      notStarted: (plan, stop) =>
        finish(
          notRunRecord(
            plan.id,
            "skipped",
            stop,
            NOT_STARTED[stop],
            plan.testInputs,
            inputs.solutions.get(plan.id),
          ),
          plan.weight,
        ),
      run: (plan, allot) => {
        display.taskStarted(plan.id, plan.weight);
        const hard = Math.min(
          Number.isFinite(allot) ? allot + hardGrace(allot) : Infinity,
          budget.deadline() - now(),
        );
        const task = tasksById.get(plan.id)!;
        const job = taskJob(s, settings, runDir.checkpointDir(plan.id), task, plan, allot);
        if (prior) job.prior = { path: resolve(s.prior!), sha256: prior.fileSha256 };
        const truths = inputs.solutions.get(plan.id);
        const ctx: TaskRunContext = {
          ...context,
          testInputs: task.test.map((p) => gridToRows(p.input)),
          ...(truths ? { truths } : {}),
        };
        return runTask(job, plan, ctx, allot, hard, reopened ? pendingRetry(job.checkpoint!.dir) : undefined);
      },
      ran: (plan, record) => {
        finish(record, plan.weight);
        // A finished task needs no checkpoints to go on from: only its final version is kept.
        if (record.stop !== "interrupted")
          pruneFinished(
            join(s.runDir, runDir.checkpointDir(plan.id)),
            runDir.checkpointDir(plan.id),
            display,
          );
      },
    });
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    await executor.close();
    display.end();
  }

  // Sum up: the records not written yet (space may be back), the last report and submission, report.html.
  const state = scheduler.interrupted ? "interrupted" : "finished";
  writes.guard(() => results.writeRecords());
  let written: RunReport | undefined;
  writes.guard(() => {
    written = results.write(state);
  });
  // the report as written (the one returned must be the file's), else as it would have been
  const report = written ?? results.report(state);
  try {
    await (await import("../report/index.ts")).writeRunReport(runDir.path);
  } catch (e) {
    display.log("warn", `report.html not written: ${(e as Error).message}`);
  }
  if (writes.first) {
    const done = new Set(
      report.tasks.filter((t) => t.stop !== "interrupted" && t.stop !== "no-time").map((t) => t.id),
    );
    const stopped = writes.summary(results, {
      output: s.output,
      command: resumeCommand(s),
      notFinished: ids.filter((id) => !done.has(id)),
      total: ids.length,
    });
    return { report, exitCode: 1, interrupted: false, writeFailure: stopped };
  }
  return {
    report,
    exitCode: results.answered() || emptyShard ? 0 : 1,
    interrupted: scheduler.interrupted,
  };
}

const NOT_STARTED = {
  "no-time": "not started: the time budget is spent",
  interrupted: "not started: the run was interrupted",
} as const;

/** A task's job for the executor: its plan, time limit, and checkpoint folder (`label`, in the run directory). */
function taskJob(
  s: SolveSettings,
  settings: RunSettings,
  label: string,
  task: Task,
  plan: TaskPlan,
  allot: number,
): Job {
  return {
    id: plan.id,
    task: taskToJson(task, false),
    plan,
    timeLimit: Number.isFinite(allot) ? allot : null,
    family: s.family,
    ep: s.ep,
    threads: s.threads,
    maxMemoryBytes: settings.maxMemoryBytes,
    checkpoint: {
      dir: join(s.runDir, label),
      label,
      every: settings.checkpointEvery,
      keep: settings.keepCheckpoints,
    },
  };
}

/** The tasks' plans (memory estimates with the family), which of them run, and why the others do not. */
async function planRun(
  s: SolveSettings,
  tasks: Task[],
  maxMemoryBytes: number,
  deps: SolveDeps & { display: Display },
): Promise<ReturnType<typeof planTasks>> {
  let family = deps.family;
  let familyError = "";
  if (!family && tasks.length > 0) {
    try {
      family = await loadFamily(s.family);
    } catch (e) {
      familyError = (e as Error).message;
      deps.display.log("error", familyError);
    }
  }
  const planOpts = {
    seed: s.seed,
    maxMemoryBytes,
    timeLimited: s.timePerTask !== undefined || s.timeBudget !== undefined,
    ...(s.steps !== undefined ? { steps: s.steps } : {}),
    ...(s.chunk !== undefined ? { chunk: s.chunk } : {}),
    ...(s.patience !== undefined ? { patience: s.patience } : {}),
    ...(s.copies !== undefined ? { copies: s.copies } : {}),
    restarts: restartsOn(s),
  };
  return planTasks(tasks, planOpts, family, familyError);
}

/** The --prior file, read, checked, and checked against the run's family and its configuration. */
async function checkedPrior(
  path: string,
  familyName: string,
  given: SolveDeps["family"],
): Promise<PriorFile> {
  const file = readPriorFile(path);
  const family = given ?? (await loadFamily(familyName));
  checkPriorFits(file.prior, family.name, family.priorKey?.(), `prior ${path}`);
  return file;
}

function pruneFinished(dir: string, label: string, display: Display): void {
  try {
    new CheckpointStore(dir, label).prune(0);
  } catch (e) {
    display.log("warn", `${label}: old checkpoints not removed: ${(e as Error).message}`);
  }
}
