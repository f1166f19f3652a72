// ARC tasks: demonstration pairs and test inputs (with their outputs when the solutions are known).
import { gridFromRows, gridToRows, type Grid } from "./grid.ts";

/** A demonstration pair. */
export interface Pair {
  readonly input: Grid;
  readonly output: Grid;
}

/** A test input; `output` is its solution when known (per-task files, or a solutions file). */
export interface TestPair {
  readonly input: Grid;
  readonly output?: Grid;
}

/** One ARC task. */
export interface Task {
  readonly id: string;
  readonly train: readonly Pair[];
  readonly test: readonly TestPair[];
}

/** Rows as they appear in JSON. */
export type GridRows = number[][];

/** The JSON form of a task, as in the per-task files (test outputs included when known). */
export interface TaskJson {
  train: { input: GridRows; output: GridRows }[];
  test: { input: GridRows; output?: GridRows }[];
}

/** The task with every test output removed: what a solver may see. */
export function withoutTestOutputs(task: Task): Task {
  return { id: task.id, train: task.train, test: task.test.map((t) => ({ input: t.input })) };
}

/** The test outputs of a task when every one is known, otherwise undefined. */
export function testOutputsOf(task: Task): Grid[] | undefined {
  const outs = task.test.map((t) => t.output);
  return outs.every((g): g is Grid => g !== undefined) ? outs : undefined;
}

/** Every grid of a task: train inputs and outputs, test inputs, and known test outputs. */
export function gridsOf(task: Task): Grid[] {
  const grids: Grid[] = [];
  for (const p of task.train) grids.push(p.input, p.output);
  for (const t of task.test) {
    grids.push(t.input);
    if (t.output) grids.push(t.output);
  }
  return grids;
}

/** The JSON form of a task; test outputs are written only with `withTestOutputs`. */
export function taskToJson(task: Task, withTestOutputs = true): TaskJson {
  return {
    train: task.train.map((p) => ({ input: gridToRows(p.input), output: gridToRows(p.output) })),
    test: task.test.map((t) =>
      withTestOutputs && t.output
        ? { input: gridToRows(t.input), output: gridToRows(t.output) }
        : { input: gridToRows(t.input) },
    ),
  };
}

/** A task from its JSON form. Throws RangeError on a bad grid; use the loader for untrusted data. */
export function taskFromJson(id: string, json: TaskJson): Task {
  return {
    id,
    train: json.train.map((p) => ({ input: gridFromRows(p.input), output: gridFromRows(p.output) })),
    test: json.test.map((t) =>
      t.output
        ? { input: gridFromRows(t.input), output: gridFromRows(t.output) }
        : { input: gridFromRows(t.input) },
    ),
  };
}

/** The Kaggle layout of tasks: a challenges object (no test outputs) and a solutions object. */
export function tasksToKaggle(tasks: readonly Task[]): {
  challenges: Record<string, TaskJson>;
  solutions: Record<string, GridRows[]>;
} {
  const challenges: Record<string, TaskJson> = {};
  const solutions: Record<string, GridRows[]> = {};
  const put = (o: object, key: string, value: unknown) =>
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  for (const task of tasks) {
    put(challenges, task.id, taskToJson(task, false));
    const outs = testOutputsOf(task);
    if (outs) put(solutions, task.id, outs.map(gridToRows));
  }
  return { challenges, solutions };
}
