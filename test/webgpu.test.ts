// Training on ONNX Runtime's WebGPU provider (Dawn over Vulkan; here Mesa's lavapipe, a software
// adapter): the default family's Loop step on a small fixture task gives the CPU's losses within float32
// tolerance with all but four of its nodes on WebGPU, a small solve gives the CPU's answers, and "auto"
// never takes a software adapter. Where Vulkan offers no adapter Dawn accepts, every test here skips
// and says why on stderr (.ci/run installs libvulkan1 and Mesa's lavapipe from bookworm-backports).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskFromJson, withoutTestOutputs } from "../src/arc/task.ts";
import { taskSeed } from "../src/loop/plan.ts";
import { optimOf } from "../src/loop/trainer.ts";
import { DEFAULT_FAMILY, loadFamily } from "../src/models/registry.ts";
import { planDevices } from "../src/run/device-plan.ts";
import { plannedProvider, webgpuCheck } from "../src/runtime/providers.ts";
import { createSession, tensor } from "../src/runtime/session.ts";
import { openSessions } from "../src/runtime/registry.ts";
import type { ModelSpec } from "../src/train/spec.ts";
import { Trainer } from "../src/train/trainer.ts";
import { PROJECT_ROOT, runTtt } from "./helpers/cli.ts";
import * as G from "../src/graph/index.ts";

/** Why WebGPU cannot run here ("" when it can): no adapter, or a tiny session fails. */
async function unavailable(): Promise<string> {
  const check = webgpuCheck();
  if (!check.adapterFound) return check.reason;
  const g = new G.Graph("probe");
  g.output(G.relu(g.input("x", "float32", [2])), "y");
  try {
    const s = await createSession(G.toModelBytes(g), { ep: "webgpu", label: "webgpu-test-probe" });
    const y = await s.run({ x: tensor("float32", Float32Array.of(-1, 2), [2]) });
    await s.release();
    return Array.from(y.y!.data as Float32Array).join(",") === "0,2"
      ? ""
      : "a tiny session gave a wrong answer";
  } catch (e) {
    return (e as Error).message.split("\n")[0]!;
  }
}

const why = await unavailable();
if (why)
  console.error(
    `\n!!! test/webgpu.test.ts SKIPPED: WebGPU is not available here: ${why}\n!!! (Debian: libvulkan1 and mesa-vulkan-drivers from bookworm-backports; see .ci/run)\n`,
  );
const gpuTest = test.skipIf(why !== "");

const dir = mkdtempSync(join(tmpdir(), "ttt-webgpu-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) =>
  taskFromJson(name, JSON.parse(readFileSync(join(PROJECT_ROOT, "fixtures/tasks", `${name}.json`), "utf8")));

/** The default family's trainer for a fixture task on `ep`, its fixed batch set. */
async function trainerFor(ep: "cpu" | "webgpu" | "auto") {
  const family = await loadFamily(DEFAULT_FAMILY);
  const model = family.build(withoutTestOutputs(fixture("recolour-1-to-2")), { seed: 0 });
  const trainer = await Trainer.create(model.spec as ModelSpec, {
    optim: optimOf(model, 1),
    seed: 0,
    cacheDir: false,
    session: { ep, intraOpThreads: 1, interOpThreads: 1, label: `webgpu-test:${ep}` },
  });
  trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
  return trainer;
}

describe("the default family on WebGPU", () => {
  const K = 3;
  gpuTest("a Loop of K steps: the CPU's losses within float32 tolerance; state on WebGPU too", async () => {
    const cpu = await trainerFor("cpu");
    const gpu = await trainerFor("webgpu");
    const a = Array.from(await cpu.step(K));
    const b = Array.from(await gpu.step(K));
    expect(await gpu.providers()).toEqual(["webgpu"]);
    expect(b).toHaveLength(K);
    for (let i = 0; i < K; i++) {
      expect(Number.isFinite(b[i]!)).toBe(true);
      expect(Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!))).toBeLessThan(1e-4);
    }
    // the state after the run: the first moments (the gradients' average) match the CPU's over all
    // parameters. (Parameters themselves may not: Adam moves one whose gradient is float noise, ~1e-6,
    // by about lr whichever sign the noise has.)
    const sa = cpu.getState();
    const sb = gpu.getState();
    expect(sb.step).toBe(K);
    let diff = 0;
    let norm = 0;
    for (const name of Object.keys(sa.m)) {
      const ma = sa.m[name]!;
      const mb = sb.m[name]!;
      for (let i = 0; i < ma.length; i++) {
        diff += (ma[i]! - mb[i]!) ** 2;
        norm += ma[i]! ** 2;
      }
    }
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-3);
    await cpu.release();
    await gpu.release();
    expect(openSessions().filter((s) => s.provider === "webgpu")).toHaveLength(0);
  });

  gpuTest("placement: every node of the step on WebGPU but the Loop's own control flow", async () => {
    const gpu = await trainerFor("webgpu");
    const loop = await gpu.placement("loop", 2);
    expect(loop.provider).toBe("webgpu");
    // Sum (no WebGPU kernel) is emitted as Adds for the GPU and the body carries the step counter as
    // a float; left on the CPU provider: the Loop node, its bool condition's Identity and the Cast of
    // the int64 step counter before the Loop (once per run)
    expect(loop.fellBack).toEqual({ Cast: 1, Identity: 1, Loop: 1 });
    expect(loop.byProvider.WebGpuExecutionProvider).toBe(loop.nodes - 3);
    const infer = await gpu.placement("infer");
    expect(infer.fellBack).toEqual({});
    expect(infer.copies).toBe(0);
    await gpu.release();
  });
});

describe("solve on WebGPU", () => {
  const solve = (ep: string) => {
    const out = join(dir, `sub-${ep}.json`);
    const r = runTtt([
      "solve",
      "fixtures/tasks/recolour-1-to-2.json",
      "-o",
      out,
      "--run-dir",
      join(dir, `run-${ep}`),
      "--family",
      "colour-map",
      "--ep",
      ep,
      "--steps",
      "40",
      "--workers",
      "1",
    ]);
    return { r, out, report: join(dir, `run-${ep}`, "report.json") };
  };

  gpuTest("--ep webgpu: the CPU's answers; the report names the provider each task used", () => {
    const gpu = solve("webgpu");
    expect(gpu.r.code).toBe(0);
    const cpu = solve("cpu");
    expect(cpu.r.code).toBe(0);
    expect(readFileSync(gpu.out, "utf8")).toBe(readFileSync(cpu.out, "utf8"));
    const tasks = JSON.parse(readFileSync(gpu.report, "utf8")).tasks as { provider?: string }[];
    expect(tasks.map((t) => t.provider)).toEqual(["webgpu"]);
  });
});

describe("auto", () => {
  test("takes WebGPU only on a hardware adapter", () => {
    const check = webgpuCheck();
    const planned = plannedProvider("auto");
    if (!check.hardware) expect(planned).not.toBe("webgpu");
    if (check.adapter?.software && !check.hardware) {
      expect(check.adapter.kind).toBe("cpu");
      expect(check.reason).toMatch(/^software adapter only: /);
    }
  });
});

describe("auto between WebGPU and the CPU: a measured probe per task", () => {
  gpuTest(
    "with a software adapter allowed (TTT_WEBGPU_SOFTWARE=1), the probe times both and keeps the faster",
    async () => {
      const before = process.env.TTT_WEBGPU_SOFTWARE;
      process.env.TTT_WEBGPU_SOFTWARE = "1";
      try {
        expect(plannedProvider("auto")).toBe("webgpu");
        const t = await trainerFor("auto");
        await t.prepare([{ kind: "loop", steps: 2 }, { kind: "infer" }]);
        const p = t.probed!;
        expect(p.ms.webgpu).toBeGreaterThan(0);
        expect(p.ms.cpu).toBeGreaterThan(0);
        expect(p.provider).toBe(p.ms.webgpu < p.ms.cpu ? "webgpu" : "cpu");
        expect(p.reason).toMatch(/^probe of loop:2: webgpu [\d.]+ ms, cpu [\d.]+ ms per run: (webgpu|cpu)$/);
        // every session of the task on the chosen provider, the other one released
        expect(await t.providers()).toEqual([p.provider]);
        expect(openSessions().map((s) => s.provider)).toEqual([p.provider, p.provider]);
        // the probe's runs left the state alone
        expect(t.steps).toBe(0);
        const losses = await t.step(2);
        expect(losses.every(Number.isFinite)).toBe(true);
        await t.release();
      } finally {
        if (before === undefined) delete process.env.TTT_WEBGPU_SOFTWARE;
        else process.env.TTT_WEBGPU_SOFTWARE = before;
      }
    },
  );
});

describe("device memory on WebGPU", () => {
  gpuTest("the worker count per device comes from the adapter's memory and the tasks' estimate", async () => {
    const adapter = webgpuCheck().adapter!;
    const tasks = [fixture("recolour-1-to-2"), fixture("transpose")];
    const family = await loadFamily(DEFAULT_FAMILY);
    const plan = await planDevices({ ep: "webgpu", seed: 0, family: DEFAULT_FAMILY, workers: 1 }, tasks, {
      family,
      cores: 64,
    });
    expect(plan).toBeDefined();
    expect(plan!.devices).toHaveLength(1);
    expect(plan!.devices[0]!.name).toBe(`${adapter.name} (WebGPU)`);
    expect(plan!.devices[0]!.memoryBytes).toBe(adapter.memoryBytes);
    const need = Math.max(
      ...tasks.map((t) => family.build(t, { seed: taskSeed(0, t.id) }).memoryEstimateBytes),
    );
    expect(plan!.capacity).toEqual([Math.max(1, Math.floor((0.9 * adapter.memoryBytes) / need))]);
    expect(plan!.note).toContain("on the WebGPU adapter");
  });
});

describe("ttt doctor and WebGPU", () => {
  gpuTest("lists the adapter, WebGPU available; --ep webgpu adds the node placement", () => {
    const j = runTtt(["doctor", "--json"]);
    expect(j.code).toBe(0);
    const d = JSON.parse(j.stdout);
    const p = d.providers.find((x: { name: string }) => x.name === "webgpu");
    expect(p).toMatchObject({ available: true, usedByTtt: true });
    const adapter = webgpuCheck().adapter!;
    expect(d.webgpu.adapters[0]).toMatchObject({ name: adapter.name, software: adapter.software });
    expect(d.webgpu.autoUses).toBe(plannedProvider("auto") === "webgpu");
    const t = runTtt(["doctor", "--ep", "webgpu"]);
    expect(t.code).toBe(0);
    const lines = t.stdout.split("\n");
    expect(lines.some((l) => l.startsWith(`vulkan      ${adapter.name} (`))).toBe(true);
    expect(t.stdout).toMatch(
      /^placement {3}training step \(Loop of 2\): (\d+) of \d+ nodes on WebGPU; on the CPU: Cast 1, Identity 1, Loop 1; \d+ cop(y|ies) between devices \(\d+ ms\)$/m,
    );
    expect(t.stdout).toMatch(
      /^placement {3}inference: (\d+) of \1 nodes on WebGPU; 0 copies between devices/m,
    );
  });

  test("without a Vulkan driver: WebGPU not available, and why", () => {
    const r = Bun.spawnSync([process.execPath, "src/cli/main.ts", "doctor"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, VK_ICD_FILENAMES: join(dir, "no-such-icd.json"), NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = r.stdout.toString();
    expect(r.exitCode).toBe(0);
    expect(out).toMatch(
      /^ {2}webgpu {4}not available: (no Vulkan loader|Vulkan loader found, but no Vulkan driver)/m,
    );
    expect(out).toMatch(/^vulkan {6}no adapter: /m);
    expect(out).toMatch(/^verdict {5}ok: ttt runs here on the CPU$/m);
  });

  test("--ep takes webgpu only", () => {
    const r = runTtt(["doctor", "--ep", "cuda"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('doctor --ep takes webgpu (node placement on WebGPU), got "cuda"');
  });
});
