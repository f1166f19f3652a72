// A task laid out for the multitensor: its colours, examples, canvas size, output-shape rule, the
// predicted test-output shapes, and the fixed tensors that describe the grids (masks, one-hot targets).
import type { Grid } from "../../arc/grid.ts";
import type { Task } from "../../arc/task.ts";
import type { Sizes } from "./members.ts";

/**
 * How test-output shapes are known:
 *  "input":  every train output has its input's shape, so a test output has its test input's shape;
 *  "fixed":  every train output has one shape, so the test outputs have it too;
 *  "learned": neither; the size heads choose the height and width, within the test input when every
 *            train output fits inside its input, else within the canvas (the largest size).
 */
export type ShapeRule = "input" | "fixed" | "learned";

export interface TaskLayout {
  sizes: Sizes;
  nTrain: number;
  nTest: number;
  /** Colour of each colour index; index 0 is black (its logit is fixed at zero). K = colours.length. */
  colours: number[];
  rule: ShapeRule;
  /**
   * Crop offsets (crop.ts): the rule is not "input" and some train output is smaller than its
   * example's region, so the train outputs may be drawn anywhere inside their regions.
   */
  offsets: boolean;
  /** [height, width] of every example's input and output (test outputs: the predicted shape). */
  shapes: { input: [number, number]; output: [number, number] }[];
}

export function shapeOf(g: Grid): [number, number] {
  return [g.height, g.width];
}

const same = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1];

/** The output-shape rule of a task (from its train pairs). */
export function shapeRule(task: Task): ShapeRule {
  if (task.train.every((p) => same(shapeOf(p.input), shapeOf(p.output)))) return "input";
  const first = shapeOf(task.train[0]!.output);
  if (task.train.every((p) => same(shapeOf(p.output), first))) return "fixed";
  return "learned";
}

export function layoutTask(task: Task): TaskLayout {
  if (task.train.length === 0) throw new RangeError(`task ${task.id}: no train pairs`);
  if (task.test.length === 0) throw new RangeError(`task ${task.id}: no test inputs`);
  const rule = shapeRule(task);
  const shapes: TaskLayout["shapes"] = task.train.map((p) => ({
    input: shapeOf(p.input),
    output: shapeOf(p.output),
  }));
  let X = 0;
  let Y = 0;
  const grow = (s: [number, number]) => {
    X = Math.max(X, s[0]);
    Y = Math.max(Y, s[1]);
  };
  for (const s of shapes) {
    grow(s.input);
    grow(s.output);
  }
  for (const t of task.test) grow(shapeOf(t.input));
  // A learned shape is looked for in the whole canvas, or only inside the test input when every train
  // output fits inside its input (a crop: the answer is a window of the test input).
  const inside = task.train.every(
    (p) => p.output.height <= p.input.height && p.output.width <= p.input.width,
  );
  for (const t of task.test) {
    const input = shapeOf(t.input);
    const output: [number, number] =
      rule === "input" ? input : rule === "fixed" ? shapes[0]!.output : inside ? input : [X, Y];
    shapes.push({ input, output });
  }
  const used = new Set<number>();
  for (const p of task.train) for (const g of [p.input, p.output]) for (const v of g.cells) used.add(v);
  for (const t of task.test) for (const v of t.input.cells) used.add(v);
  used.delete(0);
  const colours = [0, ...[...used].sort((a, b) => a - b)];
  // A task drawn in black alone still gets one colour axis entry (a colour it never uses).
  if (colours.length === 1) colours.push(1);
  const offsets =
    rule !== "input" &&
    task.train.some((p) => p.output.height < p.input.height || p.output.width < p.input.width);
  return {
    sizes: { E: shapes.length, C: colours.length - 1, X, Y },
    nTrain: task.train.length,
    nTest: task.test.length,
    colours,
    rule,
    offsets,
    shapes,
  };
}

/** The fixed tensors of a layout, as plain arrays in the model's float type. */
export interface LayoutArrays {
  /** [1, 1, E, 1, X, Y]: 1 on the union of an example's input and output rectangles. */
  mask: Float64Array;
  /** [2, E, K, X, Y]: one-hot colour index of every known cell (slot 0 input, slot 1 output). */
  target: Float64Array;
  /** [2, E, 1, X, Y]: 1 on every known cell. */
  cells: Float64Array;
  /** [E, X] and [E, Y]: one-hot height and width of the train outputs (rows of test examples zero). */
  height: Float64Array;
  width: Float64Array;
  /** [nTrain, K, X, Y]: one-hot colours of the train outputs at the top-left, for the crop term (else empty). */
  cropTarget: Float64Array;
}

export function layoutArrays(task: Task, lay: TaskLayout): LayoutArrays {
  const { E, X, Y } = lay.sizes;
  const K = lay.colours.length;
  const index = new Map(lay.colours.map((c, i) => [c, i]));
  const mask = new Float64Array(E * X * Y);
  const target = new Float64Array(2 * E * K * X * Y);
  const cells = new Float64Array(2 * E * X * Y);
  const height = new Float64Array(E * X);
  const width = new Float64Array(E * Y);
  const cropTarget = new Float64Array(lay.offsets ? lay.nTrain * K * X * Y : 0);
  lay.shapes.forEach((s, e) => {
    for (const [h, w] of [s.input, s.output])
      for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) mask[(e * X + r) * Y + c] = 1;
  });
  /** Calls `f(colour index, row, column)` for every cell of `g`. */
  const eachCell = (g: Grid, f: (k: number, r: number, c: number) => void) => {
    for (let r = 0; r < g.height; r++)
      for (let c = 0; c < g.width; c++) f(index.get(g.cells[r * g.width + c]!)!, r, c);
  };
  const put = (g: Grid, slot: number, e: number) =>
    eachCell(g, (k, r, c) => {
      target[(((slot * E + e) * K + k) * X + r) * Y + c] = 1;
      cells[((slot * E + e) * X + r) * Y + c] = 1;
    });
  task.train.forEach((p, e) => {
    put(p.input, 0, e);
    // with crop offsets, the crop term (crop.ts) scores the outputs at every window; the plain cross-entropy skips them
    if (lay.offsets) eachCell(p.output, (k, r, c) => (cropTarget[((e * K + k) * X + r) * Y + c] = 1));
    else put(p.output, 1, e);
    height[e * X + p.output.height - 1] = 1;
    width[e * Y + p.output.width - 1] = 1;
  });
  for (const [i, t] of task.test.entries()) put(t.input, 0, lay.nTrain + i);
  return { mask, target, cells, height, width, cropTarget };
}
