// The committed fixtures are exactly what fixtures/make.ts generates, and every task follows its rule.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fixtureFiles, fixtureTasks } from "../fixtures/make.ts";
import { applyDihedral, gridsEqual, gridToRows, type Grid, type Task } from "../src/arc/index.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";

const rows = (g: Grid) => gridToRows(g);
const RULES: Record<string, (input: Grid) => number[][]> = {
  "flip-horizontal": (g) => rows(applyDihedral("flipH", g)),
  "recolour-1-to-2": (g) => rows(g).map((r) => r.map((v) => (v === 1 ? 2 : v))),
  transpose: (g) => rows(applyDihedral("flipT", g)),
  "swap-colours": (g) => rows(g).map((r) => r.map((v) => (v === 5 ? 8 : v === 8 ? 5 : v))),
  "scale-2x": (g) => rows(g).flatMap((r) => [r.flatMap((v) => [v, v]), r.flatMap((v) => [v, v])]),
  "crop-object": (g) => {
    const rs = rows(g);
    const on = rs.flatMap((r, i) => r.flatMap((v, j) => (v ? [[i, j]] : [])));
    const [r0, r1] = [Math.min(...on.map((p) => p[0]!)), Math.max(...on.map((p) => p[0]!))];
    const [c0, c1] = [Math.min(...on.map((p) => p[1]!)), Math.max(...on.map((p) => p[1]!))];
    return rs.slice(r0, r1 + 1).map((r) => r.slice(c0, c1 + 1));
  },
  "fill-enclosed": (g) => {
    // Flood the background from the border; background cells not reached are enclosed and become 4.
    const rs = rows(g);
    const [h, w] = [rs.length, rs[0]!.length];
    const seen = rs.map((r) => r.map(() => false));
    const stack: [number, number][] = [];
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        if ((i === 0 || j === 0 || i === h - 1 || j === w - 1) && rs[i]![j] === 0) stack.push([i, j]);
    while (stack.length) {
      const [i, j] = stack.pop()!;
      if (i < 0 || j < 0 || i >= h || j >= w || seen[i]![j] || rs[i]![j] !== 0) continue;
      seen[i]![j] = true;
      stack.push([i + 1, j], [i - 1, j], [i, j + 1], [i, j - 1]);
    }
    return rs.map((r, i) => r.map((v, j) => (v === 0 && !seen[i]![j] ? 4 : v)));
  },
};

describe("fixtures", () => {
  test("committed files equal the generator's output (deterministic)", () => {
    const files = fixtureFiles();
    expect(files.size).toBe(10);
    for (const [name, text] of files)
      expect(readFileSync(join(PROJECT_ROOT, "fixtures", name), "utf8")).toBe(text);
  });

  test.each(fixtureTasks().map((t) => [t.id, t] as [string, Task]))(
    "%s follows its rule; sizes and counts as promised",
    (id, task) => {
      const rule = RULES[id]!;
      expect(task.train.length).toBeGreaterThanOrEqual(3);
      expect(task.train.length).toBeLessThanOrEqual(4);
      expect(task.test.length).toBe(id === "recolour-1-to-2" ? 2 : 1);
      for (const p of [...task.train, ...task.test]) {
        expect(rows(p.output!)).toEqual(rule(p.input));
        for (const g of [p.input, p.output!])
          expect(Math.min(g.height, g.width) >= 3 && Math.max(g.height, g.width) <= 10).toBe(true);
      }
      // Demonstrations differ from each other.
      expect(new Set(task.train.map((p) => JSON.stringify(rows(p.input)))).size).toBe(task.train.length);
      expect(
        task.train.some((p) => !gridsEqual(p.input, p.output) || p.input.height !== p.output.height),
      ).toBe(true);
    },
  );
});
