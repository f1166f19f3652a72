// Sparse grids: the background colour (the most common one) plus the cells that differ from it.
// Each such cell is one 16-bit entry: (row-major index << 4) | colour; an index is below 900 < 2^10.
import type { Grid } from "./grid.ts";

export interface SparseGrid {
  readonly height: number;
  readonly width: number;
  /** The most common colour (the smallest one on a tie). */
  readonly background: number;
  /** Cells that are not background, in row-major order: (index << 4) | colour. */
  readonly entries: Uint16Array;
}

/** The most common colour of a grid; the smallest colour wins a tie. */
export function backgroundColour(grid: Grid): number {
  const counts = new Uint32Array(10);
  for (const v of grid.cells) counts[v]!++;
  let best = 0;
  for (let c = 1; c < 10; c++) if (counts[c]! > counts[best]!) best = c;
  return best;
}

/** The sparse form of a grid. */
export function toSparse(grid: Grid): SparseGrid {
  const background = backgroundColour(grid);
  const list: number[] = [];
  grid.cells.forEach((v, i) => {
    if (v !== background) list.push((i << 4) | v);
  });
  return { height: grid.height, width: grid.width, background, entries: Uint16Array.from(list) };
}

/** The grid a sparse form stands for. */
export function fromSparse(sparse: SparseGrid): Grid {
  const cells = new Uint8Array(sparse.height * sparse.width).fill(sparse.background);
  for (const e of sparse.entries) cells[e >> 4] = e & 15;
  return { height: sparse.height, width: sparse.width, cells };
}

/** Bytes of the sparse form: height, width, background, then 2 bytes (little-endian) per entry. */
export function sparseToBytes(sparse: SparseGrid): Uint8Array {
  const out = new Uint8Array(3 + 2 * sparse.entries.length);
  out[0] = sparse.height;
  out[1] = sparse.width;
  out[2] = sparse.background;
  sparse.entries.forEach((e, i) => {
    out[3 + 2 * i] = e & 0xff;
    out[4 + 2 * i] = e >> 8;
  });
  return out;
}

/** The sparse form from its bytes. Throws RangeError on bytes that are not one. */
export function sparseFromBytes(bytes: Uint8Array): SparseGrid {
  if (bytes.length < 3 || (bytes.length - 3) % 2 !== 0)
    throw new RangeError(`sparse grid: ${bytes.length} bytes is not 3 + 2k`);
  const [height, width, background] = [bytes[0]!, bytes[1]!, bytes[2]!];
  if (height < 1 || height > 30 || width < 1 || width > 30 || background > 9)
    throw new RangeError("sparse grid: bad header");
  const entries = new Uint16Array((bytes.length - 3) / 2);
  for (let i = 0; i < entries.length; i++) {
    const e = bytes[3 + 2 * i]! | (bytes[4 + 2 * i]! << 8);
    if (e >> 4 >= height * width || (e & 15) > 9) throw new RangeError(`sparse grid: bad entry ${i}`);
    entries[i] = e;
  }
  return { height, width, background, entries };
}

/** Bytes of the dense form: height, width, then one byte per cell. */
export function gridToBytes(grid: Grid): Uint8Array {
  const out = new Uint8Array(2 + grid.cells.length);
  out[0] = grid.height;
  out[1] = grid.width;
  out.set(grid.cells, 2);
  return out;
}

/** The grid from its dense bytes. Throws RangeError on bytes that are not one. */
export function gridFromBytes(bytes: Uint8Array): Grid {
  const [height, width] = [bytes[0] ?? 0, bytes[1] ?? 0];
  if (height < 1 || height > 30 || width < 1 || width > 30 || bytes.length !== 2 + height * width) {
    throw new RangeError(`dense grid: ${bytes.length} bytes do not fit a ${height}x${width} grid`);
  }
  const cells = bytes.slice(2);
  if (cells.some((v) => v > 9)) throw new RangeError("dense grid: a cell is not a colour 0..9");
  return { height, width, cells };
}
