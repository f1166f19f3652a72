// One task of a run on the executor: its job (checkpoints, memory limit), the answers known from its
// progress messages (kept when the worker dies), one retry with a safer setting after a fault
// (retry.ts), and its record, with a fallback answer when the last try failed.
import type { Grid, GridRows } from "../arc/index.ts";
import type { Executor } from "../workers/pool.ts";
import type { Display } from "./progress.ts";
import type { Fault, Job, RetryNote, WireAnswer, WireOutcome } from "../loop/job.ts";
import { recordFromOutcome, setAnswers, type TaskRecord } from "../rundir/records.ts";
import { faultOf, isFault, retryJob, retryNote } from "./retry.ts";
import type { TaskPlan } from "../loop/plan.ts";

/** A retry is not started with less than this many seconds of the task's time left. */
export const MIN_RETRY_SECONDS = 1;

export interface TaskRunContext {
  executor: Executor;
  display: Display;
  /** Lines the workers said, each shown once per run. */
  seenLogs: Set<string>;
  interrupted: () => boolean;
  /** The task's test inputs (the last fallback answer). */
  testInputs: GridRows[];
  truths?: readonly Grid[];
}

/** What the run knows of a try in flight from its messages. */
interface Live {
  step: number;
  answers: WireAnswer[];
  losses: (number | null)[];
}

const answered = (o: WireOutcome) => o.answers.some((a) => a.attempts.length > 0);

/**
 * Run a task (try 1, or straight try 2 when `resumeRetry` says the run was killed in its retry)
 * and make its record. `allot`: the task's seconds; `hard`: seconds before its worker is killed.
 */
export async function runTask(
  job: Job,
  plan: TaskPlan,
  ctx: TaskRunContext,
  allot: number,
  hard: number,
  resumeRetry?: RetryNote,
): Promise<TaskRecord> {
  const faults: Fault[] = [];
  const started = performance.now();
  const left = (limit: number) => limit - (performance.now() - started) / 1000;
  let current = job;
  if (resumeRetry) {
    faults.push(resumeRetry.fault);
    current = retryJob(
      job,
      resumeRetry,
      Number.isFinite(allot) ? Math.max(MIN_RETRY_SECONDS, allot - resumeRetry.fault.seconds) : null,
    );
  }
  let outcome = await runTry(current, ctx, hard);
  const earlier: WireOutcome[] = [];
  let note = resumeRetry;
  if (isFault(outcome) && !ctx.interrupted()) {
    const fault = faultOf(outcome, current.try ?? 1);
    faults.push(fault);
    const timeLeft = Number.isFinite(allot) ? left(allot) : Infinity;
    if ((current.try ?? 1) === 1 && timeLeft >= MIN_RETRY_SECONDS) {
      note = retryNote(fault, outcome, current);
      ctx.display.log("warn", `[${job.id}] ${fault.error}; retrying once with ${note.setting}`);
      earlier.push(outcome);
      current = retryJob(job, note, Number.isFinite(timeLeft) ? timeLeft : null);
      outcome = await runTry(current, ctx, left(hard));
      if (isFault(outcome) && !ctx.interrupted()) faults.push(faultOf(outcome, 2));
    }
  }
  const record = recordFromOutcome(
    current.try === 2 ? { ...plan, seed: current.plan.seed, chunk: current.plan.chunk } : plan,
    outcome,
    ctx.truths,
    allot,
  );
  if (faults.length) record.faults = faults;
  if (note) record.retry = note.setting;
  if (isFault(outcome) && !answered(outcome) && !ctx.interrupted()) {
    const before = earlier.find(answered);
    if (before)
      setAnswers(
        record,
        before.answers,
        `try 1's answers (step ${before.steps}): the retry gave none`,
        ctx.truths,
      );
    else
      setAnswers(
        record,
        ctx.testInputs.map((rows) => ({ attempts: [rows], confidences: [0], distinct: 1 })),
        "the test inputs as they are: no try gave an answer",
        ctx.truths,
      );
  }
  return record;
}

/** One try on the executor; a worker that died keeps the answers of its last finished chunk. */
async function runTry(job: Job, ctx: TaskRunContext, hard: number): Promise<WireOutcome> {
  let live: Live | undefined;
  const outcome = await ctx.executor.run(
    job,
    {
      onMessage: (m) => {
        if (m.type === "resumed") {
          live = { step: m.step, answers: m.answers, losses: m.losses };
          ctx.display.log("info", `[${job.id}] going on from checkpoint v${m.version} (step ${m.step})`);
        } else if (m.type === "chunk") {
          live = { step: m.step, answers: m.answers, losses: [...(live?.losses ?? []), ...m.losses] };
          ctx.display.chunk(job.id, m.step, m.steps, m.loss);
        } else if (m.type === "note") {
          ctx.display.log(m.level, `[${job.id}] ${m.message}`);
        }
      },
      onLog: (line) => {
        // Workers say the same things (the execution provider, say): each line once per run.
        if (ctx.seenLogs.has(line)) return;
        ctx.seenLogs.add(line);
        ctx.display.log("info", `[${job.id}] ${line}`);
      },
    },
    hard,
  );
  return withLiveAnswers(outcome, live);
}

/** A killed or crashed task keeps the answers of its last finished chunk. */
function withLiveAnswers(o: WireOutcome, live: Live | undefined): WireOutcome {
  if (answered(o) || !live) return o;
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
