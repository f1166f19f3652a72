import { describe, expect, test } from "bun:test";
import {
  cellAt,
  colourMask,
  gridFromRows,
  gridHash,
  gridKey,
  gridsEqual,
  gridToRows,
  gridToText,
  makeGrid,
  Rng,
  sameShape,
} from "../src/arc/index.ts";
import { randomGrid } from "./helpers/random-data.ts";

/** Reference FNV-1a 64 with BigInt, to check the limb arithmetic. */
function fnv1a64(bytes: number[]): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

describe("grid", () => {
  test("rows round trip and cell access", () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const g = gridFromRows(rows);
    expect([g.height, g.width]).toEqual([2, 3]);
    expect(g.cells).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(cellAt(g, 1, 0)).toBe(4);
    expect(gridToRows(g)).toEqual(rows);
    expect(gridToText(g)).toBe("123\n456");
    expect(colourMask(g)).toBe(0b1111110);
  });

  test.each([
    [
      "equal",
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 2],
        [3, 4],
      ],
      true,
    ],
    [
      "one cell differs",
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 2],
        [3, 5],
      ],
      false,
    ],
    [
      "same cells, other shape",
      [[1, 2, 3, 4]],
      [
        [1, 2],
        [3, 4],
      ],
      false,
    ],
    ["transposed shape", [[1], [2]], [[1, 2]], false],
  ])("gridsEqual: %s", (_, a, b, equal) => {
    expect(gridsEqual(gridFromRows(a), gridFromRows(b))).toBe(equal);
    expect(gridHash(gridFromRows(a)) === gridHash(gridFromRows(b))).toBe(equal);
    expect(gridKey(gridFromRows(a)) === gridKey(gridFromRows(b))).toBe(equal);
  });

  test("hash is FNV-1a 64 over height, width, cells (checked against BigInt on random grids)", () => {
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const g = randomGrid(rng);
      expect(gridHash(g)).toBe(fnv1a64([g.height, g.width, ...g.cells]));
    }
    expect(gridHash(gridFromRows([[0]]))).toMatch(/^[0-9a-f]{16}$/);
  });

  test("hash is stable across runs (pinned value)", () => {
    expect(
      gridHash(
        gridFromRows([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe(fnv1a64([2, 2, 1, 2, 3, 4]));
    expect(
      gridHash(
        gridFromRows([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe("1bc473acb3b736dd");
  });

  test("key", () => {
    expect(
      gridKey(
        gridFromRows([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toBe("2x3:123456");
  });

  test("makeGrid and sameShape", () => {
    const g = makeGrid(3, 4, 7);
    expect(gridToRows(g)).toEqual([
      [7, 7, 7, 7],
      [7, 7, 7, 7],
      [7, 7, 7, 7],
    ]);
    expect(sameShape(g, makeGrid(3, 4))).toBe(true);
    expect(sameShape(g, makeGrid(4, 3))).toBe(false);
  });

  test.each([
    ["no rows", [], "grid shape 0x0: expected 1..30 x 1..30"],
    ["31 rows", Array.from({ length: 31 }, () => [0]), "grid shape 31x1: expected 1..30 x 1..30"],
    ["ragged", [[1, 2], [3]], "row 1: 1 cells, expected 2"],
    ["colour 10", [[1, 10]], "row 0 col 1: 10 is not a colour 0..9"],
    ["fraction", [[1.5]], "row 0 col 0: 1.5 is not a colour 0..9"],
  ])("gridFromRows rejects %s", (_, rows, message) => {
    expect(() => gridFromRows(rows as number[][])).toThrow(message);
  });

  test("makeGrid rejects bad shapes and fills", () => {
    expect(() => makeGrid(0, 3)).toThrow(RangeError);
    expect(() => makeGrid(3, 31)).toThrow(RangeError);
    expect(() => makeGrid(3, 3, 10)).toThrow("10 is not a colour 0..9");
  });
});
