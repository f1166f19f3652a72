// bench/rules: other ways of ranking a task's candidates, replayed offline on the final answer
// selections of finished bench/accuracy runs (each task's newest checkpoint holds every distinct grid
// with its merged score, observation count, voters and first/last step). For each rule: outputs solved
// (right grid in the top two) and, of the outputs whose right grid was a candidate, the share chosen.
// The rule "score" is the solver's own. Use training-set runs to choose; never evaluation runs.
//
//   bun bench/rules.ts <bench run-dir> [<bench run-dir> ...]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AnswerSelector, type SelectionEntry } from "../src/loop/select.ts";
import { CheckpointStore } from "../src/rundir/checkpoint-store.ts";
import { fileStems } from "../src/rundir/run-dir.ts";
import { snapshotFromFiles } from "../src/rundir/snapshot-files.ts";

type Rule = (e: SelectionEntry) => number;
/** Higher ranks first; ties keep the solver's order (score, then the earlier grid). */
const RULES: Record<string, Rule> = {
  score: (e) => e.score,
  "voters, then score": (e) => e.voters.length * 1e6 + e.score,
  "score + log voters": (e) => e.score + Math.log(e.voters.length),
  "score + 2 log voters": (e) => e.score + 2 * Math.log(e.voters.length),
  "log count": (e) => Math.log(e.count),
  "score + log span": (e) => e.score + Math.log(1 + e.lastStep - e.firstStep),
};

const dirs = process.argv.slice(2).map((d) => resolve(d));
if (!dirs.length) {
  console.error("usage: bun bench/rules.ts <bench run-dir> [...]");
  process.exit(2);
}
const solved = new Map<string, number>(Object.keys(RULES).map((k) => [k, 0]));
let outputs = 0;
let inPool = 0;
for (const dir of dirs) {
  const solutions = JSON.parse(readFileSync(join(dir, "sample_scoring.json"), "utf8")) as Record<
    string,
    number[][][]
  >;
  const run = join(dir, "run");
  for (const f of readdirSync(join(run, "tasks"))) {
    const r = JSON.parse(readFileSync(join(run, "tasks", f), "utf8"));
    const truth = solutions[r.id] ?? [];
    outputs += truth.length;
    const store = new CheckpointStore(join(run, "checkpoints", fileStems([r.id]).get(r.id)!));
    if (!existsSync(store.dir)) continue;
    const found = store.loadNewest(
      () => undefined,
      (c) => snapshotFromFiles(c.files),
    ).found;
    if (!found) continue;
    const sel = AnswerSelector.fromState(found.value.selector);
    truth.forEach((g, i) => {
      const cells = g.flat();
      const ranked = sel.ranked(i);
      const right = ranked.find(
        (e) =>
          e.grid.height === g.length &&
          e.grid.width === g[0]!.length &&
          cells.every((c, j) => c === e.grid.cells[j]),
      );
      if (!right) return;
      inPool++;
      for (const [name, rule] of Object.entries(RULES)) {
        const order = ranked.map((e, k) => ({ e, k, v: rule(e) })).sort((a, b) => b.v - a.v || a.k - b.k);
        if (order.findIndex((o) => o.e === right) < 2) solved.set(name, solved.get(name)! + 1);
      }
    });
  }
}
console.log(
  `${dirs.length} run(s): ${outputs} test outputs, ${inPool} with the right grid among the candidates\n`,
);
console.log("| rule | outputs solved | chosen in the top two, of those in the pool |");
console.log("|---|---|---|");
for (const [name, n] of solved)
  console.log(`| ${name} | ${n} | ${((100 * n) / Math.max(1, inPool)).toFixed(1)}% |`);
