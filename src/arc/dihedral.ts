// The 8 symmetries of the square (the dihedral group D4) acting on grids, and colour maps.
import type { Grid } from "./grid.ts";

/**
 * The 8 dihedral transforms: identity, rotations clockwise by 90/180/270 degrees, mirror left-right
 * (flipH), mirror top-bottom (flipV), transpose about the main diagonal (flipT), and about the
 * anti-diagonal (flipA).
 */
export const DIHEDRAL_NAMES = [
  "id",
  "rot90",
  "rot180",
  "rot270",
  "flipH",
  "flipV",
  "flipT",
  "flipA",
] as const;
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

/** The transform that undoes each one. */
export const DIHEDRAL_INVERSE: Readonly<Record<DihedralName, DihedralName>> = {
  id: "id",
  rot90: "rot270",
  rot180: "rot180",
  rot270: "rot90",
  flipH: "flipH",
  flipV: "flipV",
  flipT: "flipT",
  flipA: "flipA",
};

/** True when the transform swaps height and width. */
export function swapsSides(name: DihedralName): boolean {
  return name === "rot90" || name === "rot270" || name === "flipT" || name === "flipA";
}

/** Apply a dihedral transform to a grid. */
export function applyDihedral(name: DihedralName, grid: Grid): Grid {
  if (name === "id") return grid;
  const { height: H, width: W, cells: src } = grid;
  const swap = swapsSides(name);
  const height = swap ? W : H;
  const width = swap ? H : W;
  const cells = new Uint8Array(H * W);
  // For each output cell (r, c): the source row and column.
  const source = SOURCES[name];
  let k = 0;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const [sr, sc] = source(r, c, H, W);
      cells[k++] = src[sr * W + sc]!;
    }
  }
  return { height, width, cells };
}

type Source = (r: number, c: number, H: number, W: number) => [number, number];
const SOURCES: Record<Exclude<DihedralName, "id">, Source> = {
  rot90: (r, c, H) => [H - 1 - c, r],
  rot180: (r, c, H, W) => [H - 1 - r, W - 1 - c],
  rot270: (r, c, _H, W) => [c, W - 1 - r],
  flipH: (r, c, _H, W) => [r, W - 1 - c],
  flipV: (r, c, H) => [H - 1 - r, c],
  flipT: (r, c) => [c, r],
  flipA: (r, c, H, W) => [H - 1 - c, W - 1 - r],
};

/** Recolour a grid: colour c becomes map[c]. `map` is a permutation of 0..9. */
export function applyColourMap(map: readonly number[], grid: Grid): Grid {
  const cells = new Uint8Array(grid.cells.length);
  for (let i = 0; i < cells.length; i++) cells[i] = map[grid.cells[i]!]!;
  return { height: grid.height, width: grid.width, cells };
}
