// A kill/resume trial of a sharded solve (bench/soak.ts --sharded N): the N shards run side by side
// as separate processes under one root, one of them is killed with SIGKILL at a given moment, the
// others finish, the killed one is resumed (`--resume`, as a requeued array task would be), and the
// merge must equal the uninterrupted single-machine run's submission. The killed shard's journal lines
// written before the kill must stay, its finished records keep their bytes, and no task is journaled
// twice in any shard.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJournal } from "../../src/rundir/run-dir.ts";
import { PROJECT_ROOT } from "./cli.ts";
import { runSolve, solveArgs, startSolve } from "./kill-resume.ts";

export interface ShardTrialResult {
  killAtMs: number;
  victim: number;
  /** Tasks of the killed shard finished before the kill (kept). */
  kept: number;
  /** Tasks of the killed shard that went on from a checkpoint. */
  fromCheckpoint: number;
  endedBefore: boolean;
  problems: string[];
}

const shardDir = (root: string, i: number, n: number) =>
  join(root, `shard-${String(i).padStart(3, "0")}-of-${String(n).padStart(3, "0")}`);

export async function shardedKillResumeTrial(
  dir: string,
  killAtMs: number,
  reference: unknown,
  o: {
    shards: number;
    victim: number;
    /** TTT_INJECT_FAULT for the victim's first run (kill@checkpoint:n: killed mid-checkpoint, not from outside). */
    fault?: string;
    /** TTT_INJECT_FAULT for a first merge that is killed (kill@submission:1: mid-way through its submission). */
    mergeFault?: string;
    family?: string;
    steps?: number;
    tasks?: readonly string[];
    checkpointEvery?: number;
  },
): Promise<ShardTrialResult> {
  const root = join(dir, "root");
  const base = solveArgs(dir, {
    ...(o.family ? { family: o.family } : {}),
    ...(o.steps ? { steps: o.steps } : {}),
    ...(o.tasks ? { tasks: o.tasks } : {}),
    ...(o.checkpointEvery ? { checkpointEvery: o.checkpointEvery } : {}),
  });
  // The shard's own run directory and submission: drop solveArgs' --run-dir and -o, give the root.
  const strip = (args: string[]) =>
    args.filter(
      (_, i) => !["-o", "--run-dir"].includes(args[i - 1] ?? "") && !["-o", "--run-dir"].includes(args[i]!),
    );
  const shardArgs = (i: number) => [...strip(base), "--shard", `${i}/${o.shards}`, "--run-dir", root];
  const runs = Array.from({ length: o.shards }, (_, i) =>
    startSolve(shardArgs(i), i === o.victim && o.fault ? { TTT_INJECT_FAULT: o.fault } : {}),
  );
  const victim = runs[o.victim]!;
  if (!o.fault) await Bun.sleep(killAtMs);
  const endedBefore = o.fault ? false : victim.proc.exitCode !== null;
  if (!o.fault) victim.proc.kill("SIGKILL");
  const results = await Promise.all(runs.map((r) => r.done));
  const problems: string[] = [];
  results.forEach((r, i) => {
    if (i !== o.victim && r.code !== 0) problems.push(`shard ${i} exit ${r.code}: ${r.stderr.slice(-400)}`);
  });

  const vdir = shardDir(root, o.victim, o.shards);
  const journalText = existsSync(join(vdir, "journal.jsonl"))
    ? readFileSync(join(vdir, "journal.jsonl"), "utf8")
    : "";
  const before = readJournal(vdir).entries;
  const wholeLines = journalText
    .split("\n")
    .slice(0, before.length)
    .map((l) => `${l}\n`)
    .join("");
  const kept = new Map<string, Buffer>();
  for (const e of before) if (e.stop !== "interrupted") kept.set(e.id, readFileSync(join(vdir, e.record)));

  const resumed = await runSolve([...shardArgs(o.victim), "--resume"]);
  if (resumed.code !== 0) problems.push(`resume exit ${resumed.code}: ${resumed.stderr.slice(-800)}`);
  const after = existsSync(join(vdir, "journal.jsonl"))
    ? readFileSync(join(vdir, "journal.jsonl"), "utf8")
    : "";
  if (!after.startsWith(wholeLines))
    problems.push("the killed shard's journal lines written before the kill were changed");
  for (const [id, bytes] of kept)
    if (!readFileSync(join(vdir, before.find((e) => e.id === id)!.record)).equals(bytes))
      problems.push(`the record of ${id}, finished before the kill, was rewritten`);
  for (let i = 0; i < o.shards; i++) {
    const ids = readJournal(shardDir(root, i, o.shards)).entries.map((e) => e.id);
    if (new Set(ids).size !== ids.length)
      problems.push(`shard ${i}: a task was journaled twice: ${ids.join(" ")}`);
  }
  let fromCheckpoint = 0;
  if (existsSync(join(vdir, "run.json")))
    for (const t of JSON.parse(readFileSync(join(vdir, "run.json"), "utf8")).tasks as {
      id: string;
      record: string;
    }[]) {
      if (kept.has(t.id) || !existsSync(join(vdir, t.record))) continue;
      if (JSON.parse(readFileSync(join(vdir, t.record), "utf8")).resumedFrom) fromCheckpoint++;
    }

  if (o.fault && results[o.victim]!.code !== 137)
    problems.push(`the shard with ${o.fault} ended with exit ${results[o.victim]!.code}, not killed`);
  const merged = join(dir, "merged.json");
  const mergeRun = (env: Record<string, string> = {}) =>
    Bun.spawnSync([process.execPath, "src/cli/main.ts", "merge", root, "-o", merged], {
      cwd: PROJECT_ROOT,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...env },
    });
  if (o.mergeFault) {
    // a merge killed mid-write: nothing it leaves may be a broken file; the next merge rewrites it all
    const k = mergeRun({ TTT_INJECT_FAULT: o.mergeFault });
    if (k.exitCode !== 137 && k.signalCode !== "SIGKILL")
      problems.push(`the merge with ${o.mergeFault} was not killed (exit ${k.exitCode})`);
    if (existsSync(merged)) {
      try {
        JSON.parse(readFileSync(merged, "utf8"));
      } catch {
        problems.push("a merge killed mid-write left a broken submission");
      }
    }
  }
  const m = mergeRun();
  if (m.exitCode !== 0) problems.push(`merge exit ${m.exitCode}: ${m.stderr.toString().slice(-400)}`);
  else if (JSON.stringify(JSON.parse(readFileSync(merged, "utf8"))) !== JSON.stringify(reference))
    problems.push("the merged submission differs from the uninterrupted single-machine run's");
  return { killAtMs, victim: o.victim, kept: kept.size, fromCheckpoint, endedBefore, problems };
}
