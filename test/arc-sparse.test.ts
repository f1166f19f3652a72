import { describe, expect, test } from "bun:test";
import {
  backgroundColour,
  fromSparse,
  gridFromBytes,
  gridFromRows,
  gridsEqual,
  gridToBytes,
  Rng,
  sparseFromBytes,
  sparseToBytes,
  toSparse,
} from "../src/arc/index.ts";
import { randomGrid } from "./helpers/random-data.ts";

describe("sparse grids", () => {
  test("a small grid: background and the other cells", () => {
    const g = gridFromRows([
      [0, 0, 3],
      [0, 5, 0],
    ]);
    const s = toSparse(g);
    expect(s.background).toBe(0);
    expect([...s.entries].map((e) => [e >> 4, e & 15])).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect([...sparseToBytes(s)]).toEqual([2, 3, 0, 0x23, 0x00, 0x45, 0x00]);
  });

  test.each([
    ["most common wins", [[7, 7, 1]], 7],
    ["tie goes to the smallest colour", [[4, 2, 2, 4]], 2],
    ["one colour", [[9]], 9],
  ])("background: %s", (_, rows, bg) => {
    expect(backgroundColour(gridFromRows(rows))).toBe(bg);
  });

  test("round trip on random grids, in memory and through bytes (sparse and dense)", () => {
    const rng = new Rng(99);
    for (let i = 0; i < 300; i++) {
      const g = randomGrid(rng);
      const s = toSparse(g);
      expect(gridsEqual(fromSparse(s), g)).toBe(true);
      expect(gridsEqual(fromSparse(sparseFromBytes(sparseToBytes(s))), g)).toBe(true);
      expect(gridsEqual(gridFromBytes(gridToBytes(g)), g)).toBe(true);
      expect(sparseToBytes(s).length).toBe(3 + 2 * g.cells.filter((v) => v !== s.background).length);
    }
  });

  test("a 30x30 grid with every cell off background still fits 16-bit entries", () => {
    const rows = Array.from({ length: 30 }, (_, r) =>
      Array.from({ length: 30 }, (_, c) => ((r + c) % 9) + 1),
    );
    const g = gridFromRows(rows);
    expect(gridsEqual(fromSparse(sparseFromBytes(sparseToBytes(toSparse(g)))), g)).toBe(true);
  });

  test.each([
    ["too short", [1, 1]],
    ["odd entry bytes", [1, 1, 0, 5]],
    ["bad header", [0, 1, 0]],
    ["index outside the grid", [1, 1, 0, 0x13, 0x00]],
    ["colour 10", [1, 2, 0, 0x1a, 0x00]],
  ])("sparseFromBytes rejects %s", (_, bytes) => {
    expect(() => sparseFromBytes(new Uint8Array(bytes))).toThrow(RangeError);
  });

  test("gridFromBytes rejects wrong lengths and colours", () => {
    expect(() => gridFromBytes(new Uint8Array([2, 2, 0, 0, 0]))).toThrow(RangeError);
    expect(() => gridFromBytes(new Uint8Array([1, 1, 12]))).toThrow(RangeError);
  });
});
