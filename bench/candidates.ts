// bench/candidates: is the right answer ever among the candidates, and does the selection pick it?
// Trains each task of a sample as `ttt solve` does (same plan, model, trainer and loop, CPU, one thread)
// for a fixed time, records every candidate the loop decodes (per chunk: from the current outputs and
// from their EMA) with its score, then replays the stream through several selection rules. Prints,
// per sample: tasks whose truth was ever a candidate, pass@2 of each rule, and per missed task how
// often the truth came up. Solutions are read for this scoring only, never shown to the solver.
//
//   bun bench/candidates.ts [--sample train-50|eval-50] [--time-per-task 60] [--data ../shared/arc]
//                           [--tasks id,id] [--stream file.json] [--replay file.json]
//
// One task at a time (run two at once by splitting --tasks if the machine has the cores).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gridFromRows, gridKey, gridsEqual, taskFromJson, type Grid } from "../src/arc/index.ts";
import { multitensorFamily } from "../src/models/multitensor/index.ts";
import { ortTrainerFactory } from "../src/loop/trainer.ts";
import { planTask } from "../src/loop/plan.ts";
import { logAddExp } from "../src/loop/select.ts";
import { trainTask } from "../src/loop/task-loop.ts";

const { values: a } = parseArgs({
  options: {
    sample: { type: "string", default: "train-50" },
    "time-per-task": { type: "string", default: "60" },
    data: { type: "string", default: "../shared/arc" },
    tasks: { type: "string" },
    stream: { type: "string" },
    replay: { type: "string" },
  },
});

/** One decoded candidate: after `step` steps, source 0 = current outputs, 1 = EMA; test input `test`. */
type Row = { step: number; source: number; test: number; key: string; score: number; truth: boolean };
type TaskStream = { steps: number; chunk: number; tests: number; rows: Row[] };

async function record(): Promise<Record<string, TaskStream>> {
  const data = resolve(a.data!);
  const split = a.sample!.startsWith("eval") ? "evaluation" : "training";
  const file = join(data, "arc-agi-1", `${split}_challenges.json`);
  if (!existsSync(file)) {
    console.error(
      `bench/candidates: ARC data not found at ${file} (pass --data <dir holding arc-agi-1/>); nothing measured`,
    );
    process.exit(0);
  }
  const challenges = JSON.parse(readFileSync(file, "utf8"));
  const solutions = JSON.parse(readFileSync(join(data, "arc-agi-1", `${split}_solutions.json`), "utf8"));
  const ids =
    a.tasks?.split(",") ??
    readFileSync(join(data, "samples", `${a.sample}.txt`), "utf8")
      .split(/\s+/)
      .filter(Boolean);
  const out: Record<string, TaskStream> = {};
  for (const id of ids) {
    const json = challenges[id];
    const task = taskFromJson(id, {
      train: json.train,
      test: json.test.map((t: { input: number[][] }) => ({ input: t.input })),
    });
    const truths: Grid[] = (solutions[id] as number[][][]).map((g) => gridFromRows(g));
    const plan = planTask(task, { seed: 0, timeLimited: true });
    const model = multitensorFamily.build(task, { seed: plan.seed });
    const trainer = await ortTrainerFactory(model, {
      ep: "cpu",
      threads: 1,
      chunk: plan.chunk,
      seed: plan.seed,
    });
    const rows: Row[] = [];
    let step = 0;
    let source = 0;
    const decode = model.decode.bind(model);
    model.decode = (outputs) => {
      const cands = decode(outputs);
      cands.forEach((c, test) => {
        rows.push({
          step,
          source,
          test,
          key: gridKey(c.grid),
          score: c.score,
          truth: gridsEqual(c.grid, truths[test]!),
        });
      });
      source++;
      return cands;
    };
    const counting = {
      ...trainer,
      step: async (k: number) => {
        const l = await trainer.step(k);
        step += k;
        source = 0;
        return l;
      },
    };
    // No early stop: the whole time is recorded, so a rule can be replayed on any prefix of it.
    const r = await trainTask({ ...plan, patience: 0 }, model, counting, {
      timeLimit: Number(a["time-per-task"]),
    });
    await trainer.release();
    out[id] = { steps: r.steps, chunk: plan.chunk, tests: truths.length, rows };
    if (a.stream) writeFileSync(a.stream, JSON.stringify(out));
    console.error(
      `[${Object.keys(out).length}/${ids.length}] ${id}: ${r.steps} steps, truth seen ${rows.filter((x) => x.truth).length} times in ${rows.length}`,
    );
  }
  return out;
}

/** A selection rule: the weight (log) of one observation, or null to leave it out. */
type Rule = (row: Row, chunk: number) => number | null;
const warm = (row: Row, w: number) => Math.log(row.step / (row.step + w));
const RULES: Record<string, Rule> = {
  "solver (log-add-exp of score, warm-up one chunk)": (r, c) => r.score + warm(r, c),
  "count only": () => 0,
  "current outputs only": (r, c) => (r.source === 0 ? r.score + warm(r, c) : null),
  "EMA only": (r, c) => (r.source === 1 ? r.score + warm(r, c) : null),
  "score / 0.5": (r, c) => r.score / 0.5 + warm(r, c),
  "score / 4": (r, c) => r.score / 4 + warm(r, c),
  "warm-up 1000 steps": (r) => r.score + warm(r, 1000),
  "later weighs more (x step)": (r) => r.score + Math.log(r.step),
};

/** Fraction of a task's test inputs whose truth is in the rule's top two. */
function passAt2(t: TaskStream, rule: Rule): number {
  let right = 0;
  for (let test = 0; test < t.tests; test++) {
    const table = new Map<string, number>();
    let truthKey: string | undefined;
    for (const row of t.rows) {
      if (row.test !== test) continue;
      if (row.truth) truthKey = row.key;
      const w = rule(row, t.chunk);
      if (w !== null) table.set(row.key, logAddExp(table.get(row.key) ?? -Infinity, w));
    }
    const top = [...table.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 2)
      .map(([k]) => k);
    if (truthKey !== undefined && top.includes(truthKey)) right++;
  }
  return right / Math.max(1, t.tests);
}

const streams: Record<string, TaskStream> = a.replay
  ? JSON.parse(readFileSync(a.replay, "utf8"))
  : await record();
const tasks = Object.entries(streams);
const ever = tasks.filter(([, t]) => t.rows.some((r) => r.truth));
console.log(`bench/candidates: ${tasks.length} tasks of ${a.sample}, ${a["time-per-task"]} s each`);
console.log(`truth ever a candidate   ${ever.length} tasks`);
for (const [name, rule] of Object.entries(RULES)) {
  const solved = tasks.reduce((s, [, t]) => s + passAt2(t, rule), 0);
  console.log(`pass@2  ${solved.toFixed(1).padStart(5)}  ${name}`);
}
const solver = RULES["solver (log-add-exp of score, warm-up one chunk)"]!;
for (const [id, t] of ever) {
  if (passAt2(t, solver) === 1) continue;
  const hits = t.rows.filter((r) => r.truth);
  const distinct = new Set(t.rows.map((r) => `${r.test}:${r.key}`)).size;
  console.log(
    `missed  ${id}: truth in ${hits.length} of ${t.rows.length} observations (${distinct} distinct grids), steps ${hits[0]!.step}-${hits[hits.length - 1]!.step} of ${t.steps}`,
  );
}
