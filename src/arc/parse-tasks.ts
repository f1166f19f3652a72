// From parsed JSON to validated tasks: layout detection, per-task validation, attaching solutions.
// Nothing here throws for bad content; every problem becomes a LoadError and the good tasks survive.
import { gridFromRows, type Grid } from "./grid.ts";
import { entriesInTextOrder } from "./json-syntax.ts";
import { LoadError } from "./load-error.ts";
import { SolutionListSchema, TaskSchema, describeValue, validate } from "./schema.ts";
import type { Task, TestPair } from "./task.ts";

/** What a JSON file holds: one task, a Kaggle challenges map ({id: task}), or a Kaggle solutions map ({id: [grid]}). */
export type JsonLayout = "task" | "challenges" | "solutions";

/** Tasks and problems from one source. */
export interface TaskSet {
  tasks: Task[];
  errors: LoadError[];
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Guess the layout of a parsed JSON value, or undefined when it is none of them. */
export function detectJsonLayout(value: unknown): JsonLayout | undefined {
  if (!isRecord(value)) return undefined;
  if ("train" in value || "test" in value) return "task";
  const entries = Object.values(value);
  if (entries.length > 0 && entries.every(Array.isArray)) return "solutions";
  return "challenges";
}

/** Validate one task value and build the Task, or give the error for it. */
export function parseTask(value: unknown, id: string, file: string): { task: Task } | { error: LoadError } {
  const result = validate(TaskSchema, value, { file, taskId: id });
  if (!result.ok) return { error: result.error };
  const json = result.value;
  return {
    task: {
      id,
      train: json.train.map((p) => ({ input: gridFromRows(p.input), output: gridFromRows(p.output) })),
      test: json.test.map(
        (t): TestPair =>
          t.output
            ? { input: gridFromRows(t.input), output: gridFromRows(t.output) }
            : { input: gridFromRows(t.input) },
      ),
    },
  };
}

/** Entries of an object, in the order of `text` when it is given (see entriesInTextOrder). */
const entriesOf = (value: Record<string, unknown>, text?: string) =>
  text === undefined ? Object.entries(value) : entriesInTextOrder(value, text);

/**
 * Tasks from a parsed JSON value: a single task (id = `singleId`) or a challenges map. Pass the JSON
 * `text` to keep the file's task order (JavaScript would move all-digit ids first).
 */
export function tasksFromJson(
  value: unknown,
  file: string,
  singleId: string,
  text?: string,
): TaskSet & { layout?: JsonLayout } {
  const layout = detectJsonLayout(value);
  if (layout === undefined) {
    const message = `expected a task ({train, test}) or an object of tasks by id, got ${describeValue(value)}`;
    return { tasks: [], errors: [new LoadError({ file, message })] };
  }
  if (layout === "solutions") {
    const message = "this is a solutions file ({id: [grid]}); load it with its challenges file";
    return { tasks: [], errors: [new LoadError({ file, message })], layout };
  }
  const entries: [string, unknown][] =
    layout === "task" ? [[singleId, value]] : entriesOf(value as Record<string, unknown>, text);
  if (entries.length === 0)
    return { tasks: [], errors: [new LoadError({ file, message: "no tasks in the file" })], layout };
  const set: TaskSet = { tasks: [], errors: [] };
  for (const [id, taskValue] of entries) {
    const one = parseTask(taskValue, id, file);
    if ("task" in one) set.tasks.push(one.task);
    else set.errors.push(one.error);
  }
  return { ...set, layout };
}

/** Solutions from a parsed Kaggle solutions value ({id: [grid per test input]}); `text` keeps the file's order. */
export function solutionsFromJson(
  value: unknown,
  file: string,
  text?: string,
): { solutions: Map<string, Grid[]>; errors: LoadError[] } {
  const solutions = new Map<string, Grid[]>();
  if (!isRecord(value)) {
    const message = `expected an object of solutions by task id, got ${describeValue(value)}`;
    return { solutions, errors: [new LoadError({ file, message })] };
  }
  const errors: LoadError[] = [];
  for (const [id, list] of entriesOf(value, text)) {
    const mapKeys = ([i, ...rest]: (string | number)[]) =>
      i === undefined ? [] : ["test", i, "output", ...rest];
    const result = validate(SolutionListSchema, list, { file, taskId: id, mapKeys });
    if (result.ok)
      solutions.set(
        id,
        result.value.map((rows) => gridFromRows(rows)),
      );
    else errors.push(result.error);
  }
  return { solutions, errors };
}

/**
 * Put known solutions into the tasks' test pairs. A task whose solution count does not match its test
 * inputs is left without them and gets an error; solutions for ids not in `known` (by default the
 * tasks' ids) are errors too.
 */
export function attachSolutions(
  tasks: Task[],
  solutions: Map<string, Grid[]>,
  file: string,
  known: ReadonlySet<string> = new Set(tasks.map((t) => t.id)),
): { tasks: Task[]; errors: LoadError[] } {
  const errors: LoadError[] = [];
  const out = tasks.map((task) => {
    const outputs = solutions.get(task.id);
    if (!outputs) return task;
    if (outputs.length !== task.test.length) {
      const message = `${outputs.length} output grid${outputs.length === 1 ? "" : "s"}, expected ${task.test.length} (one per test input)`;
      errors.push(new LoadError({ file, taskId: task.id, message }));
      return task;
    }
    return { ...task, test: task.test.map((t, i) => ({ input: t.input, output: outputs[i]! })) };
  });
  for (const id of solutions.keys()) {
    if (!known.has(id))
      errors.push(
        new LoadError({ file, taskId: id, message: "solution for a task that is not in the challenges" }),
      );
  }
  return { tasks: out, errors };
}
