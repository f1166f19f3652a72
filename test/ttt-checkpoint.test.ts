// Checkpoints in one process: the tensor file, the versioned store (atomic versions, sha256 manifests,
// damage detected file by file, fallback to the previous good version, retention), the loop snapshot
// with real training (a loop resumed from any checkpoint ends bit-identical to one never stopped), the
// state of the selector, EMA and stability tracker, the journal repair, and the run-directory lock
// against a real second process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureTasks } from "../fixtures/make.ts";
import { withoutTestOutputs } from "../src/arc/index.ts";
import { colourMapFamily } from "../src/models/colour-map.ts";
import { multitensorFamily } from "../src/models/multitensor/index.ts";
import { CheckpointStore, type CheckpointMeta } from "../src/rundir/checkpoint-store.ts";
import { ortTrainerFactory } from "../src/loop/trainer.ts";
import { LockHeldError, RunLock } from "../src/rundir/lock.ts";
import type { LoopSnapshot } from "../src/loop/snapshot.ts";
import { snapshotFiles, snapshotFromFiles } from "../src/rundir/snapshot-files.ts";
import { planTask } from "../src/loop/plan.ts";
import { readJournal } from "../src/rundir/run-dir.ts";
import { AnswerSelector } from "../src/loop/select.ts";
import { snapshotOutcome, trainTask, type LoopOutcome } from "../src/loop/task-loop.ts";
import { StabilityTracker } from "../src/loop/stability.ts";
import { OutputEma } from "../src/loop/ema.ts";
import { decodeTensors, encodeTensors } from "../src/rundir/tensor-file.ts";
import { waitForLine } from "./support/wait.ts";

const root = mkdtempSync(join(tmpdir(), "ttt-checkpoint-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("tensor file", () => {
  test("float32 and float64 arrays round-trip bit for bit (NaN payloads, -0, odd lengths)", () => {
    const f32 = Float32Array.of(1.5, -0, NaN, Infinity, 3e-38);
    new Uint32Array(f32.buffer)[2] = 0x7fc00123; // a NaN with a payload
    const f64 = Float64Array.of(Math.PI, -1e308, 5e-324);
    const back = decodeTensors(encodeTensors({ a: f32, b: f64, empty: new Float32Array(0) }));
    expect(new Uint32Array(back.a!.buffer)).toEqual(new Uint32Array(f32.buffer));
    expect(back.b).toEqual(f64);
    expect(back.b).toBeInstanceOf(Float64Array);
    expect(back.empty!.length).toBe(0);
  });

  test("a cut-short or foreign file is refused with a plain reason", () => {
    const bytes = encodeTensors({ a: new Float32Array(10) });
    expect(() => decodeTensors(bytes.subarray(0, bytes.length - 4))).toThrow("tensor a: data cut short");
    expect(() => decodeTensors(bytes.subarray(0, 8))).toThrow("too short");
    expect(() => decodeTensors(new TextEncoder().encode('{"not": "tensors"}'))).toThrow("bad magic number");
  });
});

const meta = (step: number, final = false): CheckpointMeta => ({
  task: "t",
  step,
  loss: 1 / step,
  final,
  stop: final ? "steps" : null,
  try: 1,
  retry: null,
  configHash: "h",
  seed: 7,
  versions: { ttt: "x", ort: "y" },
});
const files = (step: number) => ({
  "a.bin": new Uint8Array(100).fill(step),
  "b.json": new TextEncoder().encode(JSON.stringify({ step })),
});

describe("checkpoint store", () => {
  const store = (name: string) => new CheckpointStore(join(root, name), `checkpoints/${name}`);

  test("versions are numbered, written whole, and listed with their manifests", () => {
    const s = store("list");
    for (const step of [10, 20, 30]) s.write(meta(step), files(step));
    expect(s.versions()).toEqual([1, 2, 3]);
    const m = s.readManifest(2);
    expect(m).toMatchObject({
      version: 2,
      step: 20,
      task: "t",
      seed: 7,
      final: false,
      files: [
        { name: "a.bin", size: 100 },
        { name: "b.json", size: 11 },
      ],
    });
    expect(m.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readdirSync(s.dir).filter((f) => f.startsWith("."))).toEqual([]);
  });

  test("damage is found file by file and the newest whole version is used", () => {
    const s = store("damage");
    for (const step of [10, 20, 30, 40, 50]) s.write(meta(step), files(step));
    const v = (n: number, f: string) => join(s.dir, `v00000${n}`, f);
    const flipped = readFileSync(v(5, "a.bin"));
    flipped[3] ^= 0x80;
    writeFileSync(v(5, "a.bin"), flipped);
    writeFileSync(v(4, "b.json"), "{}");
    rmSync(v(3, "a.bin"));
    const manifest = JSON.parse(readFileSync(v(2, "manifest.json"), "utf8"));
    writeFileSync(v(2, "manifest.json"), JSON.stringify({ ...manifest, step: 21 }));
    const r = s.loadNewest(
      () => undefined,
      (c) => JSON.parse(new TextDecoder().decode(c.files["b.json"])),
    );
    expect(r.found?.value).toEqual({ step: 10 });
    expect(r.problems).toEqual([
      "checkpoints/damage/v000005/a.bin: sha256 mismatch (damaged)",
      "checkpoints/damage/v000004/b.json: 2 bytes, the manifest says 11 (truncated or damaged)",
      "checkpoints/damage/v000003/a.bin: missing (ENOENT)",
      "checkpoints/damage/v000002/manifest.json: checksum mismatch (damaged)",
    ]);
  });

  test("a version its user refuses is passed over with the reason; a folder renamed by hand is noticed", () => {
    const s = store("refuse");
    s.write(meta(10), files(10));
    s.write(meta(20), files(20));
    const r = s.loadNewest(
      (m) => (m.step === 20 ? "other settings" : undefined),
      (c) => c.manifest.step,
    );
    expect(r.found?.value).toBe(10);
    expect(r.skipped).toEqual(["checkpoints/refuse/v000002: other settings"]);
    renameSync(join(s.dir, "v000002"), join(s.dir, "v000007"));
    expect(() => s.readManifest(7)).toThrow(
      "checkpoints/refuse/v000007/manifest.json: says version 2, its folder is v000007",
    );
  });

  test("retention keeps the newest k and the final versions; leftovers of interrupted writes are cleared", () => {
    const s = store("retain");
    s.write(meta(10), files(10));
    s.write(meta(20, true), files(20));
    for (const step of [30, 40, 50]) s.write(meta(step), files(step));
    mkdirSync(join(s.dir, ".v000006.tmp-123-abc"));
    expect(s.prune(2)).toEqual([1, 3]);
    expect(s.versions()).toEqual([2, 4, 5]);
    expect(s.debris()).toEqual(["checkpoints/retain/.v000006.tmp-123-abc"]);
    s.debris(true);
    expect(s.debris()).toEqual([]);
    expect(s.prune(0)).toEqual([4, 5]);
    expect(s.versions()).toEqual([2]);
  });

  test("a write that fails leaves no version and no temporary folder behind", () => {
    const s = store("failing");
    s.write(meta(10), files(10));
    expect(() => s.write(meta(20), { "no/such/folder.bin": new Uint8Array(4) })).toThrow();
    expect(s.versions()).toEqual([1]);
    expect(readdirSync(s.dir)).toEqual(["v000001"]);
  });
});

describe("the loop resumed from a checkpoint ends exactly as if never stopped (real training)", () => {
  const task = withoutTestOutputs(fixtureTasks().find((t) => t.id === "fill-enclosed")!);
  const plan = planTask(task, { seed: 3, steps: 200, chunk: 5, patience: 0 });
  const model = colourMapFamily.build(task, { seed: plan.seed });
  const open = () => ortTrainerFactory(model, { ep: "cpu", threads: 1, chunk: plan.chunk, seed: plan.seed });
  const saved: LoopSnapshot[] = [];
  let full: LoopOutcome;
  beforeAll(async () => {
    const trainer = await open();
    // Each snapshot goes through its files, as a checkpoint would.
    full = await trainTask(plan, model, trainer, {
      checkpoint: { every: 50, save: (s) => void saved.push(snapshotFromFiles(snapshotFiles(s))) },
    });
    await trainer.release();
  });
  const same = (a: LoopOutcome, b: LoopOutcome) => {
    expect(a.answers).toEqual(b.answers);
    expect(a.losses).toEqual(b.losses);
    expect([a.stop, a.steps, a.chunks, a.finalLoss]).toEqual([b.stop, b.steps, b.chunks, b.finalLoss]);
  };

  test("snapshots every 50 steps and a final one", () => {
    expect(saved.map((s) => [s.step, s.stop])).toEqual([
      [50, null],
      [100, null],
      [150, null],
      [200, "steps"],
    ]);
    expect(full.stop).toBe("steps");
  });

  test.each([0, 1, 2])("from snapshot %i", async (i) => {
    const t = await open();
    const resumed = await trainTask(plan, model, t, { resume: saved[i]! });
    await t.release();
    same(resumed, full);
  });

  test("from the final snapshot nothing is trained and the outcome is the same", () => {
    same(snapshotOutcome(saved[3]!), full);
  });
});

describe("copies and restarts: the loop resumed from any checkpoint ends as if never stopped (multitensor)", () => {
  // Two copies in one graph; answers that settle for 20 steps start two fresh copies while 20 steps
  // are left, so the run restarts several times, and checkpoints land before, between and after them.
  const task = withoutTestOutputs(fixtureTasks().find((t) => t.id === "recolour-1-to-2")!);
  const plan = planTask(task, { seed: 5, steps: 150, chunk: 10, patience: 20, copies: 2, restarts: true });
  const model = multitensorFamily.build(task, { seed: plan.seed, copies: plan.copies });
  const open = () => ortTrainerFactory(model, { ep: "cpu", threads: 1, chunk: plan.chunk, seed: plan.seed });
  const saved: LoopSnapshot[] = [];
  let full: LoopOutcome;
  let again: LoopOutcome;
  beforeAll(async () => {
    for (const keep of [true, false]) {
      const trainer = await open();
      const out = await trainTask(plan, model, trainer, {
        restarts: true,
        ...(keep
          ? { checkpoint: { every: 30, save: (s) => void saved.push(snapshotFromFiles(snapshotFiles(s))) } }
          : {}),
      });
      await trainer.release();
      if (keep) full = out;
      else again = out;
    }
  });

  test("it restarts, every copy votes, and the same seed gives the same outcome", () => {
    expect(plan.copies).toBe(2);
    expect(full.restarts).toBeGreaterThanOrEqual(1);
    expect(full.copiesTrained).toBe(2 * (full.restarts + 1));
    expect(full.answers[0]!.votes[0]!).toBeGreaterThanOrEqual(2);
    expect(saved.some((s) => (s.restarts ?? 0) > 0 && s.stop === null)).toBe(true);
    expect({ ...again, seconds: 0 }).toEqual({ ...full, seconds: 0 });
  });

  test("from every checkpoint", async () => {
    for (const snap of saved.slice(0, -1)) {
      const t = await open();
      const resumed = await trainTask(plan, model, t, { restarts: true, resume: snap });
      await t.release();
      expect({ from: snap.step, answers: resumed.answers, losses: resumed.losses }).toEqual({
        from: snap.step,
        answers: full.answers,
        losses: full.losses,
      });
      expect([resumed.stop, resumed.steps, resumed.restarts]).toEqual([full.stop, full.steps, full.restarts]);
    }
  });
});

test("selector, EMA and stability state survive JSON (and typed arrays) exactly", () => {
  const sel = new AnswerSelector(2, { warmupSteps: 25 });
  const g = (v: number) => ({ height: 1, width: 2, cells: Uint8Array.of(v, v) });
  sel.add(
    [
      { grid: g(1), score: -0.123456789 },
      { grid: g(2), score: -3 },
    ],
    5,
  );
  sel.add(
    [
      { grid: g(3), score: -0.123456789 },
      { grid: g(2), score: NaN },
    ],
    10,
  );
  const back = AnswerSelector.fromState(JSON.parse(JSON.stringify(sel.toState())));
  expect(back.answers()).toEqual(sel.answers());
  expect(back.signature()).toBe(sel.signature());
  expect(back.ignored).toBe(1);
  const ema = new OutputEma();
  ema.update({ y: Float32Array.of(1, 2) }, 5);
  ema.update({ y: Float32Array.of(3, 5) }, 5);
  expect(OutputEma.fromState(ema.toState()).update({ y: Float32Array.of(0, 0) }, 5)).toEqual(
    ema.update({ y: Float32Array.of(0, 0) }, 5),
  );
  const st = new StabilityTracker(10);
  st.observe("a", 5);
  const st2 = StabilityTracker.fromState(JSON.parse(JSON.stringify(st.toState())));
  expect([st2.observe("a", 15), st.observe("a", 15)]).toEqual([true, true]);
});

test("journal: a line cut short is left out and, with repair, removed from the file", () => {
  const dir = join(root, "journal");
  mkdirSync(dir);
  const line = (id: string) =>
    `${JSON.stringify({ id, status: "ok", stop: "steps", record: `tasks/${id}.json`, finishedAt: "x" })}\n`;
  writeFileSync(join(dir, "journal.jsonl"), `${line("a")}${line("b")}${line("c").slice(0, 20)}`);
  const r = readJournal(dir, true);
  expect(r.entries.map((e) => e.id)).toEqual(["a", "b"]);
  expect(r.problems).toEqual([expect.stringMatching(/^journal\.jsonl line 3 is not a whole entry/)]);
  expect(readFileSync(join(dir, "journal.jsonl"), "utf8")).toBe(`${line("a")}${line("b")}`);
});

describe("run-directory lock", () => {
  const dir = join(root, "locked");
  const holder = (script: string) =>
    Bun.spawn(
      [
        process.execPath,
        "-e",
        `const { RunLock } = await import(${JSON.stringify(join(import.meta.dir, "../src/rundir/lock.ts"))}); ${script}`,
      ],
      { stdout: "pipe", stderr: "inherit" },
    );

  test("a second taker in this process is refused with the holder's pid; release frees it", async () => {
    const a = await RunLock.acquire(dir, "ttt solve");
    const err = await RunLock.acquire(dir, "ttt solve").catch((e) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.message).toContain(`is in use by ttt solve (pid ${process.pid}`);
    a.release();
    expect(existsSync(join(dir, "lock"))).toBe(false);
    (await RunLock.acquire(dir, "ttt solve")).release();
  });

  test("held by a live process: refused; after it is killed with SIGKILL: taken over", async () => {
    const p = holder(
      `await RunLock.acquire(${JSON.stringify(dir)}, "ttt solve"); console.log("locked"); await Bun.sleep(60000);`,
    );
    await waitForLine(p.stdout, /^locked$/, { what: "the holder process to take the lock" });
    const err = await RunLock.acquire(dir, "ttt solve").catch((e) => e);
    expect(err.message).toContain(`(pid ${p.pid},`);
    p.kill("SIGKILL");
    await p.exited;
    let stale = 0;
    const lock = await RunLock.acquire(dir, "ttt solve", { onStale: (old) => (stale = old.pid) });
    expect(stale).toBe(p.pid);
    lock.release();
  });

  test("the workers of a dead holder are waited for (and named if they outlive the wait)", async () => {
    const worker = Bun.spawn(["sleep", "30"]);
    const p = holder(
      `const l = await RunLock.acquire(${JSON.stringify(dir)}, "ttt solve"); l.setWorkers([${worker.pid}]); console.log("locked"); await Bun.sleep(60000);`,
    );
    await waitForLine(p.stdout, /^locked$/, {
      what: "the holder process to take the lock and name its worker",
    });
    p.kill("SIGKILL");
    await p.exited;
    const err = await RunLock.acquire(dir, "ttt solve", { waitForWorkersMs: 200 }).catch((e) => e);
    expect(err.message).toContain(`its worker processes ${worker.pid} are still running`);
    // A taker that waits for the worker gets the lock once the worker has gone (the kill comes while it
    // waits; the wait is bounded, and ends in the error above should the worker be seen running to its end).
    const taking = RunLock.acquire(dir, "ttt solve", { waitForWorkersMs: 30_000 });
    worker.kill("SIGKILL");
    const lock = await taking;
    lock.release();
  });
});
