#!/usr/bin/env bun
// Size of sparse grids (background + other cells) against dense bytes and JSON text, over the
// ARC-AGI-1 training and evaluation sets (every grid, solutions included).
// Run: bun bench/sparse.ts [arc-dir]   (default ../shared/arc; reads <arc-dir>/arc-agi-1)
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  fromSparse,
  gridsEqual,
  gridsOf,
  gridToBytes,
  gridToRows,
  loadTasks,
  sparseToBytes,
  toSparse,
} from "../src/arc/index.ts";

const arcDir = process.argv[2] ?? join(import.meta.dir, "..", "..", "shared", "arc");
const dataDir = join(arcDir, "arc-agi-1");

if (!existsSync(dataDir)) {
  console.warn(`\n!!! bench/sparse: ARC data not found at ${dataDir}; nothing measured.`);
  console.warn("!!! Pass the folder that holds arc-agi-1/: bun bench/sparse.ts <arc-dir>\n");
  process.exit(0);
}

interface Totals {
  grids: number;
  cells: number;
  dense: number;
  sparse: number;
  json: number;
  sparseSmaller: number;
  bestOf: number;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(
  `${"set".padEnd(12)}${pad("grids", 7)}${pad("dense B", 10)}${pad("sparse B", 10)}${pad("JSON B", 10)}${pad("sp/dense", 10)}${pad("sp/JSON", 9)}${pad("sp<dense", 10)}${pad("best/dense", 12)}`,
);
for (const set of ["training", "evaluation"]) {
  const t0 = performance.now();
  const loaded = await loadTasks(join(dataDir, `${set}_challenges.json`), { solutions: "auto" });
  if (loaded.errors.length > 0) {
    console.error(`${set}: ${loaded.errors.length} load errors, first: ${loaded.errors[0]}`);
    process.exitCode = 1;
  }
  const t: Totals = { grids: 0, cells: 0, dense: 0, sparse: 0, json: 0, sparseSmaller: 0, bestOf: 0 };
  for (const task of loaded.tasks) {
    for (const grid of gridsOf(task)) {
      const sparse = toSparse(grid);
      if (!gridsEqual(fromSparse(sparse), grid)) throw new Error(`${task.id}: sparse round trip failed`);
      const dense = gridToBytes(grid).length;
      const sp = sparseToBytes(sparse).length;
      t.grids++;
      t.cells += grid.cells.length;
      t.dense += dense;
      t.sparse += sp;
      t.json += JSON.stringify(gridToRows(grid)).length;
      if (sp < dense) t.sparseSmaller++;
      t.bestOf += 1 + Math.min(sp, dense); // one flag byte says which form follows
    }
  }
  const r = (a: number, b: number) => (a / b).toFixed(3);
  console.log(
    `${set.padEnd(12)}${pad(t.grids, 7)}${pad(t.dense, 10)}${pad(t.sparse, 10)}${pad(t.json, 10)}${pad(r(t.sparse, t.dense), 10)}${pad(r(t.sparse, t.json), 9)}${pad(`${((100 * t.sparseSmaller) / t.grids).toFixed(1)}%`, 10)}${pad(r(t.bestOf, t.dense), 12)}`,
  );
  console.log(
    `${"".padEnd(12)}(${loaded.tasks.length} tasks, ${t.cells} cells, ${(performance.now() - t0).toFixed(0)} ms)`,
  );
}
console.log(
  "dense = 2 header bytes + 1 byte per cell; sparse = 3 header bytes + 2 bytes per non-background cell;",
);
console.log("JSON = compact text of the rows; best = 1 flag byte + the smaller of the two.");
