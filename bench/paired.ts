// bench/paired: two bench/accuracy runs of the same sample compared task by task: pass@2 of each, tasks
// gained and lost (B against A), pass@pool (the right grid was ever a candidate) and the share of those
// chosen in the top two, median steps, copies per task, peak memory per worker, and the median step at
// which each solved output's right answer first appeared (from the final checkpoint's answer selection).
//
//   bun bench/paired.ts <bench run-dir A> <bench run-dir B> [--only ids.txt] [--json]
//   (--only: compare only the tasks listed in the file, e.g. train-50 inside a 200-task run)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type PoolTask, poolFigures, readPool } from "./pool.ts";

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf("--only");
const only =
  onlyAt >= 0
    ? new Set(
        readFileSync(resolve(argv[onlyAt + 1]!), "utf8")
          .split(/\s+/)
          .filter(Boolean),
      )
    : null;
const [dirA, dirB] = argv
  .filter((x, i) => !x.startsWith("--") && (onlyAt < 0 || i !== onlyAt + 1))
  .map((d) => resolve(d));
if (!dirA || !dirB) {
  console.error("usage: bun bench/paired.ts <bench run-dir A> <bench run-dir B> [--json]");
  process.exit(2);
}

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const byId = (ts: PoolTask[]) => new Map(ts.map((t) => [t.id, t]));
const A = byId(readPool(dirA));
const B = byId(readPool(dirB));
const ids = [...A.keys()].filter((id) => B.has(id) && (!only || only.has(id))).sort();
const gained = ids.filter((id) => B.get(id)!.score > A.get(id)!.score);
const lost = ids.filter((id) => B.get(id)!.score < A.get(id)!.score);
/** Solved outputs (id#i) and the step their right grid first came up. */
const firstRight = (S: Map<string, PoolTask>) =>
  new Map(
    ids.flatMap((id) =>
      S.get(id)!
        .ranks.map((r, i) => [r, i] as const)
        .filter(([r]) => r !== null && r <= 2)
        .map(([, i]) => [`${id}#${i}`, S.get(id)!.firstRight[i]!] as const),
    ),
  );
const side = (dir: string, S: Map<string, PoolTask>) => {
  const ts = ids.map((id) => S.get(id)!);
  const pool = poolFigures(ts);
  const peaks = ts.map((t) => t.peakMemoryBytes).filter((x): x is number => x !== null);
  return {
    dir,
    score: ts.reduce((s, t) => s + t.score, 0) / ids.length,
    passPool: pool.passPool,
    outputsInPool: pool.outputsInPool,
    outputs: pool.outputs,
    chosenInTopTwo: pool.chosenInTopTwo,
    missedRanks: pool.missedRanks,
    medianSteps: med(ts.map((t) => t.steps)),
    medianCopies: med(ts.map((t) => t.copies ?? 1)),
    restarted: ts.filter((t) => (t.restarts ?? 0) > 0).length,
    peakMemoryMiB: peaks.length ? Math.max(...peaks) / 2 ** 20 : null,
    medianFirstRight: med([...firstRight(S).values()]),
  };
};
const fa = firstRight(A);
const fb = firstRight(B);
const both = [...fa.keys()].filter((k) => fb.has(k));
const out = {
  tasks: ids.length,
  a: side(dirA, A),
  b: side(dirB, B),
  gained,
  lost,
  /** Over the outputs both solved: median step their answer first appeared, A and B. */
  bothSolved: {
    outputs: both.length,
    a: med(both.map((k) => fa.get(k)!)),
    b: med(both.map((k) => fb.get(k)!)),
  },
};
if (process.argv.includes("--json")) console.log(JSON.stringify(out, null, 2));
else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`bench/paired over ${ids.length} tasks`);
  for (const [name, s] of [
    ["A", out.a],
    ["B", out.b],
  ] as const)
    console.log(
      `${name} pass@2 ${pct(s.score)}  pass@pool ${pct(s.passPool)} (${s.outputsInPool}/${s.outputs} outputs; ${pct(s.chosenInTopTwo)} of them chosen; others at ranks ${s.missedRanks.join(", ") || "-"})  median steps ${s.medianSteps}  copies ${s.medianCopies} (median; ${s.restarted} tasks restarted)  peak ${s.peakMemoryMiB?.toFixed(0) ?? "?"} MiB/worker  right answer first seen at step ${s.medianFirstRight} (median)  ${s.dir}`,
    );
  console.log(`B gained ${gained.length}: ${gained.join(" ") || "-"}`);
  console.log(`B lost   ${lost.length}: ${lost.join(" ") || "-"}`);
  console.log(
    `outputs solved by both: ${both.length}, first right at step ${out.bothSolved.a} (A) vs ${out.bothSolved.b} (B), medians`,
  );
}
