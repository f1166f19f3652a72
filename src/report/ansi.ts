// Grids for the terminal: coloured blocks (xterm-256 or truecolor backgrounds, two spaces per cell) or
// plain digits when colour is off (piped output, NO_COLOR), laid out side by side.
import { rgbOf, xterm256 } from "./palette.ts";

/** An SGR escape sequence (colours), which takes no width on a terminal. */
const ANSI_SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export type ColourMode = "none" | "256" | "truecolor";

/** How to colour: --color always/never win; then NO_COLOR, FORCE_COLOR, then whether stdout is a terminal. */
export function colourMode(
  env: Record<string, string | undefined>,
  isTTY: boolean,
  flag: "auto" | "always" | "never" = "auto",
): ColourMode {
  if (flag === "never") return "none";
  const depth = /^(truecolor|24bit)$/i.test(env.COLORTERM ?? "") ? "truecolor" : "256";
  if (flag === "always") return depth;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return "none";
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return depth;
  return isTTY ? depth : "none";
}

const RESET = "\x1b[0m";

function background(colour: number, mode: ColourMode): string {
  if (mode === "truecolor") {
    const [r, g, b] = rgbOf(colour);
    return `\x1b[48;2;${r};${g};${b}m`;
  }
  return `\x1b[48;5;${xterm256(colour)}m`;
}

export interface Block {
  title: string;
  lines: string[];
  /** Visible width of the lines (escape codes not counted). */
  width: number;
}

/** One grid (rows of colours) as lines; cells that differ from `truth` (same shape) are marked in colour mode. */
export function gridBlock(
  title: string,
  rows: readonly (readonly number[])[],
  mode: ColourMode,
  truth?: readonly (readonly number[])[],
): Block {
  const h = rows.length;
  const w = h ? rows[0]!.length : 0;
  const compare = truth && truth.length === h && truth[0]?.length === w;
  const lines = rows.map((row, r) => {
    if (mode === "none") return row.join("");
    let s = "";
    for (let c = 0; c < w; c++) {
      const wrong = compare && truth![r]![c] !== row[c];
      const fg = row[c] === 0 || row[c] === 9 || row[c] === 1 ? "\x1b[97m" : "\x1b[30m";
      s += background(row[c]!, mode) + (wrong ? `${fg}><` : "  ");
    }
    return s + RESET;
  });
  return { title, lines, width: Math.max(mode === "none" ? w : 2 * w, title.length) };
}

/** Blocks side by side, titles on the first line, `gap` spaces between. */
export function sideBySide(blocks: readonly Block[], gap = 3): string[] {
  if (blocks.length === 0) return [];
  const height = Math.max(...blocks.map((b) => b.lines.length));
  const pad = (s: string, visible: number, width: number) => s + " ".repeat(Math.max(0, width - visible));
  const sep = " ".repeat(gap);
  const out = [
    blocks
      .map((b) => pad(b.title, b.title.length, b.width))
      .join(sep)
      .trimEnd(),
  ];
  for (let i = 0; i < height; i++) {
    out.push(
      blocks
        .map((b) => {
          const line = b.lines[i];
          if (line === undefined) return " ".repeat(b.width);
          const visible = line.replace(ANSI_SGR, "").length;
          return pad(line, visible, b.width);
        })
        .join(sep)
        .trimEnd(),
    );
  }
  return out;
}
