// Small hand-made tasks whose multitensor loss trajectories are pinned in
// test/models-multitensor-losses.test.ts: one per shape rule the graph specialises on ("input",
// "fixed" with crop offsets, "learned"). Built from a grid constructor passed in, so the same tasks
// can be made from an older source tree when the trajectories are recorded.
type Rows = number[][];
type GridOf = (rows: Rows) => unknown;

/** Deterministic rows (a linear congruential sequence) over the given colours. */
function rows(h: number, w: number, seed: number, colours: number[]): Rows {
  let s = seed >>> 0;
  return Array.from({ length: h }, () =>
    Array.from({ length: w }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return colours[(s >>> 16) % colours.length]!;
    }),
  );
}
const recolour = (r: Rows) => r.map((row) => row.map((v) => (v === 1 ? 2 : v)));
const corner = (r: Rows) => r.slice(0, 2).map((row) => row.slice(0, 2));
const firstRows = (r: Rows) => r.slice(0, Math.max(1, r.length - 1));

export const TASKS = {
  /** Outputs = inputs with 1 -> 2 (rule "input"). */
  recolour: (g: GridOf) => {
    const train = [
      [3, 3],
      [4, 3],
      [3, 4],
    ].map(([h, w], i) => {
      const r = rows(h!, w!, i + 1, [0, 1, 3]);
      return { input: g(r), output: g(recolour(r)) };
    });
    return { id: "recolour", train, test: [{ input: g(rows(4, 4, 9, [0, 1, 3])) }] };
  },
  /** Outputs all 2x2, the input's top-left corner (rule "fixed", crop offsets). */
  corner: (g: GridOf) => {
    const train = [rows(3, 4, 11, [0, 4, 5]), rows(4, 3, 12, [0, 4, 5]), rows(3, 3, 13, [0, 4])].map((r) => ({
      input: g(r),
      output: g(corner(r)),
    }));
    return { id: "corner", train, test: [{ input: g(rows(4, 4, 14, [0, 4, 5])) }] };
  },
  /** Outputs = inputs without their last row (rule "learned"). */
  drop: (g: GridOf) => {
    const train = [rows(3, 3, 21, [0, 6]), rows(4, 2, 22, [0, 6, 7]), rows(2, 4, 23, [0, 7])].map((r) => ({
      input: g(r),
      output: g(firstRows(r)),
    }));
    return { id: "drop", train, test: [{ input: g(rows(4, 3, 24, [0, 6, 7])) }] };
  },
};
