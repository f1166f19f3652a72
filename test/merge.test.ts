// `ttt merge` over real shard runs (colour-map family, exact step budgets, so answers do not depend on
// timing): the shards merged equal one machine's run, and merging again gives the same; a missing
// shard is named and nothing is written unless --partial; shards of another task set, another N or
// other settings are refused naming the setting; a damaged or half-written shard folder is named; in
// every refused case no file is written or changed. Shards of another prior are refused (the settings
// that decide the answers are one list with resume's); shards on another --ep merge, run.json naming
// each shard's and the mix; an empty shard is finished; tasks the time budget never reached are
// unfinished for merge as for resume, and named.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJournal } from "../src/rundir/run-dir.ts";
import { ANSWER_KEYS, MERGE_KEYS, RESUME_KEYS } from "../src/rundir/settings-keys.ts";
import { PROJECT_ROOT, runTtt } from "./helpers/cli.ts";
import { waitFor } from "./support/wait.ts";

const FIXTURE = "fixtures/tasks_challenges.json";
const COMMON = [
  "--family",
  "colour-map",
  "--ep",
  "cpu",
  "--steps",
  "60",
  "--chunk",
  "5",
  "--patience",
  "0",
  "--workers",
  "1",
];
const root = mkdtempSync(join(tmpdir(), "ttt-merge-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const solve = (args: string[], common = COMMON) => {
  const r = runTtt(["solve", FIXTURE, ...common, ...args]);
  if (r.code !== 0) throw new Error(`ttt solve ${args.join(" ")} failed: ${r.stderr}`);
  return r;
};
const merge = (...args: string[]) => runTtt(["merge", ...args]);
const readJson = (f: string) => JSON.parse(readFileSync(f, "utf8"));

/** Every file under `dir` with its bytes, to check that a refused merge touched nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, readFileSync(p, "base64"));
    }
  };
  walk(dir);
  return out;
}

let single: unknown;
beforeAll(() => {
  solve(["--run-dir", join(root, "single"), "-o", join(root, "single.json")]);
  single = readJson(join(root, "single.json"));
  for (const i of [0, 1, 2]) solve(["--shard", `${i}/3`, "--run-dir", join(root, "three")]);
}, 120_000);

/** Expect a refusal: exit 1, the text in stderr, no submission written, the folders unchanged. */
function refused(paths: string[], text: string, extra: string[] = []) {
  const before = snapshot(root);
  const out = join(root, `refused-${Math.random().toString(36).slice(2)}.json`);
  const r = merge(...paths, "-o", out, ...extra);
  expect(r.stderr).toContain(text);
  expect(r.code).toBe(1);
  expect(existsSync(out)).toBe(false);
  expect(snapshot(root)).toEqual(before);
  return r;
}

test("one list of the settings that decide the answers: resume keeps them, merge checks them and the time limits", () => {
  expect(RESUME_KEYS).toEqual(ANSWER_KEYS);
  expect(MERGE_KEYS).toEqual([...ANSWER_KEYS, "timePerTask", "timeBudget"]);
  expect(ANSWER_KEYS).toContain("prior");
  // --ep decides where the graphs run, not the answers' method: shards and resumes may differ in it.
  expect(MERGE_KEYS as readonly string[]).not.toContain("ep");
});

describe("ttt merge", () => {
  test("three shards merged equal one machine's run; merging again gives the same", () => {
    const out = join(root, "merged.json");
    const r = merge(join(root, "three"), "-o", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("merged 3 of 3 shards finished, 7 of 7 tasks");
    expect(r.stderr).not.toContain("warning");
    expect(r.stdout).toMatch(/score: [\d.]+% of 7 tasks/);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(root, "single.json"), "utf8"));
    const report = readJson(join(root, "three/merged/report.json"));
    expect(report.tasks.map((t: { id: string }) => t.id)).toEqual(Object.keys(single as object));
    expect(report.totals.score).toEqual(readJson(join(root, "single/report.json")).totals.score);
    expect(existsSync(join(root, "three/merged/report.html"))).toBe(true);
    const again = merge(join(root, "three"), "-o", out);
    expect(again.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(root, "single.json"), "utf8"));
    // The shard folders given one by one: the same submission.
    const dirs = [0, 1, 2].map((i) => join(root, `three/shard-00${i}-of-003`));
    expect(merge(...dirs, "-o", join(root, "by-dirs.json"), "--report-dir", join(root, "by-dirs")).code).toBe(
      0,
    );
    expect(readJson(join(root, "by-dirs.json"))).toEqual(single);
  });

  test("a full disk while merging: the write named, the submission as it was, the shards untouched; merging again once there is space", () => {
    const out = join(root, "full-disk.json");
    const reportDir = join(root, "full-disk-merged");
    expect(merge(join(root, "three"), "-o", out, "--report-dir", reportDir).code).toBe(0);
    const before = readFileSync(out, "utf8");
    const shards = snapshot(join(root, "three"));
    const env = { ...process.env, NO_COLOR: "1", TTT_INJECT_FAULT: "nospace@submission:1" };
    const r = Bun.spawnSync(
      [
        process.execPath,
        "src/cli/main.ts",
        "merge",
        join(root, "three"),
        "-o",
        out,
        "--report-dir",
        reportDir,
      ],
      { cwd: PROJECT_ROOT, env, stdout: "pipe", stderr: "pipe" },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString().trim()).toBe(
      `ttt: submission ${out} not written: no space left on the device (ENOSPC); the shards are as they were: free space, then run ttt merge again`,
    );
    expect(readFileSync(out, "utf8")).toBe(before);
    expect(snapshot(join(root, "three"))).toEqual(shards);
    expect(readdirSync(root).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(merge(join(root, "three"), "-o", out, "--report-dir", reportDir).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(root, "single.json"), "utf8"));
  });

  test("a missing shard is named and nothing written; --partial writes what exists and says how many are missing", () => {
    cpSync(join(root, "three"), join(root, "two"), { recursive: true });
    rmSync(join(root, "two/shard-002-of-003"), { recursive: true });
    rmSync(join(root, "two/merged"), { recursive: true });
    const shard2 = readJson(join(root, "three/shard-000-of-003/run.json")).shard.tasks.filter(
      (t: { shard: number }) => t.shard === 2,
    );
    const r = refused([join(root, "two")], "shard-002-of-003: not started (no run.json)");
    expect(r.stderr).toContain(`${shard2.length} of 7 tasks have no finished record; nothing written`);
    const out = join(root, "partial.json");
    const p = merge(join(root, "two"), "-o", out, "--partial");
    expect(p.code).toBe(0);
    expect(p.stderr).not.toContain("warning");
    expect(p.stderr).toContain(`--partial: ${shard2.length} of 7 tasks missing, written with [[0]] attempts`);
    const sub = readJson(out);
    expect(Object.keys(sub)).toEqual(Object.keys(single as object));
    for (const t of shard2) expect(sub[t.id][0]).toEqual({ attempt_1: [[0]], attempt_2: [[0]] });
    expect(readJson(join(root, "two/merged/report.json")).missing).toEqual(
      shard2.map((t: { id: string }) => t.id),
    );
  });

  test("shards of another task set, another N or other settings are refused, naming what differs", () => {
    solve(["--shard", "1/3", "--run-dir", join(root, "subset"), "--tasks", "transpose,scale-2x,crop-object"]);
    refused(
      [join(root, "three/shard-000-of-003"), join(root, "subset/shard-001-of-003")],
      "was cut from another task set than",
    );
    solve(["--shard", "1/2", "--run-dir", join(root, "halves")]);
    refused(
      [join(root, "three/shard-000-of-003"), join(root, "halves/shard-001-of-002")],
      "was cut into 2 shards, shard-000-of-003",
    );
    solve(["--shard", "1/3", "--run-dir", join(root, "seed1"), "--seed", "1"]);
    refused(
      [join(root, "three/shard-000-of-003"), join(root, "seed1/shard-001-of-003")],
      'was solved with setting "seed" = 1',
    );
    refused(
      [join(root, "three/shard-000-of-003"), join(root, "three/shard-000-of-003")],
      "shard 0 appears twice",
    );
    refused([join(root, "single")], 'no "shard" field: a run made without --shard cannot be merged');
  }, 60_000);

  test("a damaged or half-written shard folder is named", () => {
    const copy = (name: string) => {
      cpSync(join(root, "three"), join(root, name), { recursive: true });
      rmSync(join(root, name, "merged"), { recursive: true });
      return join(root, name);
    };
    const cut = copy("cut-run-json");
    const runJson = join(cut, "shard-001-of-003/run.json");
    writeFileSync(runJson, readFileSync(runJson, "utf8").slice(0, 200));
    refused([cut], `${runJson}: run.json is not whole JSON`);

    const rec = copy("bad-record");
    const recordFile = join(
      rec,
      "shard-002-of-003",
      readJson(join(rec, "shard-002-of-003/run.json")).tasks[0].record,
    );
    writeFileSync(
      recordFile,
      JSON.stringify({ ...readJson(recordFile), answers: [{ attempts: [[[12]]], confidences: [1] }] }),
    );
    refused([rec], `${recordFile}: field "answers.0.attempts.0.0.0"`);

    const field = copy("no-count");
    const info = join(field, "shard-000-of-003/run.json");
    const j = readJson(info);
    delete j.shard.count;
    writeFileSync(info, JSON.stringify(j));
    refused([field], `${info}: field "shard.count": missing`);

    // Killed while appending its last journal line: that task is unfinished, the shard named.
    const half = copy("half-written");
    const journal = join(half, "shard-001-of-003/journal.jsonl");
    const lines = readFileSync(journal, "utf8").trimEnd().split("\n");
    writeFileSync(journal, `${lines.slice(0, -1).join("\n")}\n${lines.at(-1)!.slice(0, 20)}`);
    const r = refused([half], "shard-001-of-003");
    expect(r.stderr).toContain("journal.jsonl line");
    expect(r.stderr).toContain("unfinished, 1 task without a finished record");

    refused([join(root, "nowhere")], "nowhere: no such folder");
    refused(
      [join(root, "single/tasks")],
      "neither a shard run directory (run.json) nor a root of shard-III-of-NNN folders",
    );
  });

  test("safe while a shard still runs: --partial reads its finished records only and names it unfinished", async () => {
    const live = join(root, "live");
    // The last fixture task stalls at step 30, so the shard is surely running while it is merged.
    const proc = Bun.spawn(
      [process.execPath, "src/cli/main.ts", "solve", FIXTURE, ...COMMON, "--shard", "0/1", "--run-dir", live],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TTT_INJECT_FAULT: "stall@scale-2x:30" },
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    try {
      const dir = join(live, "shard-000-of-001");
      await waitFor(() => (readJournal(dir).entries.length === 6 ? true : undefined), {
        what: "six finished tasks in the running shard's journal",
        timeoutMs: 60 * 1000,
      });
      const r = merge(live, "-o", join(root, "live.json"), "--partial");
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("shard-000-of-001");
      expect(r.stderr).toContain("unfinished, 1 task without a finished record (scale-2x)");
      expect(readJson(join(root, "live.json"))["scale-2x"]).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]);
      expect(proc.exitCode).toBeNull();
    } finally {
      // The solve and its (stalled) worker, by pid: the lock names the worker.
      const lock = join(live, "shard-000-of-001/lock");
      const workers = existsSync(lock) ? (readJson(lock).workers as { pid: number }[]) : [];
      proc.kill("SIGKILL");
      await proc.exited;
      for (const w of workers) {
        try {
          process.kill(w.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }, 60_000);

  test("shards of another prior are refused; another --ep merges, run.json giving each shard's and naming the mix", () => {
    // One shard said to start from a prior (its run.json as a shard given --prior writes it), one
    // without: refused, naming the setting. Both with a prior, but other ones: refused too.
    const withPrior = join(root, "prior-mix");
    cpSync(join(root, "three"), withPrior, { recursive: true });
    rmSync(join(withPrior, "merged"), { recursive: true, force: true });
    const setPrior = (i: number, sha: string) => {
      const f = join(withPrior, `shard-00${i}-of-003/run.json`);
      const j = readJson(f);
      j.settings.prior = sha;
      writeFileSync(f, JSON.stringify(j, null, 2));
    };
    setPrior(1, "a".repeat(64));
    refused([withPrior], 'was solved with setting "prior" = "aaaa');
    setPrior(0, "b".repeat(64));
    setPrior(2, "b".repeat(64));
    refused([withPrior], 'was solved with setting "prior" = "aaaa');

    // Shard 1 solved again with --ep auto (the CPU here), the others with --ep cpu: merged, each told.
    const auto = COMMON.map((a) => (a === "cpu" ? "auto" : a));
    solve(["--shard", "1/3", "--run-dir", join(root, "ep-auto")], auto);
    const mixed = join(root, "ep-mix");
    for (const i of [0, 2])
      cpSync(join(root, `three/shard-00${i}-of-003`), join(mixed, `shard-00${i}-of-003`), {
        recursive: true,
      });
    cpSync(join(root, "ep-auto/shard-001-of-003"), join(mixed, "shard-001-of-003"), { recursive: true });
    const r = merge(mixed, "-o", join(root, "ep-mix.json"));
    expect(r.code).toBe(0);
    expect(readJson(join(root, "ep-mix.json"))).toEqual(single);
    const run = readJson(join(mixed, "merged/run.json"));
    expect(run.settings.ep).toBe("mixed");
    expect(run.settings.mixed).toContain("ep");
    expect(r.stderr).not.toContain("warning");
    expect(readFileSync(join(mixed, "merged/report.html"), "utf8")).toContain("ep=&quot;mixed&quot;");
    expect(run.settings.prior).toBeNull();
    expect(run.shards.map((x: { settings: { ep: string } }) => x.settings.ep)).toEqual([
      "cpu",
      "auto",
      "cpu",
    ]);
    expect(run.shards.map((x: { providers: string[] }) => x.providers)).toEqual([["cpu"], ["cpu"], ["cpu"]]);
    // The same --ep everywhere: no mix named.
    const again = join(root, "three-merged-again");
    expect(merge(join(root, "three"), "-o", `${again}.json`, "--report-dir", again).code).toBe(0);
    const same = readJson(join(again, "run.json"));
    expect(same.settings.ep).toBe("cpu");
    expect(same.settings.mixed).toBeUndefined();
  }, 60_000);

  test("a shard with no tasks succeeds with an empty record, and merge counts it finished", () => {
    // Two tasks over three shards: one shard is empty.
    const args = ["--tasks", "transpose,scale-2x", "--run-dir", join(root, "sparse")];
    const runs = [0, 1, 2].map((i) => solve(["--shard", `${i}/3`, ...args]));
    const empty = runs.findIndex((r) => r.stderr.includes("nothing to solve"));
    expect(empty).toBeGreaterThanOrEqual(0);
    expect(runs[empty]!.stderr).toContain(
      `shard ${empty}/3 holds none of the 2 tasks (more shards than tasks): nothing to solve, an empty record written`,
    );
    expect(readJson(join(root, `sparse/shard-00${empty}-of-003/submission.json`))).toEqual({});
    const r = merge(join(root, "sparse"), "-o", join(root, "sparse.json"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("merged 3 of 3 shards finished, 2 of 2 tasks");
  }, 60_000);

  test("tasks the time budget never reached are unfinished for merge, as for --resume, and named", () => {
    const tight = join(root, "no-time");
    // A budget spent before any task starts: every task of the shard stops with "no-time".
    const r0 = runTtt([
      "solve",
      FIXTURE,
      ...COMMON,
      "--time-budget",
      "0.001",
      "--shard",
      "0/2",
      "--run-dir",
      tight,
    ]);
    const dir = join(tight, "shard-000-of-002");
    const ids = readJson(join(dir, "run.json")).tasks.map((t: { id: string }) => t.id);
    expect(readJournal(dir).entries.every((e) => e.stop === "no-time")).toBe(true);
    expect(r0.code).toBe(1);
    const r = refused(
      [dir],
      `shard-000-of-002 (${dir}): unfinished, ${ids.length} tasks without a finished record`,
    );
    expect(r.stderr).toContain(
      `shard-000-of-002: ${ids.length} tasks ran out of time (the budget was spent before they started: ${ids.slice(0, 3).join(", ")}`,
    );
    const p = merge(dir, "-o", join(root, "no-time.json"), "--partial");
    expect(p.code).toBe(0);
    const run = readJson(join(root, "merged/run.json"));
    expect(run.shards[0].noTime).toEqual(ids);
    expect(run.missing).toEqual(expect.arrayContaining(ids));
    // --resume (given time) runs exactly those tasks; then merge calls the shard finished.
    const again = runTtt([
      "solve",
      FIXTURE,
      ...COMMON,
      "--time-budget",
      "1h",
      "--shard",
      "0/2",
      "--run-dir",
      tight,
      "--resume",
    ]);
    expect(again.code).toBe(0);
    expect(
      readJournal(dir)
        .entries.filter((e) => e.stop !== "no-time")
        .map((e) => e.id)
        .sort(),
    ).toEqual([...ids].sort());
    const done = merge(dir, "-o", join(root, "no-time.json"), "--partial");
    expect(done.stderr).not.toContain("shard-000-of-002 (");
    expect(done.stderr).not.toContain("ran out of time");
  }, 60_000);
});
