// `ttt solve --pretrain-first <share>` (transductive): spend that share of the run's time learning a
// prior from the run's own tasks (their train pairs and test inputs only, as in any job), then solve
// every task from it with the rest. The pretraining run lives in <run-dir>/pretrain (so --resume goes on
// with it, or past it once it has finished) and writes <run-dir>/pretrain/prior-final.ttt. Not with
// --shard: the shards of one run must start from one prior (`ttt pretrain` once, then --prior).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PRETRAIN_FILE } from "../rundir/formats/index.ts";
import { readPretrainInfo } from "../rundir/pretrain-files.ts";
import { loadRunInputs } from "./inputs.ts";
import { pretrain, type PretrainSettings } from "./pretrain.ts";
import { PlainDisplay } from "./progress.ts";
import { PRETRAIN_FIRST_WITH_SHARD } from "./shard-solve.ts";
import { solve, type SolveDeps, type SolveResult, type SolveSettings } from "./solve.ts";

/** Inner-loop settings of the transductive pretraining (short runs, as for `ttt pretrain`). */
export const TRANSDUCTIVE = { innerSteps: 100, innerSeconds: 10, rate: 0.5 } as const;

export async function solveWithPretraining(
  s: SolveSettings,
  share: number,
  deps: SolveDeps = {},
): Promise<SolveResult> {
  if (!(share > 0 && share < 1)) throw new Error(`--pretrain-first must be between 0 and 1, got ${share}`);
  // Shards would each learn a prior of their own from every task; one prior for all: ttt pretrain, --prior.
  if (s.shard) throw new Error(PRETRAIN_FIRST_WITH_SHARD);
  if (s.timePerTask === undefined && s.timeBudget === undefined)
    throw new Error(
      "--pretrain-first needs --time-per-task or --time-budget (its share is of the run's time)",
    );
  const display = deps.display ?? new PlainDisplay();
  const inputs = await loadRunInputs(s.source, s.taskIds ? { taskIds: s.taskIds } : {});
  const n = inputs.tasks.length;
  // The run's wall-clock time, as the budget shares it: the whole budget, or each task's time over the workers.
  const wall = s.timeBudget ?? (s.timePerTask! * n) / Math.max(1, s.workers);
  const dir = join(s.runDir, "pretrain");
  const output = join(dir, "prior-final.ttt");
  const p: PretrainSettings = {
    source: s.source,
    output,
    runDir: dir,
    family: s.family,
    seed: s.seed,
    ...TRANSDUCTIVE,
    batch: Math.max(1, Math.min(n, 2 * s.workers)),
    timeBudget: share * wall,
    workers: s.workers,
    ep: s.ep,
    threads: s.threads,
    ...(s.taskIds ? { taskIds: s.taskIds } : {}),
    ...(s.prior ? { from: s.prior } : {}),
    ...(s.resume ? { resume: true } : {}),
  };
  const info = join(dir, PRETRAIN_FILE);
  const done =
    s.resume && existsSync(info) && existsSync(output) && readPretrainInfo(info).state === "finished";
  if (done) display.log("info", `${dir}: the transductive prior was learned earlier; solving from it`);
  else {
    display.log(
      "info",
      `learning a prior from the run's ${n} tasks first (${Math.round(share * 100)}% of the time: ${Math.round(p.timeBudget!)}s)`,
    );
    const r = await pretrain(p, { display, ...(deps.signal ? { signal: deps.signal } : {}) });
    display.log("info", `prior learned: ${r.rounds} rounds in ${Math.round(r.seconds)}s`);
    if (r.interrupted)
      throw new Error("interrupted while learning the prior; --resume goes on from its last round");
  }
  const rest: SolveSettings = {
    ...s,
    prior: output,
    ...(s.timeBudget !== undefined ? { timeBudget: s.timeBudget * (1 - share) } : {}),
    ...(s.timePerTask !== undefined ? { timePerTask: s.timePerTask * (1 - share) } : {}),
  };
  return solve(rest, { ...deps, display });
}
