// Kill-and-resume trials with real processes (test/ttt-resume.test.ts and bench/soak.ts): `ttt solve`
// on the fixtures with the fast colour-map family and an exact step budget, killed with SIGKILL at a
// given moment, then `ttt solve --resume` on the same run directory. A trial checks what the issue asks:
// no finished task lost or recomputed (the journal's lines before the kill stay, the records of the
// finished tasks keep their bytes, no id is journaled twice), a valid submission whenever one exists,
// and final answers (attempts, confidences, loss curves, steps) equal to an uninterrupted run's.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSubmissionCovers, loadSolutions, readSubmission, type Grid } from "../../src/arc/index.ts";
import { readJournal } from "../../src/rundir/run-dir.ts";
import { StreamText } from "../support/wait.ts";
import { PROJECT_ROOT } from "./cli.ts";

export const FIXTURE = "fixtures/tasks_challenges.json";
export const FIXTURE_IDS = [
  "flip-horizontal",
  "recolour-1-to-2",
  "fill-enclosed",
  "crop-object",
  "transpose",
  "swap-colours",
  "scale-2x",
];

/** The solve arguments of a trial in `dir`: run directory dir/run, submission dir/submission.json. */
export function solveArgs(
  dir: string,
  o: {
    steps?: number;
    workers?: number;
    extra?: string[];
    output?: string;
    runDir?: string;
    family?: string;
    tasks?: readonly string[];
    checkpointEvery?: number;
    chunk?: number;
    patience?: number;
  } = {},
): string[] {
  return [
    FIXTURE,
    "-o",
    o.output ?? join(dir, "submission.json"),
    "--run-dir",
    o.runDir ?? join(dir, "run"),
    "--family",
    o.family ?? "colour-map",
    "--ep",
    "cpu",
    "--steps",
    String(o.steps ?? 1000),
    "--chunk",
    String(o.chunk ?? 5),
    "--patience",
    String(o.patience ?? 0),
    "--workers",
    String(o.workers ?? 1),
    "--checkpoint-every",
    String(o.checkpointEvery ?? 100),
    ...(o.tasks ? ["--tasks", o.tasks.join(",")] : []),
    ...(o.extra ?? []),
  ];
}

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Start `ttt solve ...args` (env added to ours); its output so far is in `stdout` and `stderr`. */
export function startSolve(args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, "src/cli/main.ts", "solve", ...args], {
    cwd: PROJECT_ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const stdout = new StreamText(proc.stdout);
  const stderr = new StreamText(proc.stderr);
  const done: Promise<Finished> = (async () => {
    const code = await proc.exited;
    return {
      code,
      stdout: await stdout.done,
      stderr: await stderr.done,
      seconds: (performance.now() - started) / 1000,
    };
  })();
  return { proc, done, stdout, stderr };
}

export const runSolve = (args: string[], env: Record<string, string> = {}) => startSolve(args, env).done;

export interface TaskResult {
  answers: unknown;
  lossCurve: unknown;
  steps: number;
  stop: string;
}

/** What must be equal between runs: the submission and, per task, answers, loss curve, steps, stop. */
export interface Results {
  submission: unknown;
  tasks: Record<string, TaskResult>;
}

export function readResults(dir: string, ids: readonly string[] = FIXTURE_IDS): Results {
  const tasks: Record<string, TaskResult> = {};
  for (const id of ids) {
    const r = JSON.parse(readFileSync(join(dir, "run", "tasks", `${id}.json`), "utf8"));
    tasks[id] = { answers: r.answers, lossCurve: r.lossCurve, steps: r.steps, stop: r.stop };
  }
  return { submission: JSON.parse(readFileSync(join(dir, "submission.json"), "utf8")), tasks };
}

let solutions: Map<string, Grid[]> | undefined;

/** Problems of the submission file now (none when it does not exist yet); `ids`: the run's tasks. */
export async function submissionProblems(path: string, ids?: readonly string[]): Promise<string[]> {
  solutions ??= (await loadSolutions("fixtures/tasks_solutions.json")).solutions;
  if (!existsSync(path)) return [];
  const sub = readSubmission(path);
  const wanted = ids ? new Map([...solutions].filter(([id]) => ids.includes(id))) : solutions;
  return [...sub.errors, ...checkSubmissionCovers(sub.submission, wanted, path)].map((e) => e.toString());
}

/** Reads the submission every few ms while a run goes on; every read must be a valid submission. */
export function watchSubmission(path: string, ids?: readonly string[]) {
  let reads = 0;
  const invalid: string[] = [];
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    const problems = await submissionProblems(path, ids);
    if (existsSync(path)) reads++;
    if (problems.length) invalid.push(...problems);
    busy = false;
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return { reads, invalid };
    },
  };
}

export type TrialCategory =
  | "during a checkpoint write"
  | "before the run directory"
  | "before any task finished"
  | "between tasks"
  | "mid-task, from a checkpoint"
  | "mid-task, from its final checkpoint"
  | "mid-task, before its first checkpoint"
  | "after the run ended";

export interface TrialResult {
  killAtMs: number;
  category: TrialCategory;
  /** Tasks finished before the kill (kept), and those the resume ran. */
  kept: number;
  /** Tasks the resume continued from a checkpoint (not a final one). */
  fromCheckpoint: number;
  killedRunSeconds: number;
  resumeSeconds: number;
  submissionReads: number;
  /** What was wrong; empty for a good trial. */
  problems: string[];
}

/**
 * One trial in the empty folder `dir`: solve, SIGKILL after `killAtMs`, resume, check against `ref`.
 * `kills` > 1 kills the resume again (at the same delay) before the last, clean resume. `fault`: a
 * TTT_INJECT_FAULT for the first run that kills it at a chosen point (kill@checkpoint:n: mid-way through
 * a worker's n-th checkpoint write); then `killAtMs` is not used and the run is not killed from outside.
 */
export async function killResumeTrial(
  dir: string,
  killAtMs: number,
  ref: Results,
  o: {
    workers?: number;
    kills?: number;
    fault?: string;
    family?: string;
    steps?: number;
    tasks?: readonly string[];
    checkpointEvery?: number;
  } = {},
): Promise<TrialResult> {
  const { kills: _, fault, ...argOptions } = o;
  const args = solveArgs(dir, argOptions);
  const IDS = o.tasks ?? FIXTURE_IDS;
  const runDir = join(dir, "run");
  const problems: string[] = [];
  const watch = watchSubmission(join(dir, "submission.json"), o.tasks);
  const first = startSolve(args, fault ? { TTT_INJECT_FAULT: fault } : {});
  if (!fault) await Bun.sleep(killAtMs);
  const endedBefore = fault ? false : first.proc.exitCode !== null;
  if (!fault) first.proc.kill("SIGKILL");
  const killed = await first.done;
  if (fault && killed.code !== 137)
    problems.push(
      `the run with ${fault} ended with exit ${killed.code}, not killed: ${killed.stderr.slice(-300)}`,
    );
  for (let k = 1; k < (o.kills ?? 1); k++) {
    const again = startSolve([...args, "--resume"]);
    await Bun.sleep(killAtMs);
    again.proc.kill("SIGKILL");
    await again.done;
  }

  // What the killed run left.
  const hadRunJson = existsSync(join(runDir, "run.json"));
  const journalText = existsSync(join(runDir, "journal.jsonl"))
    ? readFileSync(join(runDir, "journal.jsonl"), "utf8")
    : "";
  const before = readJournal(runDir).entries;
  const wholeLines = journalText
    .split("\n")
    .slice(0, before.length)
    .map((l) => `${l}\n`)
    .join("");
  const keptRecords = new Map<string, Buffer>();
  for (const e of before)
    if (e.stop !== "interrupted") keptRecords.set(e.id, readFileSync(join(runDir, e.record)));

  const resumed = await runSolve([...args, "--resume"]);
  const seen = watch.stop();
  if (resumed.code !== 0) problems.push(`resume exit ${resumed.code}: ${resumed.stderr.slice(-800)}`);
  problems.push(
    ...[...new Set(seen.invalid)].slice(0, 5).map((p) => `submission invalid during the trial: ${p}`),
  );

  // Nothing finished was lost or recomputed.
  const after = existsSync(join(runDir, "journal.jsonl"))
    ? readFileSync(join(runDir, "journal.jsonl"), "utf8")
    : "";
  if (!after.startsWith(wholeLines)) problems.push("the journal lines written before the kill were changed");
  const ids = readJournal(runDir).entries.map((e) => e.id);
  if (new Set(ids).size !== ids.length) problems.push(`a task was journaled twice: ${ids.join(" ")}`);
  if (ids.length !== IDS.length) problems.push(`${ids.length} journal lines, expected ${IDS.length}`);
  for (const [id, bytes] of keptRecords)
    if (!readFileSync(join(runDir, "tasks", `${id}.json`)).equals(bytes))
      problems.push(`the record of ${id}, finished before the kill, was rewritten`);

  // The same answers as the run that was never killed.
  let fromCheckpoint = 0;
  let fromFinal = 0;
  let fromScratch = 0;
  if (resumed.code === 0) {
    const got = readResults(dir, IDS);
    if (JSON.stringify(got.submission) !== JSON.stringify(ref.submission))
      problems.push("the submission differs from the uninterrupted run's");
    for (const id of IDS) {
      if (JSON.stringify(got.tasks[id]) !== JSON.stringify(ref.tasks[id]))
        problems.push(`task ${id}: answers, loss curve, steps or stop differ from the uninterrupted run's`);
      if (keptRecords.has(id)) continue;
      const rec = JSON.parse(readFileSync(join(runDir, "tasks", `${id}.json`), "utf8"));
      if (rec.checkpointProblems)
        problems.push(`task ${id}: checkpoint problems ${rec.checkpointProblems.join("; ")}`);
      if (rec.resumedFrom && rec.resumedFrom.step >= rec.steps) fromFinal++;
      else if (rec.resumedFrom) fromCheckpoint++;
      else if (hadRunJson && inFlightAtKill(before, id, IDS)) fromScratch++;
    }
  }
  const category: TrialCategory =
    endedBefore || before.length === IDS.length
      ? "after the run ended"
      : !hadRunJson
        ? "before the run directory"
        : fromFinal > 0
          ? "mid-task, from its final checkpoint"
          : fromCheckpoint > 0
            ? "mid-task, from a checkpoint"
            : fromScratch > 0 && before.length > 0
              ? "mid-task, before its first checkpoint"
              : before.length === 0
                ? "before any task finished"
                : "between tasks";
  return {
    killAtMs,
    category,
    kept: keptRecords.size,
    fromCheckpoint,
    killedRunSeconds: killed.seconds,
    resumeSeconds: resumed.seconds,
    submissionReads: seen.reads,
    problems,
  };
}

/** The first task not journaled before the kill was the one in flight (one worker, tasks in file order). */
function inFlightAtKill(before: { id: string }[], id: string, ids: readonly string[]): boolean {
  const done = new Set(before.map((e) => e.id));
  return ids.find((t) => !done.has(t)) === id;
}
