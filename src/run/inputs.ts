// The run's inputs: tasks loaded with src/arc (bad ones kept as ids with their errors, so the
// submission still lists them), the `--tasks` filter, and the solutions for scoring (from --solutions,
// the tasks' own test outputs, or the Kaggle *_solutions.json beside a challenges file). The tasks handed
// on carry no test outputs: solutions are for scoring only.
import { readFileSync } from "node:fs";
import {
  findSolutionsFile,
  loadSolutions,
  loadTasks,
  parseJson,
  testOutputsOf,
  withoutTestOutputs,
  type Grid,
  type LoadError,
  type SourceLayout,
  type Task,
} from "../arc/index.ts";
import { OptionError } from "../util/units.ts";

/** A task that could not be loaded: its id, how many test inputs it seems to have, and why. */
export interface InvalidTask {
  id: string;
  tests: number;
  message: string;
}

export interface RunInputs {
  /** Valid tasks without test outputs, in source order. */
  tasks: Task[];
  invalid: InvalidTask[];
  /** Load problems not tied to one task id (unreadable file, ...), and solution problems. */
  problems: LoadError[];
  /** Every load problem, for the report. */
  errors: LoadError[];
  layout: SourceLayout;
  solutions: Map<string, Grid[]>;
  /** Where the solutions came from, or null. */
  solutionsSource: string | null;
}

export interface InputOptions {
  /** --solutions: a solutions file or tasks with outputs. */
  solutions?: string;
  /** --tasks: only these ids. */
  taskIds?: string[];
  readStdin?: () => Promise<string>;
}

export async function loadRunInputs(source: string, o: InputOptions = {}): Promise<RunInputs> {
  const loaded = await loadTasks(source, o.readStdin ? { readStdin: o.readStdin } : {});
  const goodIds = new Set(loaded.tasks.map((t) => t.id));
  const byId = new Map<string, LoadError[]>();
  const problems: LoadError[] = [];
  for (const e of loaded.errors) {
    if (e.taskId !== undefined && !goodIds.has(e.taskId))
      byId.set(e.taskId, [...(byId.get(e.taskId) ?? []), e]);
    else problems.push(e);
  }
  let invalid: InvalidTask[] = [...byId].map(([id, errs]) => ({
    id,
    tests: testCountFromRaw(errs[0]!.file, id),
    message: errs.map((e) => e.toString()).join("; "),
  }));
  let tasks = loaded.tasks;
  if (o.taskIds && o.taskIds.length > 0) {
    const known = new Set([...goodIds, ...byId.keys()]);
    const unknown = o.taskIds.filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new OptionError(
        `--tasks: ${unknown.length === 1 ? "no task" : "no tasks"} ${unknown.join(", ")} in ${source}`,
      );
    const wanted = new Set(o.taskIds);
    tasks = tasks.filter((t) => wanted.has(t.id));
    invalid = invalid.filter((t) => wanted.has(t.id));
  }
  const ids = new Set([...tasks.map((t) => t.id), ...invalid.map((t) => t.id)]);

  let solutions = new Map<string, Grid[]>();
  let solutionsSource: string | null = null;
  const solutionErrors: LoadError[] = [];
  const external =
    o.solutions ?? (loaded.layout === "challenges" && source !== "-" ? findSolutionsFile(source) : undefined);
  if (external !== undefined) {
    const sol = await loadSolutions(external);
    solutionsSource = external;
    solutions = sol.solutions;
    // Solutions for tasks outside this run are not a problem here (a --tasks subset, say).
    solutionErrors.push(...sol.errors.filter((e) => e.taskId === undefined || ids.has(e.taskId)));
  } else {
    for (const t of tasks) {
      const outs = testOutputsOf(t);
      if (outs) solutions.set(t.id, outs);
    }
    if (solutions.size > 0) solutionsSource = source;
  }
  for (const id of [...solutions.keys()]) if (!ids.has(id)) solutions.delete(id);
  return {
    tasks: tasks.map(withoutTestOutputs),
    invalid,
    problems: [...problems, ...solutionErrors],
    errors: [...loaded.errors, ...solutionErrors],
    layout: loaded.layout,
    solutions,
    solutionsSource,
  };
}

const rawCache = new Map<string, unknown>();
const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * How many test inputs a task that failed validation seems to have (its raw "test" list), so the
 * submission can give it one [[0]] pair per test input; 1 when that cannot be told.
 */
export function testCountFromRaw(file: string, id: string): number {
  try {
    if (!rawCache.has(file)) {
      const parsed = parseJson(readFileSync(file, "utf8"), file);
      rawCache.set(file, "value" in parsed ? parsed.value : undefined);
    }
    const raw = rawCache.get(file);
    if (!isObject(raw)) return 1;
    // The file is one task, or a challenges file of tasks by id.
    const task = Array.isArray(raw.test) || "train" in raw ? raw : raw[id];
    const n = isObject(task) && Array.isArray(task.test) ? task.test.length : 0;
    return n > 0 ? n : 1;
  } catch {
    return 1;
  }
}
