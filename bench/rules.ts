// bench/rules: other ways of ranking a task's candidates, replayed offline on the final answer
// selections of finished bench/accuracy runs (each task's newest checkpoint holds every distinct grid
// with its merged score, observation count, voters and first/last step). For each rule: outputs solved
// (right grid in the top two) and, of the outputs whose right grid was a candidate, the share chosen.
// The rule "score" is the solver's own. Use training-set runs to choose; never evaluation runs.
//
//   bun bench/rules.ts <bench run-dir> [<bench run-dir> ...]
import { resolve } from "node:path";
import type { SelectionEntry } from "../src/loop/select.ts";
import { indexOfGrid, readFinished } from "./pool.ts";

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
for (const { truth, selector } of dirs.flatMap(readFinished)) {
  outputs += truth.length;
  if (!selector) continue;
  truth.forEach((g, i) => {
    const ranked = selector.ranked(i);
    const k = indexOfGrid(ranked, g);
    if (k < 0) return;
    inPool++;
    for (const [name, rule] of Object.entries(RULES)) {
      const order = ranked.map((e, at) => ({ at, v: rule(e) })).sort((a, b) => b.v - a.v || a.at - b.at);
      if (order.findIndex((o) => o.at === k) < 2) solved.set(name, solved.get(name)! + 1);
    }
  });
}
console.log(
  `${dirs.length} run(s): ${outputs} test outputs, ${inPool} with the right grid among the candidates\n`,
);
console.log("| rule | outputs solved | chosen in the top two, of those in the pool |");
console.log("|---|---|---|");
for (const [name, n] of solved)
  console.log(`| ${name} | ${n} | ${((100 * n) / Math.max(1, inPool)).toFixed(1)}% |`);
