// bench/paired: two bench/accuracy runs of the same sample compared task by task: score of each, tasks
// gained and lost (B against A), median steps, and the median step at which each solved output's correct
// answer first appeared (from the final checkpoint's answer selection).
//
//   bun bench/paired.ts <bench run-dir A> <bench run-dir B> [--json]
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { CheckpointStore } from "../src/rundir/checkpoint-store.ts";
import { snapshotFromFiles } from "../src/rundir/snapshot-files.ts";
import { fileStems } from "../src/rundir/run-dir.ts";

const [dirA, dirB] = process.argv
  .slice(2)
  .filter((x) => !x.startsWith("--"))
  .map((d) => resolve(d));
if (!dirA || !dirB) {
  console.error("usage: bun bench/paired.ts <bench run-dir A> <bench run-dir B> [--json]");
  process.exit(2);
}

type Rows = number[][];
interface Side {
  score: Map<string, number>;
  steps: Map<string, number>;
  /** Per solved output (id#i): the step its correct answer first appeared. */
  firstRight: Map<string, number>;
}

function readSide(dir: string): Side {
  const solutions = JSON.parse(readFileSync(join(dir, "sample_scoring.json"), "utf8")) as Record<
    string,
    Rows[]
  >;
  const run = join(dir, "run");
  const side: Side = { score: new Map(), steps: new Map(), firstRight: new Map() };
  for (const f of readdirSync(join(run, "tasks"))) {
    const r = JSON.parse(readFileSync(join(run, "tasks", f), "utf8"));
    side.score.set(r.id, r.score ?? 0);
    side.steps.set(r.id, r.steps);
    const store = new CheckpointStore(join(run, "checkpoints", fileStems([r.id]).get(r.id)!));
    if (!existsSync(store.dir)) continue;
    const found = store.loadNewest(
      () => undefined,
      (c) => snapshotFromFiles(c.files),
    ).found;
    if (!found) continue;
    const truth = solutions[r.id] ?? [];
    found.value.selector.entries.forEach((list, i) => {
      const t = truth[i];
      if (!t || !r.correct?.[i]) return;
      const cells = t.flat();
      const hit = list.find(
        (e) => e.height === t.length && e.width === t[0]!.length && e.cells.every((c, k) => c === cells[k]),
      );
      if (hit) side.firstRight.set(`${r.id}#${i}`, hit.firstStep);
    });
  }
  return side;
}

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const A = readSide(dirA);
const B = readSide(dirB);
const ids = [...A.score.keys()].filter((id) => B.score.has(id)).sort();
const total = (s: Side) => ids.reduce((x, id) => x + s.score.get(id)!, 0);
const gained = ids.filter((id) => B.score.get(id)! > A.score.get(id)!);
const lost = ids.filter((id) => B.score.get(id)! < A.score.get(id)!);
const both = [...A.firstRight.keys()].filter((k) => B.firstRight.has(k));
const out = {
  tasks: ids.length,
  a: {
    dir: dirA,
    score: total(A) / ids.length,
    medianSteps: med(ids.map((id) => A.steps.get(id)!)),
    medianFirstRight: med([...A.firstRight.values()]),
  },
  b: {
    dir: dirB,
    score: total(B) / ids.length,
    medianSteps: med(ids.map((id) => B.steps.get(id)!)),
    medianFirstRight: med([...B.firstRight.values()]),
  },
  gained,
  lost,
  /** Over the outputs both solved: median step their answer first appeared, A and B. */
  bothSolved: {
    outputs: both.length,
    a: med(both.map((k) => A.firstRight.get(k)!)),
    b: med(both.map((k) => B.firstRight.get(k)!)),
  },
};
if (process.argv.includes("--json")) console.log(JSON.stringify(out, null, 2));
else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`bench/paired over ${ids.length} tasks`);
  console.log(
    `A ${pct(out.a.score)}  median steps ${out.a.medianSteps}  right answer first seen at step ${out.a.medianFirstRight} (median over its solved outputs)  ${dirA}`,
  );
  console.log(
    `B ${pct(out.b.score)}  median steps ${out.b.medianSteps}  right answer first seen at step ${out.b.medianFirstRight}  ${dirB}`,
  );
  console.log(`B gained ${gained.length}: ${gained.join(" ") || "-"}`);
  console.log(`B lost   ${lost.length}: ${lost.join(" ") || "-"}`);
  console.log(
    `outputs solved by both: ${both.length}, first right at step ${out.bothSolved.a} (A) vs ${out.bothSolved.b} (B), medians`,
  );
}
