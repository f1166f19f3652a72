// Per-task plan, made from what a solver may see (train pairs and test inputs, never test outputs):
// shapes, colours, a deterministic seed, a size-based cost and time weight, the step budget and chunk
// size, the answer-stability patience, and the memory check against `--max-memory`.
import { colourMask, hashString, sameShape, type Task } from "../arc/index.ts";
import type { ModelFamily } from "../models/task-model.ts";
import { formatSize } from "../util/units.ts";

/** Cost of a reference task (4 examples, 4 colours, 10x10): weight 1, the base step budget. */
export const REFERENCE_COST = 4 * 4 * 10 * 10;
/** Step budget of a reference-sized task when `--steps` is not given. */
export const BASE_STEPS = 1000;
/**
 * The default step budget is this many times larger when time bounds the run (`--time-per-task` or
 * `--time-budget`): time is then the real limit. Stopping at ~1000 steps or on answers stable for a
 * quarter of that left time unused and lost tasks found later (bench/accuracy, train-50 at 60 s: of 22
 * tasks that stopped early and wrong, 2 were solved by 3000 steps without the early stop).
 */
export const TIME_LIMITED_STEPS_FACTOR = 4;

export interface PlanOptions {
  /** Run seed (`--seed`); each task's seed is derived from it and the task id. */
  seed: number;
  /** Exact step budget for every task (`--steps`); default: BASE_STEPS scaled by size. */
  steps?: number;
  /** Optimizer steps per chunk (one Loop run); default from size. */
  chunk?: number;
  /** Steps the answers must stay unchanged to stop early (`--patience`); 0 never stops early. Default steps/4. */
  patience?: number;
  /** Time bounds the run (a per-task or whole-run limit): default budgets TIME_LIMITED_STEPS_FACTOR x larger. */
  timeLimited?: boolean;
  /**
   * Copies of the model trained side by side (`--copies`); "auto" (default): by the task's cost when
   * time bounds the run, else one (a run bounded by steps alone would take R times as long).
   */
  copies?: number | "auto";
  /**
   * Go on with fresh copies when the answers are stable and steps and time are left, instead of
   * stopping (default false; the solve turns it on where each task has its own time).
   */
  restarts?: boolean;
}

export interface TaskPlan {
  id: string;
  seed: number;
  trainPairs: number;
  testInputs: number;
  /** [height, width] of every train input, train output and test input. */
  shapes: {
    trainInputs: [number, number][];
    trainOutputs: [number, number][];
    testInputs: [number, number][];
  };
  maxHeight: number;
  maxWidth: number;
  /** Every train output has its input's shape. */
  sameShape: boolean;
  /** Colours used anywhere in the visible grids, ascending (0 included when used). */
  colours: number[];
  /** examples x colours x maxHeight x maxWidth: how a step's work grows with the task. */
  cost: number;
  /** Time-sharing weight: sqrt(cost / REFERENCE_COST), clamped to 0.5..4. */
  weight: number;
  /** Most optimizer steps to run. */
  steps: number;
  chunk: number;
  patience: number;
  /** Independent copies of the model trained in one graph; their answers vote. */
  copies: number;
  /** Fresh copies replace settled ones while steps and time are left (else a stable task stops). */
  restarts: boolean;
}

/** The task's seed: a 32-bit hash of the run seed and the task id (same inputs, same seed). */
export function taskSeed(runSeed: number, id: string): number {
  return hashString(`${runSeed >>> 0}/${id}`);
}

/** Time-sharing weight from a task's cost. */
export function weightOf(cost: number): number {
  return Math.min(4, Math.max(0.5, Math.sqrt(cost / REFERENCE_COST)));
}

/**
 * Default step budget for a task of this cost: BASE_STEPS scaled by (cost / reference)^(1/4), clamped
 * to 0.75..1.5 of it. Larger tasks get somewhat more steps to converge; time, not steps, is what
 * usually stops them.
 */
export function defaultSteps(cost: number): number {
  return Math.round(BASE_STEPS * Math.min(1.5, Math.max(0.75, (cost / REFERENCE_COST) ** 0.25)));
}

/** Default chunk size: small tasks step fast, so more steps per run; large ones report more often. */
export function defaultChunk(cost: number): number {
  if (cost <= REFERENCE_COST) return 25;
  if (cost <= 8 * REFERENCE_COST) return 10;
  return 5;
}

/**
 * Steps per chunk for a step budget: the largest divisor of `steps` not above `preferred` when it is at
 * least half of it (every run then uses one Loop graph), else `preferred` with a shorter last chunk.
 */
export function chooseChunk(steps: number, preferred: number): number {
  const p = Math.max(1, Math.min(preferred, steps));
  for (let d = p; d >= Math.ceil(p / 2); d--) if (steps % d === 0) return d;
  return p;
}

/** The colours a task uses, ascending (test outputs, if present, are not looked at). */
function coloursOf(task: Pick<Task, "train" | "test">): number[] {
  let mask = 0;
  for (const p of task.train) mask |= colourMask(p.input) | colourMask(p.output);
  for (const t of task.test) mask |= colourMask(t.input);
  return [...Array(10).keys()].filter((c) => mask & (1 << c));
}

/** A task's size: examples x colours x the largest height x the largest width. */
export function taskCost(task: Pick<Task, "train" | "test">): number {
  const grids = [...task.train.flatMap((p) => [p.input, p.output]), ...task.test.map((t) => t.input)];
  const maxHeight = Math.max(1, ...grids.map((g) => g.height));
  const maxWidth = Math.max(1, ...grids.map((g) => g.width));
  const examples = task.train.length + task.test.length;
  return Math.max(1, examples) * Math.max(1, coloursOf(task).length) * maxHeight * maxWidth;
}

/** The plan for one task (pass the task without its test outputs). */
export function planTask(task: Task, o: PlanOptions): TaskPlan {
  const dims = (g: { height: number; width: number }): [number, number] => [g.height, g.width];
  const trainInputs = task.train.map((p) => dims(p.input));
  const trainOutputs = task.train.map((p) => dims(p.output));
  const testInputs = task.test.map((t) => dims(t.input));
  const all = [...trainInputs, ...trainOutputs, ...testInputs];
  const maxHeight = Math.max(1, ...all.map((d) => d[0]));
  const maxWidth = Math.max(1, ...all.map((d) => d[1]));
  const colours = coloursOf(task);
  const cost = taskCost(task);
  let chunk = Math.max(1, Math.floor(o.chunk ?? defaultChunk(cost)));
  // A given --steps is exact (the last chunk may be shorter); the default is rounded up to whole chunks.
  const base = defaultSteps(cost) * (o.timeLimited ? TIME_LIMITED_STEPS_FACTOR : 1);
  const steps = o.steps !== undefined ? Math.max(1, Math.floor(o.steps)) : Math.ceil(base / chunk) * chunk;
  chunk = chooseChunk(steps, chunk);
  const patience = Math.max(0, Math.floor(o.patience ?? Math.ceil(steps / 4)));
  return {
    id: task.id,
    seed: taskSeed(o.seed, task.id),
    trainPairs: task.train.length,
    testInputs: task.test.length,
    shapes: { trainInputs, trainOutputs, testInputs },
    maxHeight,
    maxWidth,
    sameShape: task.train.every((p) => sameShape(p.input, p.output)),
    colours,
    cost,
    weight: weightOf(cost),
    steps,
    chunk,
    patience,
    copies: typeof o.copies === "number" ? o.copies : o.timeLimited ? autoCopies(cost) : 1,
    restarts: o.restarts ?? false,
  };
}

/**
 * Copies by task cost (examples x colours x height x width), from bench/step's cost of R copies
 * against one: a small task's step is mostly per-node overhead, so extra copies there cost little;
 * a large one's is arithmetic and memory, so it keeps one copy.
 */
export function autoCopies(cost: number): number {
  for (const [upTo, copies] of AUTO_COPIES) if (cost <= upTo) return copies;
  return 1;
}

/** [largest cost, copies], ascending (bench/step --copies 1,2,4,8; docs/design.md "Several models per task"). */
export const AUTO_COPIES: readonly (readonly [number, number])[] = [
  [REFERENCE_COST / 4, 4],
  [REFERENCE_COST, 2],
];

/** The skip message when a model's memory estimate is over the limit, else undefined. */
export function memoryProblem(estimateBytes: number, maxBytes: number | undefined): string | undefined {
  if (maxBytes === undefined || !(estimateBytes > maxBytes)) return undefined;
  return `needs about ${formatSize(estimateBytes)}, over --max-memory ${formatSize(maxBytes)}: skipped`;
}

/** A task that will not run, and why. */
export interface PlanSkip {
  id: string;
  /** "skipped" for memory; "failed" when no model could be built. */
  status: "skipped" | "failed";
  stop: "memory" | "error";
  message: string;
  memoryEstimateBytes?: number;
}

/**
 * Plans for every task, and the model's memory estimate checked before anything is built for
 * training: the tasks that fit, and those skipped (over --max-memory) or failed (no model, with
 * `familyError` when the family itself could not be loaded).
 */
export function planTasks(
  tasks: readonly Task[],
  o: PlanOptions & { maxMemoryBytes?: number },
  family: ModelFamily<unknown> | undefined,
  familyError = "no model family",
): { plans: TaskPlan[]; runnable: TaskPlan[]; skips: PlanSkip[] } {
  const plans: TaskPlan[] = [];
  const runnable: TaskPlan[] = [];
  const skips: PlanSkip[] = [];
  for (const task of tasks) {
    const plan = planTask(task, o);
    plans.push(plan);
    if (!family) {
      skips.push({ id: task.id, status: "failed", stop: "error", message: familyError });
      continue;
    }
    let estimate: number;
    try {
      estimate = family.build(task, { seed: plan.seed, copies: plan.copies }).memoryEstimateBytes;
      // copies chosen by cost give way to the memory limit (one copy is the floor)
      const auto = o.copies === undefined || o.copies === "auto";
      while (auto && plan.copies > 1 && memoryProblem(estimate, o.maxMemoryBytes)) {
        plan.copies = Math.max(1, Math.floor(plan.copies / 2));
        estimate = family.build(task, { seed: plan.seed, copies: plan.copies }).memoryEstimateBytes;
      }
    } catch (e) {
      skips.push({
        id: task.id,
        status: "failed",
        stop: "error",
        message: `the model could not be built: ${(e as Error).message}`,
      });
      continue;
    }
    const problem = memoryProblem(estimate, o.maxMemoryBytes);
    if (problem)
      skips.push({
        id: task.id,
        status: "skipped",
        stop: "memory",
        message: problem,
        memoryEstimateBytes: estimate,
      });
    else runnable.push(plan);
  }
  return { plans, runnable, skips };
}
