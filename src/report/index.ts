// The run report (self-contained HTML) and terminal rendering of grids for `ttt show`. Re-exports only.
export * from "./palette.ts";
export * from "./run-data.ts";
export * from "./html.ts";
export * from "./client.ts";
export * from "./ansi.ts";
export * from "./write.ts";
