// The ARC colour palette (0..9) as hex strings and RGB triples, and the nearest xterm-256 colours.

export const ARC_PALETTE: readonly string[] = [
  "#000000", // 0 black
  "#0074D9", // 1 blue
  "#FF4136", // 2 red
  "#2ECC40", // 3 green
  "#FFDC00", // 4 yellow
  "#AAAAAA", // 5 grey
  "#F012BE", // 6 magenta
  "#FF851B", // 7 orange
  "#7FDBFF", // 8 light blue
  "#870C25", // 9 maroon
];

/** A colour's [r, g, b]. */
export function rgbOf(colour: number): [number, number, number] {
  const hex = ARC_PALETTE[colour] ?? "#000000";
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

/** The nearest entry of the xterm-256 colour cube (16..231) or grey ramp (232..255). */
export function xterm256(colour: number): number {
  const [r, g, b] = rgbOf(colour);
  const levels = [0, 95, 135, 175, 215, 255];
  const near = (v: number) =>
    levels.reduce((best, l, i) => (Math.abs(l - v) < Math.abs(levels[best]! - v) ? i : best), 0);
  const [ri, gi, bi] = [near(r), near(g), near(b)];
  const cube = 16 + 36 * ri + 6 * gi + bi;
  const cubeErr = (levels[ri]! - r) ** 2 + (levels[gi]! - g) ** 2 + (levels[bi]! - b) ** 2;
  const grey = Math.round((r + g + b) / 3);
  const gIdx = Math.max(0, Math.min(23, Math.round((grey - 8) / 10)));
  const gv = 8 + 10 * gIdx;
  const greyErr = (gv - r) ** 2 + (gv - g) ** 2 + (gv - b) ** 2;
  return greyErr < cubeErr ? 232 + gIdx : cube;
}
