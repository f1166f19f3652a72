// A full disk (ENOSPC) or a spent quota (EDQUOT) during a solve: nothing written before is lost. First on
// a real small file system (a tmpfs the test mounts; skipped, loudly, where it cannot), filled while a
// task is held at its step 10 (an injected pause) after its first checkpoint: the run stops naming the
// file and the reason, the submission and checkpoints written before stay whole, and once the space is
// back `--resume` ends with the submission of an uninterrupted run. Then every kind of write the run
// makes (checkpoint, task record, journal line, submission, report.json, run.json), each failing by an
// injected fault (TTT_INJECT_FAULT nospace@/quota@, src/workers/fault-injection.ts): the message, what
// survives, and the resume.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJournal } from "../src/rundir/run-dir.ts";
import { runTtt } from "./helpers/cli.ts";
import {
  FIXTURE_IDS,
  readResults,
  runSolve,
  solveArgs,
  startSolve,
  submissionProblems,
  type Results,
} from "./helpers/kill-resume.ts";
import { waitFor } from "./support/wait.ts";

const root = mkdtempSync(join(tmpdir(), "ttt-disk-full-"));
const mnt = join(root, "small-disk");
let mounted = false;
afterAll(() => {
  if (mounted) Bun.spawnSync(["umount", "-l", mnt]);
  rmSync(root, { recursive: true, force: true });
});

const cache = join(root, "cache");
const OPTS = { steps: 40, checkpointEvery: 5 };
const env = (extra: Record<string, string> = {}) => ({ TTT_CACHE_DIR: cache, ...extra });

let ref: Results;
beforeAll(async () => {
  const r = await runSolve(solveArgs(join(root, "reference"), OPTS), env());
  if (r.code !== 0) throw new Error(r.stderr);
  ref = readResults(join(root, "reference"));
});

/** The tasks whose answers the submission in `dir` holds (not the [[0]] placeholder), with them. */
function answered(dir: string): Record<string, unknown> {
  const sub = JSON.parse(readFileSync(join(dir, "submission.json"), "utf8"));
  const blank = JSON.stringify({ attempt_1: [[0]], attempt_2: [[0]] });
  return Object.fromEntries(
    Object.entries(sub).filter(([, v]) => (v as unknown[]).some((a) => JSON.stringify(a) !== blank)),
  );
}

/** Every checkpoint version whole (`ttt checkpoints verify`), and no temporary folder left behind. */
function checkpointsWhole(runDir: string): void {
  const v = runTtt(["checkpoints", "verify", runDir]);
  expect(v.stdout).toContain(" 0 damaged");
  expect(v.code).toBe(0);
  const list = runTtt(["checkpoints", "list", runDir]);
  expect(list.stdout).not.toContain("leftover of an interrupted write");
}

/** Fill the file system of `dir` until a write fails for lack of space. */
function fill(dir: string): string {
  const filler = join(dir, "filler");
  const fd = openSync(filler, "w");
  const block = new Uint8Array(1 << 16).fill(7);
  try {
    for (;;) writeSync(fd, block);
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC");
  } finally {
    closeSync(fd);
  }
  return filler;
}

function tryMount(): string | null {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return "not root on Linux";
  mkdirSync(mnt, { recursive: true });
  const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], { stderr: "pipe" });
  if (r.exitCode !== 0) return `mount -t tmpfs failed: ${r.stderr.toString().trim()}`;
  mounted = true;
  return null;
}
const cannotMount = tryMount();
if (cannotMount)
  console.warn(
    `SKIP ttt-disk-full: the real full-disk test needs a small tmpfs (${cannotMount}); the injected faults still run`,
  );

describe.skipIf(cannotMount !== null)("a real full disk (a small tmpfs)", () => {
  test("filled mid-run: the run stops saying what and where, keeps what it wrote; --resume after freeing space ends as an uninterrupted run", async () => {
    const dir = join(mnt, "trial");
    const runDir = join(dir, "run");
    const held = "fill-enclosed";
    const first = startSolve(solveArgs(dir, OPTS), env({ TTT_INJECT_FAULT: `pause@${held}:10=4000` }));
    // the held task has written its checkpoint of step 10 and waits before its next chunk; the two tasks
    // before it are finished
    await waitFor(() => existsSync(join(runDir, "checkpoints", held, "v000002", "manifest.json")), {
      what: `${held}'s checkpoint of step 10`,
      process: first.proc,
    });
    const filler = fill(mnt);
    const r = await first.done;
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n");
    const record = join(runDir, "tasks", `${held}.json`);
    expect(lines).toContain(
      `warn: [${held}] checkpoint of step 15 not written in checkpoints/${held}: no space left on the device (ENOSPC); the task goes on (a resume would start from checkpoints/${held}/v000002 (step 10))`,
    );
    expect(lines).toContain(`error: task record ${record} not written: no space left on the device (ENOSPC)`);
    expect(lines).toContain(
      `ttt solve: the run stopped: task record ${record} not written: no space left on the device (ENOSPC)`,
    );
    expect(lines).toContain(
      `ttt solve: free space on the file system of ${record}, then go on with: ttt solve fixtures/tasks_challenges.json -o ${join(dir, "submission.json")} --run-dir ${runDir} --resume --family colour-map --steps 40 --chunk 5 --patience 0`,
    );
    // What was written stays whole: the submission (valid; the answers it holds are the uninterrupted
    // run's), the journal's lines, every checkpoint version. (Space the run frees itself, the finished
    // tasks' older checkpoints, may let a later write through: the held task's record, its answers.)
    expect(await submissionProblems(join(dir, "submission.json"))).toEqual([]);
    const kept = answered(dir);
    expect(Object.keys(kept)).toEqual(expect.arrayContaining(["flip-horizontal", "recolour-1-to-2"]));
    for (const [id, v] of Object.entries(kept))
      expect(v).toEqual((ref.submission as Record<string, unknown>)[id]);
    const journal = readJournal(runDir);
    expect(journal.problems).toEqual([]);
    expect(journal.entries.map((e) => e.id).slice(0, 2)).toEqual(["flip-horizontal", "recolour-1-to-2"]);
    checkpointsWhole(runDir);

    rmSync(filler);
    const resumed = await runSolve([...solveArgs(dir, OPTS), "--resume"], env());
    expect(resumed.code).toBe(0);
    expect(readResults(dir)).toEqual(ref);
    checkpointsWhole(runDir);
  });
});

interface Case {
  fault: string;
  /** The line the run ends with (or, for a checkpoint, its warning). */
  message: (dir: string) => string;
  code: number;
  /** Tasks whose answers the submission holds after the failed run. */
  kept: readonly string[];
}

const CASES: Case[] = [
  {
    fault: "nospace@checkpoint:2",
    message: () =>
      "warn: [flip-horizontal] checkpoint of step 10 not written in checkpoints/flip-horizontal: no space left on the device (ENOSPC); the task goes on (a resume would start from checkpoints/flip-horizontal/v000001 (step 5))",
    code: 0,
    kept: FIXTURE_IDS,
  },
  {
    fault: "nospace@record:3",
    message: (d) =>
      `ttt solve: the run stopped: task record ${d}/run/tasks/fill-enclosed.json not written: no space left on the device (ENOSPC)`,
    code: 1,
    kept: FIXTURE_IDS.slice(0, 3),
  },
  {
    fault: "quota@journal:3",
    message: (d) =>
      `ttt solve: the run stopped: journal line ${d}/run/journal.jsonl not written: disk quota exceeded (EDQUOT)`,
    code: 1,
    kept: FIXTURE_IDS.slice(0, 3),
  },
  {
    fault: "nospace@submission:3",
    message: (d) =>
      `ttt solve: the run stopped: submission ${d}/submission.json not written: no space left on the device (ENOSPC)`,
    code: 1,
    kept: FIXTURE_IDS.slice(0, 1),
  },
  {
    fault: "quota@report:3",
    message: (d) =>
      `ttt solve: the run stopped: report.json ${d}/run/report.json not written: disk quota exceeded (EDQUOT)`,
    code: 1,
    kept: FIXTURE_IDS.slice(0, 2),
  },
  {
    fault: "nospace@run-info:1",
    message: (d) => `ttt: run.json ${d}/run/run.json not written: no space left on the device (ENOSPC)`,
    code: 1,
    kept: [],
  },
];

describe("every kind of write failing (injected ENOSPC / EDQUOT)", () => {
  test.each(CASES.map((c) => [c.fault, c] as const))(
    "%s: the message, what survives, the resume",
    async (_, c) => {
      const dir = join(root, c.fault.replace(/[@:]/g, "-"));
      const r = await runSolve(solveArgs(dir, OPTS), env({ TTT_INJECT_FAULT: c.fault }));
      expect(r.stderr.split("\n")).toContain(c.message(dir));
      expect(r.code).toBe(c.code);
      if (existsSync(join(dir, "submission.json"))) {
        expect(await submissionProblems(join(dir, "submission.json"))).toEqual([]);
        const kept = answered(dir);
        expect(Object.keys(kept).sort()).toEqual([...c.kept].sort());
        for (const [id, v] of Object.entries(kept))
          expect(v).toEqual((ref.submission as Record<string, unknown>)[id]);
      } else expect(c.kept).toEqual([]);
      const runDir = join(dir, "run");
      if (existsSync(join(runDir, "journal.jsonl"))) {
        const j = readJournal(runDir);
        expect(j.problems).toEqual([]);
        expect(readFileSync(join(runDir, "journal.jsonl"), "utf8").endsWith("\n")).toBe(true);
      }
      if (existsSync(join(runDir, "checkpoints"))) checkpointsWhole(runDir);
      // no temporary file left next to what failed
      const temps = (d: string): string[] =>
        existsSync(d)
          ? readdirSync(d, { recursive: true })
              .map(String)
              .filter((f) => f.endsWith(".tmp"))
          : [];
      expect([...temps(runDir), ...temps(dir)]).toEqual([]);

      const resumed = await runSolve([...solveArgs(dir, OPTS), "--resume"], env());
      expect(resumed.code).toBe(0);
      expect(readResults(dir)).toEqual(ref);
    },
  );

  test("a write fault that names no kind of write is refused, naming it", async () => {
    const r = await runSolve(
      solveArgs(join(root, "bad-fault"), OPTS),
      env({ TTT_INJECT_FAULT: "nospace@nowhere:1" }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'TTT_INJECT_FAULT: "nospace@nowhere:1": a nospace fault names a write, one of checkpoint, record, journal, submission, report, run-info',
    );
  });
});
