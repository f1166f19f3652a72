// The compact grid: colours 0..9 in a Uint8Array, row-major, with its height and width.

/** A rectangular ARC grid. `cells[r * width + c]` is the colour at row r, column c. */
export interface Grid {
  readonly height: number;
  readonly width: number;
  readonly cells: Uint8Array;
}

/** The largest height or width an ARC grid may have. */
export const MAX_GRID_SIDE = 30;
/** Number of ARC colours (0..9). */
export const COLOURS = 10;

/** A new grid filled with one colour. */
export function makeGrid(height: number, width: number, fill = 0): Grid {
  checkShape(height, width);
  if (!Number.isInteger(fill) || fill < 0 || fill > 9) throw new RangeError(`${fill} is not a colour 0..9`);
  return { height, width, cells: new Uint8Array(height * width).fill(fill) };
}

/** A grid from a list of rows (the JSON form). Throws RangeError on anything that is not a valid grid. */
export function gridFromRows(rows: readonly (readonly number[])[]): Grid {
  const height = rows.length;
  const width = height > 0 ? rows[0]!.length : 0;
  checkShape(height, width);
  const cells = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) {
    const row = rows[r]!;
    if (row.length !== width) throw new RangeError(`row ${r}: ${row.length} cells, expected ${width}`);
    for (let c = 0; c < width; c++) {
      const v = row[c]!;
      if (!Number.isInteger(v) || v < 0 || v > 9)
        throw new RangeError(`row ${r} col ${c}: ${v} is not a colour 0..9`);
      cells[r * width + c] = v;
    }
  }
  return { height, width, cells };
}

/** The JSON form of a grid: a list of rows of colours. */
export function gridToRows(grid: Grid): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < grid.height; r++)
    rows.push(Array.from(grid.cells.subarray(r * grid.width, (r + 1) * grid.width)));
  return rows;
}

/** The colour at row r, column c. */
export function cellAt(grid: Grid, r: number, c: number): number {
  return grid.cells[r * grid.width + c]!;
}

/** True when both grids have the same shape and every cell is equal. */
export function gridsEqual(a: Grid, b: Grid): boolean {
  if (a.height !== b.height || a.width !== b.width) return false;
  const x = a.cells;
  const y = b.cells;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when both grids have the same height and width. */
export function sameShape(a: Grid, b: Grid): boolean {
  return a.height === b.height && a.width === b.width;
}

/**
 * A stable 64-bit FNV-1a hash of height, width and cells, as 16 lowercase hex digits.
 * Computed on four 16-bit limbs so it needs no BigInt.
 */
export function gridHash(grid: Grid): string {
  // Offset basis 0xcbf29ce484222325, little-endian 16-bit limbs.
  let h0 = 0x2325,
    h1 = 0x8422,
    h2 = 0x9ce4,
    h3 = 0xcbf2;
  const feed = (byte: number) => {
    h0 ^= byte;
    // Multiply by the prime 0x100000001b3 = 2^40 + 0x1b3 (limb 0: 0x1b3, limb 2: 0x100), modulo 2^64.
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  feed(grid.height);
  feed(grid.width);
  for (const v of grid.cells) feed(v);
  const hex = (n: number) => n.toString(16).padStart(4, "0");
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/** An exact string key for a grid ("3x2:012345"), handy for maps and votes. */
export function gridKey(grid: Grid): string {
  let s = `${grid.height}x${grid.width}:`;
  for (const v of grid.cells) s += v;
  return s;
}

/** The grid as text, one line per row ("012\n345"), for messages and debugging. */
export function gridToText(grid: Grid): string {
  return gridToRows(grid)
    .map((row) => row.join(""))
    .join("\n");
}

/** The set of colours a grid uses, as a 10-bit mask (bit c set when colour c occurs). */
export function colourMask(grid: Grid): number {
  let mask = 0;
  for (const v of grid.cells) mask |= 1 << v;
  return mask;
}

function checkShape(height: number, width: number): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_GRID_SIDE;
  if (!ok(height) || !ok(width))
    throw new RangeError(`grid shape ${height}x${width}: expected 1..30 x 1..30`);
}
