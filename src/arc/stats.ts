// Summary figures of a task set, as `ttt inspect` prints them.
import { colourMask, sameShape, type Grid } from "./grid.ts";
import { gridsOf, type Task } from "./task.ts";

/** Buckets of max(height, width) over all grids. */
export const SIZE_BUCKETS = ["1-5", "6-10", "11-15", "16-20", "21-25", "26-30"] as const;

export interface TaskSetStats {
  tasks: number;
  trainPairs: number;
  testInputs: number;
  /** Test inputs whose output (solution) is known. */
  testOutputsKnown: number;
  /** Tasks with 1, 2, ... test inputs. */
  testInputsPerTask: Record<string, number>;
  /** Over every grid (train inputs and outputs, test inputs, known test outputs): max(height, width). */
  gridSize: { grids: number; buckets: Record<string, number>; min: number; median: number; max: number };
  colours: {
    /** tasksUsing[c]: how many tasks use colour c in any grid. */
    tasksUsing: number[];
    /** How many tasks use 1, 2, ... 10 distinct colours. */
    coloursPerTask: Record<string, number>;
  };
  /** Tasks where every known output has the shape of its input. */
  sameShapeTasks: number;
  sameShapeShare: number;
}

/** Compute the summary of a task set. */
export function taskSetStats(tasks: readonly Task[]): TaskSetStats {
  const sides: number[] = [];
  const buckets: Record<string, number> = Object.fromEntries(SIZE_BUCKETS.map((b) => [b, 0]));
  const tasksUsing = new Array<number>(10).fill(0);
  const coloursPerTask: Record<string, number> = {};
  const testInputsPerTask: Record<string, number> = {};
  let trainPairs = 0;
  let testInputs = 0;
  let testOutputsKnown = 0;
  let sameShapeTasks = 0;
  for (const task of tasks) {
    trainPairs += task.train.length;
    testInputs += task.test.length;
    testOutputsKnown += task.test.filter((t) => t.output !== undefined).length;
    bump(testInputsPerTask, String(task.test.length));
    let mask = 0;
    for (const grid of gridsOf(task)) {
      const side = Math.max(grid.height, grid.width);
      sides.push(side);
      buckets[SIZE_BUCKETS[Math.min(5, Math.floor((side - 1) / 5))]!]!++;
      mask |= colourMask(grid);
    }
    let distinct = 0;
    for (let c = 0; c < 10; c++) {
      if (mask & (1 << c)) {
        tasksUsing[c]!++;
        distinct++;
      }
    }
    bump(coloursPerTask, String(distinct));
    const pairs: { input: Grid; output?: Grid }[] = [...task.train, ...task.test];
    if (pairs.every((p) => p.output === undefined || sameShape(p.input, p.output))) sameShapeTasks++;
  }
  sides.sort((a, b) => a - b);
  return {
    tasks: tasks.length,
    trainPairs,
    testInputs,
    testOutputsKnown,
    testInputsPerTask: sortedByNumber(testInputsPerTask),
    gridSize: {
      grids: sides.length,
      buckets,
      min: sides[0] ?? 0,
      median: median(sides),
      max: sides[sides.length - 1] ?? 0,
    },
    colours: { tasksUsing, coloursPerTask: sortedByNumber(coloursPerTask) },
    sameShapeTasks,
    sameShapeShare: tasks.length > 0 ? sameShapeTasks / tasks.length : 0,
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function sortedByNumber(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => Number(a) - Number(b)));
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
