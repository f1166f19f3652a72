// The run directory's files read through their formats (src/rundir/formats/): a damaged or foreign file
// of each kind gets an error naming the file and the field; files written before retries were numbered
// as `try` (run.json format 1, checkpoint manifests of format 1) still read, their old keys mapped.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore, type CheckpointMeta } from "../src/rundir/checkpoint-store.ts";
import {
  parseRunInfo,
  parseRunReport,
  parseTaskRecord,
  RUN_DIR_FORMAT,
  RunFileError,
} from "../src/rundir/formats/index.ts";
import { readLockFile, RunLock } from "../src/rundir/lock.ts";
import { pendingRetry, reopenRun } from "../src/rundir/resume.ts";
import { readJournal } from "../src/rundir/run-dir.ts";
import { readRecords } from "../src/report/run-data.ts";
import { settingsRecord } from "../src/run/settings.ts";
import { canonicalJson, sha256 } from "../src/util/hash.ts";
import { runTtt } from "./helpers/cli.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ttt-schemas-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = settingsRecord({
  source: "x.json",
  output: "sub.json",
  runDir: "run",
  workers: 1,
  ep: "cpu",
  threads: 1,
  seed: 0,
  family: "colour-map",
  steps: 100,
  maxMemoryBytes: 2 ** 30,
});

const runInfo = (over: Record<string, unknown> = {}) => ({
  format: RUN_DIR_FORMAT,
  tool: "ttt",
  command: "solve",
  version: "0.0.0",
  startedAt: "2026-01-01T00:00:00.000Z",
  source: "x.json",
  submission: "sub.json",
  runDir: "run",
  solutions: null,
  settings,
  loadErrors: [],
  tasks: [{ id: "t1", record: "tasks/t1.json" }],
  ...over,
});

const record = (over: Record<string, unknown> = {}) => ({
  id: "t1",
  status: "ok",
  stop: "stable",
  steps: 10,
  seconds: 1,
  setupSeconds: 0.5,
  stepsPerSecond: 20,
  finalLoss: 0.1,
  lossCurve: [[10, 0.1]],
  answers: [{ attempts: [[[1]]], confidences: [1], distinct: 1 }],
  ...over,
});

/** The message a reader throws. */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RunFileError);
    return (e as Error).message;
  }
  throw new Error("no error thrown");
}

describe("run.json", () => {
  test("a field of the wrong type is named with the file", () => {
    const text = JSON.stringify(runInfo({ settings: { ...settings, seed: "a" } }));
    expect(thrown(() => parseRunInfo(text, "runs/x/run.json"))).toBe(
      'runs/x/run.json: settings.seed: expected number, got "a"',
    );
  });
  test("a foreign file: no format", () => {
    const text = JSON.stringify({ name: "some-package", version: "1.0.0" });
    expect(thrown(() => parseRunInfo(text, "run.json"))).toMatch(
      /^run\.json: format: missing \(the run directory formats this ttt reads are 1 and 2\)/,
    );
  });
  test("a format this ttt does not read", () => {
    expect(thrown(() => parseRunInfo(JSON.stringify(runInfo({ format: 9 })), "run.json"))).toBe(
      "run.json: format: expected 1 or 2, got 9 (the run directory formats this ttt reads are 1 and 2)",
    );
  });
  test("not JSON", () => {
    expect(thrown(() => parseRunInfo('{"format": 2, "tas', "run.json"))).toMatch(
      /^run\.json: not valid JSON \(/,
    );
  });
  test("a task entry without its record", () => {
    const text = JSON.stringify(runInfo({ tasks: [{ id: "t1" }] }));
    expect(thrown(() => parseRunInfo(text, "run.json"))).toBe("run.json: tasks[0].record: missing");
  });
  test("format 1 with only the task list (an earlier ttt) reads", () => {
    const info = parseRunInfo(JSON.stringify({ format: 1, tasks: [], settings: {} }), "run.json");
    expect(info.format).toBe(1);
  });
});

describe("task records and report.json", () => {
  test("a record's field of the wrong type", () => {
    const text = JSON.stringify(record({ steps: "x" }));
    expect(thrown(() => parseTaskRecord(text, "tasks/t1.json"))).toBe(
      'tasks/t1.json: steps: expected number, got "x"',
    );
  });
  test("a record's status that is none of ttt's", () => {
    expect(
      thrown(() => parseTaskRecord(JSON.stringify(record({ status: "great" })), "tasks/t1.json")),
    ).toMatch(/^tasks\/t1\.json: status: expected .*"ok".*, got "great"$/);
  });
  test("a record written before `try`: its faults' `attempt` is read as `try`", () => {
    const old = record({ faults: [{ attempt: 1, stop: "nonfinite", error: "NaN", steps: 5, seconds: 1 }] });
    const r = parseTaskRecord(JSON.stringify(old), "tasks/t1.json");
    expect(r.faults).toEqual([{ try: 1, stop: "nonfinite", error: "NaN", steps: 5, seconds: 1 }]);
  });
  test("report.json: a total of the wrong type", () => {
    const report = {
      ...runInfo(),
      state: "finished",
      updatedAt: "2026-01-01T00:00:00.000Z",
      totals: { tasks: 1, seconds: "long" },
      tasks: [],
    };
    expect(thrown(() => parseRunReport(JSON.stringify(report), "runs/x/report.json"))).toMatch(
      /^runs\/x\/report\.json: totals\.ok: missing \(and \d+ more problems\)$/,
    );
  });
});

describe("journal.jsonl", () => {
  test("a foreign line is left out, naming the line and the field", () => {
    const d = join(dir, "journal");
    mkdirSync(d, { recursive: true });
    const good = { id: "t1", status: "ok", stop: "stable", record: "tasks/t1.json", finishedAt: "now" };
    writeFileSync(
      join(d, "journal.jsonl"),
      `${JSON.stringify(good)}\n${JSON.stringify({ ...good, id: "t2", record: 5 })}\n`,
    );
    const j = readJournal(d);
    expect(j.entries.map((e) => e.id)).toEqual(["t1"]);
    expect(j.problems).toEqual([
      "journal.jsonl line 2 is not a whole entry (record: expected string, got 5): left out",
    ]);
  });
});

describe("checkpoint manifests", () => {
  const meta = (over: Partial<CheckpointMeta> = {}): CheckpointMeta => ({
    task: "t1",
    step: 100,
    loss: 0.5,
    final: false,
    stop: null,
    try: 1,
    retry: null,
    configHash: "h",
    seed: 1,
    versions: { ttt: "0.0.0", ort: "0.0.0" },
    ...over,
  });
  /** Rewrite version 1's manifest with `edit` applied, its checksum made good again. */
  const rewrite = (store: CheckpointStore, edit: (m: Record<string, unknown>) => Record<string, unknown>) => {
    const file = join(store.dir, "v000001", "manifest.json");
    const { checksum: _c, ...rest } = JSON.parse(readFileSync(file, "utf8"));
    const body = edit(rest);
    writeFileSync(file, JSON.stringify({ ...body, checksum: sha256(canonicalJson(body)) }));
  };

  test("a field of the wrong type (checksum good) is named", () => {
    const store = new CheckpointStore(join(dir, "ck1"), "checkpoints/t1");
    store.write(meta(), { "state.bin": new Uint8Array([1, 2, 3]) });
    rewrite(store, (m) => ({ ...m, step: "x" }));
    expect(() => store.readManifest(1)).toThrow(
      'checkpoints/t1/v000001/manifest.json: step: expected number, got "x"',
    );
  });
  test("a foreign format", () => {
    const store = new CheckpointStore(join(dir, "ck2"), "checkpoints/t1");
    store.write(meta(), { "state.bin": new Uint8Array([1]) });
    rewrite(store, (m) => ({ ...m, format: 7 }));
    expect(() => store.readManifest(1)).toThrow(
      "checkpoints/t1/v000001/manifest.json: format: expected 1 or 2, got 7 (the checkpoint formats this ttt reads are 1 and 2)",
    );
  });
  test("format 1 (`attempt`) reads as `try`, its retry's fault too; a killed retry is found", () => {
    const store = new CheckpointStore(join(dir, "ck3"), "checkpoints/t1");
    const fault = { try: 1, stop: "nonfinite" as const, error: "NaN", steps: 5, seconds: 1 };
    store.write(meta({ try: 2, retry: { fault, setting: "learning rate x0.5", lrScale: 0.5 } }), {
      "state.bin": new Uint8Array([1]),
    });
    rewrite(store, ({ try: t, retry, ...m }) => ({
      ...m,
      format: 1,
      attempt: t,
      retry: {
        ...(retry as object),
        fault: { attempt: 1, stop: "nonfinite", error: "NaN", steps: 5, seconds: 1 },
      },
    }));
    const m = store.readManifest(1);
    expect(m.try).toBe(2);
    expect(m.retry?.fault.try).toBe(1);
    expect(pendingRetry(store.dir)).toEqual({ fault, setting: "learning rate x0.5", lrScale: 0.5 });
  });
});

describe("the lock file", () => {
  test("a foreign lock is named, field and all, and taken over with a warning", async () => {
    const d = join(dir, "lock");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "lock"), JSON.stringify({ pid: "abc", owner: "someone" }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(d, "lock"), old, old);
    const problem = `${join(d, "lock")}: pid: expected number, got "abc" (and 5 more problems)`;
    expect(readLockFile(d).problem).toBe(problem);
    const damaged: string[] = [];
    const lock = await RunLock.acquire(d, "test", { onDamaged: (p) => damaged.push(p) });
    try {
      expect(damaged).toEqual([problem]);
      expect(readLockFile(d).info?.pid).toBe(process.pid);
    } finally {
      lock.release();
    }
  });
});

describe("resume", () => {
  test("a run written with format 1 (faults with `attempt`) resumes, its records read as today's", () => {
    const d = join(dir, "old-run");
    mkdirSync(join(d, "tasks"), { recursive: true });
    const { tool: _t, ...header } = runInfo({ format: 1 });
    writeFileSync(join(d, "run.json"), JSON.stringify(header));
    const old = record({ faults: [{ attempt: 1, stop: "error", error: "boom", steps: 0, seconds: 0 }] });
    writeFileSync(join(d, "tasks", "t1.json"), JSON.stringify(old));
    const entry = { id: "t1", status: "ok", stop: "stable", record: "tasks/t1.json", finishedAt: "now" };
    writeFileSync(join(d, "journal.jsonl"), `${JSON.stringify(entry)}\n`);
    const r = reopenRun(d, ["t1"], settings)!;
    expect(r.notes).toEqual([]);
    expect(r.finished.get("t1")?.faults?.[0]?.try).toBe(1);
  });
  test("a damaged record and report.json are notes naming file and field; the task runs again", () => {
    const d = join(dir, "damaged-run");
    mkdirSync(join(d, "tasks"), { recursive: true });
    writeFileSync(join(d, "run.json"), JSON.stringify(runInfo()));
    writeFileSync(join(d, "tasks", "t1.json"), JSON.stringify(record({ lossCurve: "none" })));
    writeFileSync(join(d, "report.json"), JSON.stringify({ totals: { seconds: 3 } }));
    const entry = { id: "t1", status: "ok", stop: "stable", record: "tasks/t1.json", finishedAt: "now" };
    writeFileSync(join(d, "journal.jsonl"), `${JSON.stringify(entry)}\n`);
    const r = reopenRun(d, ["t1"], settings)!;
    expect(r.finished.size).toBe(0);
    expect(r.previousSeconds).toBe(0);
    expect(r.notes[0]).toBe(
      'tasks/t1.json: lossCurve: expected a list, got "none" (task t1): the task runs again',
    );
    expect(r.notes[1]).toMatch(/^report\.json: \S+: .*: the time earlier sessions used is not counted$/);
  });
  test("the report reader names a damaged record and goes on", () => {
    const d = join(dir, "show-run");
    mkdirSync(join(d, "tasks"), { recursive: true });
    writeFileSync(
      join(d, "run.json"),
      JSON.stringify(
        runInfo({
          tasks: [
            { id: "t1", record: "tasks/t1.json" },
            { id: "t2", record: "tasks/t2.json" },
          ],
        }),
      ),
    );
    writeFileSync(join(d, "tasks", "t1.json"), JSON.stringify(record()));
    writeFileSync(
      join(d, "tasks", "t2.json"),
      JSON.stringify(record({ id: "t2", answers: [{ attempts: 3 }] })),
    );
    const r = readRecords(d);
    expect(r.records.map((x) => x.id)).toEqual(["t1"]);
    expect(r.warnings).toEqual([
      `${join(d, "tasks", "t2.json")}: answers[0].attempts: expected a list, got 3 (and 2 more problems): task t2 is left out`,
    ]);
  });
});

/** Every file under `root` with its size and modification time. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${p} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  walk(root);
  return out.sort();
}

test("`ttt solve --resume` on a run directory with a foreign run.json: a clear message, nothing touched", () => {
  const root = join(dir, "cli");
  const runDir = join(root, "run");
  mkdirSync(join(runDir, "tasks"), { recursive: true });
  writeFileSync(join(runDir, "run.json"), JSON.stringify({ name: "not-a-run", tasks: "all" }));
  writeFileSync(join(runDir, "journal.jsonl"), "something else\n");
  const before = listing(root);
  const out = join(root, "submission.json");
  const r = runTtt([
    "solve",
    "fixtures/tasks_challenges.json",
    "--run-dir",
    runDir,
    "--resume",
    "-o",
    out,
    "--family",
    "colour-map",
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(
    `${join(runDir, "run.json")}: format: missing (the run directory formats this ttt reads are 1 and 2)`,
  );
  expect(r.stderr).toContain(`run directory ${runDir} cannot be resumed`);
  expect(listing(root)).toEqual(before);
});
