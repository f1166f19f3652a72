// GPUs for the workers, tested with the driver's device list injected (no GPU is lent to this project):
// nvidia-smi's CSV, --devices against the driver and CUDA_VISIBLE_DEVICES, workers per device by memory,
// the spread of worker processes (and a replaced one taking its predecessor's device), the plan a solve
// makes, and `ttt doctor` listing the devices a fake nvidia-smi on PATH shows.
import { describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTasks } from "../src/arc/index.ts";
import { planDevices } from "../src/run/device-plan.ts";
import { OptionError } from "../src/util/units.ts";
import {
  DeviceSpreader,
  defaultDeviceWorkers,
  parseDeviceList,
  parseNvidiaSmi,
  selectDevices,
  workersPerDevice,
} from "../src/workers/devices.ts";
import { defaultWorkers } from "../src/workers/pool.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";
import { waitFor } from "./support/wait.ts";

const CSV = [
  "0, GPU-aaaa-0000, NVIDIA L4, 23034",
  "1, GPU-aaaa-0001, NVIDIA L4, 23034",
  "2, GPU-aaaa-0002, NVIDIA L4, 23034",
  "3, GPU-aaaa-0003, NVIDIA H100 80GB HBM3, 81559",
].join("\n");
const driver = parseNvidiaSmi(CSV);
const GiB = 2 ** 30;

describe("device list", () => {
  test("nvidia-smi's CSV", () => {
    expect(driver.map((d) => d.id)).toEqual(["0", "1", "2", "3"]);
    expect(driver[3]).toEqual({
      id: "3",
      index: 3,
      uuid: "GPU-aaaa-0003",
      name: "NVIDIA H100 80GB HBM3",
      memoryBytes: 81559 * 2 ** 20,
    });
  });

  test("default: every device; CUDA_VISIBLE_DEVICES limits it (indices or UUIDs; empty, -1, NoDevFiles: none)", () => {
    expect(selectDevices(driver, undefined, {}).map((d) => d.id)).toEqual(["0", "1", "2", "3"]);
    const bus = { CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
    const byBus = selectDevices(driver, undefined, { ...bus, CUDA_VISIBLE_DEVICES: "3,0" });
    expect(byBus.map((d) => [d.id, d.uuid, d.name])).toEqual([
      ["3", "GPU-aaaa-0003", "NVIDIA H100 80GB HBM3"],
      ["0", "GPU-aaaa-0000", "NVIDIA L4"],
    ]);
    expect(selectDevices(driver, undefined, { CUDA_VISIBLE_DEVICES: "GPU-aaaa-0003" })[0]!.name).toContain(
      "H100",
    );
    // Indices in CUDA's default order (fastest first) on a mixed machine: which card is not known here,
    // so each is used as CUDA names it, its memory unknown (one worker), never taken for nvidia-smi's.
    const fastestFirst = selectDevices(driver, undefined, { CUDA_VISIBLE_DEVICES: "3,0" });
    expect(fastestFirst.map((d) => [d.id, d.uuid, d.index, d.memoryBytes])).toEqual([
      ["3", null, null, null],
      ["0", null, null, null],
    ]);
    // One model only: both orders agree, so indices are nvidia-smi's.
    const l4s = driver.slice(0, 3);
    expect(selectDevices(l4s, undefined, { CUDA_VISIBLE_DEVICES: "2" })[0]!.uuid).toBe("GPU-aaaa-0002");
    for (const none of ["", "-1", "NoDevFiles"])
      expect(selectDevices(driver, undefined, { CUDA_VISIBLE_DEVICES: none })).toEqual([]);
  });

  test("--devices: a subset of what is visible, else a usage error naming the device", () => {
    expect(selectDevices(driver, parseDeviceList("1,3"), {}).map((d) => d.id)).toEqual(["1", "3"]);
    expect(() => selectDevices(driver, ["5"], {})).toThrow(
      "--devices: device 5 is not among the driver's devices (0, 1, 2, 3)",
    );
    expect(() => selectDevices(driver, ["1"], { CUDA_VISIBLE_DEVICES: "2,3" })).toThrow(
      "--devices: device 1 is not in CUDA_VISIBLE_DEVICES=2,3 (2, 3)",
    );
    expect(() => parseDeviceList("0,,1")).toThrow(OptionError);
    expect(() => parseDeviceList("0,0")).toThrow("--devices: device 0 is listed twice");
    expect(() => parseDeviceList("gpu0")).toThrow('"gpu0" is not a device index');
  });
});

describe("workers over devices", () => {
  test("as many per device as its memory holds (90%) for the largest task, at least one", () => {
    expect(workersPerDevice(driver, 4 * GiB)).toEqual([5, 5, 5, 17]);
    expect(workersPerDevice(driver, 40 * GiB)).toEqual([1, 1, 1, 1]);
    expect(workersPerDevice(driver, undefined)).toEqual([1, 1, 1, 1]);
    expect(defaultDeviceWorkers([5, 5, 5, 17], 16, 400)).toBe(16);
    expect(defaultDeviceWorkers([5, 5, 5, 17], 64, 400)).toBe(32);
    expect(defaultDeviceWorkers([5, 5, 5, 17], 64, 3)).toBe(3);
  });

  test("spread: each new worker on the device with most room; a replaced worker takes the freed place", () => {
    const four = driver.slice(0, 4);
    const s = new DeviceSpreader(four, [1, 1, 1, 3]);
    const taken = Array.from({ length: 6 }, () => s.take());
    expect(taken.map((d) => d.id)).toEqual(["0", "1", "2", "3", "3", "3"]);
    s.release(taken[1]!);
    expect(s.take().id).toBe("1");
    // Pinned by UUID, in the bus order: the card sized for is the card the worker's CUDA sees.
    expect(DeviceSpreader.envFor(four[3]!, { PATH: "/bin", CUDA_VISIBLE_DEVICES: "0,1,2,3" })).toEqual({
      PATH: "/bin",
      CUDA_VISIBLE_DEVICES: "GPU-aaaa-0003",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    });
    // No UUID from the driver: nvidia-smi's index, in nvidia-smi's (bus) order.
    const noUuid = parseNvidiaSmi("1, , NVIDIA L4, 23034")[0]!;
    expect(DeviceSpreader.envFor(noUuid, {})).toEqual({
      CUDA_VISIBLE_DEVICES: "1",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    });
    // Known only by the caller's index: the caller's order kept, so the index means the same card.
    const callers = selectDevices(driver, undefined, { CUDA_VISIBLE_DEVICES: "3" })[0]!;
    expect(DeviceSpreader.envFor(callers, { CUDA_VISIBLE_DEVICES: "3" })).toEqual({
      CUDA_VISIBLE_DEVICES: "3",
    });
    expect(
      DeviceSpreader.envFor(callers, { CUDA_VISIBLE_DEVICES: "3", CUDA_DEVICE_ORDER: "FASTEST_FIRST" }),
    ).toEqual({ CUDA_VISIBLE_DEVICES: "3", CUDA_DEVICE_ORDER: "FASTEST_FIRST" });
    const even = new DeviceSpreader(four, [2, 2, 2, 2]);
    expect(Array.from({ length: 8 }, () => even.take().id)).toEqual(["0", "1", "2", "3", "0", "1", "2", "3"]);
  });

  test("a solve's plan: none on --ep cpu, or on --ep auto without GPUs or CUDA provider; --workers kept when given", async () => {
    const { tasks } = await loadTasks(join(PROJECT_ROOT, "fixtures/tasks_challenges.json"));
    const given = { devices: driver, note: "fake" };
    const base = { ep: "auto", seed: 0, family: "colour-map", workers: 2 };
    const cuda = () => ({ present: true });
    expect(await planDevices({ ...base, ep: "cpu" }, tasks, { driver: () => given, cuda })).toBeUndefined();
    expect(
      await planDevices(base, tasks, { driver: () => ({ devices: [], note: "none" }), cuda }),
    ).toBeUndefined();
    // CUDA_VISIBLE_DEVICES set where --ep auto will run on the CPU: no GPU listed, or no CUDA provider.
    const env = { CUDA_VISIBLE_DEVICES: "0" };
    expect(
      await planDevices(base, tasks, { driver: () => ({ devices: [], note: "none" }), env, cuda }),
    ).toBeUndefined();
    expect(
      await planDevices(base, tasks, { driver: () => given, env, cuda: () => ({ present: false }) }),
    ).toBeUndefined();
    const plan = (await planDevices(base, tasks, { driver: () => given, env: {}, cores: 16, cuda }))!;
    expect(plan.capacity.every((c) => c >= 1)).toBe(true);
    expect(plan.workers).toBe(Math.min(16, tasks.length));
    expect(plan.note).toContain(
      "each pinned to one device (CUDA_VISIBLE_DEVICES: its UUID, CUDA_DEVICE_ORDER=PCI_BUS_ID)",
    );
    const fixed = (await planDevices({ ...base, explicitWorkers: true, devices: ["1", "2"] }, tasks, {
      driver: () => given,
      env: {},
      cuda,
    }))!;
    expect(fixed.workers).toBe(2);
    expect(fixed.devices.map((d) => d.id)).toEqual(["1", "2"]);
  });
});

function fakeNvidiaSmi(): string {
  const bin = mkdtempSync(join(tmpdir(), "ttt-fake-smi-"));
  const smi = join(bin, "nvidia-smi");
  writeFileSync(
    smi,
    `#!/bin/sh\ncase "$*" in *index,uuid*) cat <<'E'\n${CSV}\nE\n;; *) echo "NVIDIA L4, 23034, 22000, 550.54";; esac\n`,
  );
  chmodSync(smi, 0o755);
  return bin;
}

/**
 * A folder standing for an ONNX Runtime install whose CUDA provider libraries are there but do not
 * load (TTT_ORT_LIB_DIR): --ep auto then plans for the GPUs, and each worker's CUDA session fails
 * and falls back to the CPU, as on a GPU machine with a broken CUDA install.
 */
function brokenCudaProvider(): string {
  const dir = mkdtempSync(join(tmpdir(), "ttt-fake-ort-"));
  const someLib = [
    "/lib/x86_64-linux-gnu/libz.so.1",
    "/usr/lib/x86_64-linux-gnu/libz.so.1",
    "/lib64/libz.so.1",
  ].find((f) => existsSync(f));
  if (!someLib) throw new Error("no libz.so.1 to stand for the CUDA provider libraries");
  for (const f of ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"])
    copyFileSync(someLib, join(dir, f));
  return dir;
}

test("ttt solve --devices 1,3 on the mixed L4/H100 list: each worker sees its card by UUID, in the bus order", async () => {
  const bin = fakeNvidiaSmi();
  const ortDir = brokenCudaProvider();
  const dir = mkdtempSync(join(tmpdir(), "ttt-devices-"));
  const { CUDA_VISIBLE_DEVICES: _, ...env } = process.env as Record<string, string>;
  // One task stalls, so both workers are surely alive when they are looked at.
  const proc = Bun.spawn(
    [
      process.execPath,
      "src/cli/main.ts",
      "solve",
      "fixtures/tasks_challenges.json",
      "--family",
      "colour-map",
      "--steps",
      "50",
      "--ep",
      "auto",
      "--devices",
      "1,3",
      "--workers",
      "2",
      "--run-dir",
      join(dir, "run"),
      "-o",
      join(dir, "s.json"),
    ],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...env,
        PATH: `${bin}:${process.env.PATH}`,
        TTT_ORT_LIB_DIR: ortDir,
        TTT_INJECT_FAULT: "stall@transpose:10",
        NO_COLOR: "1",
      },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let pids: number[] = [];
  try {
    pids = await waitFor(
      () => {
        if (!existsSync(join(dir, "run/lock"))) return undefined;
        const lock = JSON.parse(readFileSync(join(dir, "run/lock"), "utf8"));
        const w = (lock.workers as { pid: number }[]).map((x) => x.pid);
        return w.length === 2 ? w : undefined;
      },
      { what: "two worker pids in the run's lock", timeoutMs: 60 * 1000 },
    );
    // What each worker process was started with (its environment as the kernel keeps it).
    const seen = pids.map((pid) =>
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter((kv) => /^CUDA_(VISIBLE_DEVICES|DEVICE_ORDER)=/.test(kv))
        .sort()
        .join(" "),
    );
    expect(seen.sort()).toEqual([
      "CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=GPU-aaaa-0001",
      "CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=GPU-aaaa-0003",
    ]);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(ortDir, { recursive: true, force: true });
  }
  expect(await new Response(proc.stderr).text()).toContain("devices 1 (NVIDIA L4, holds");
}, 90_000);

test("CUDA_VISIBLE_DEVICES where --ep auto runs on the CPU: the CPU's worker count; Slurm's NoDevFiles is no error", () => {
  // nvidia-smi as on a node whose driver finds no GPU.
  const bin = mkdtempSync(join(tmpdir(), "ttt-no-gpu-smi-"));
  writeFileSync(join(bin, "nvidia-smi"), "#!/bin/sh\necho 'No devices were found'\nexit 6\n");
  chmodSync(join(bin, "nvidia-smi"), 0o755);
  const root = mkdtempSync(join(tmpdir(), "ttt-no-gpu-"));
  const { CUDA_VISIBLE_DEVICES: _, ...env } = process.env as Record<string, string>;
  const solve = (name: string, cvd: string) => {
    const run = join(root, name);
    const r = Bun.spawnSync(
      [
        process.execPath,
        "src/cli/main.ts",
        "solve",
        "fixtures/tasks_challenges.json",
        "--family",
        "colour-map",
      ].concat([
        "--steps",
        "5",
        "--tasks",
        "transpose",
        "--ep",
        "auto",
        "--run-dir",
        run,
        "-o",
        `${run}.json`,
      ]),
      {
        cwd: PROJECT_ROOT,
        env: { ...env, NO_COLOR: "1", PATH: `${bin}:${process.env.PATH}`, CUDA_VISIBLE_DEVICES: cvd },
      },
    );
    return { code: r.exitCode, stderr: r.stderr.toString(), run };
  };
  try {
    const zero = solve("zero", "0");
    expect(zero.code).toBe(0);
    expect(JSON.parse(readFileSync(join(zero.run, "run.json"), "utf8")).settings.workers).toBe(
      defaultWorkers(),
    );
    expect(zero.stderr).not.toContain("pinned to one device");
    const slurm = solve("slurm", "NoDevFiles");
    expect(slurm.stderr).not.toContain("CUDA_VISIBLE_DEVICES");
    expect(slurm.code).toBe(0);
    expect(JSON.parse(readFileSync(join(slurm.run, "run.json"), "utf8")).settings.workers).toBe(
      defaultWorkers(),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  }
}, 60_000);

test("ttt doctor lists the devices (a fake nvidia-smi on PATH), within CUDA_VISIBLE_DEVICES", () => {
  const bin = fakeNvidiaSmi();
  const doctor = (env: Record<string, string>) =>
    Bun.spawnSync([process.execPath, "src/cli/main.ts", "doctor"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env, PATH: `${bin}:${process.env.PATH}` },
    }).stdout.toString();
  const { CUDA_VISIBLE_DEVICES: _, ...env } = process.env as Record<string, string>;
  const all = doctor(env)
    .split("\n")
    .find((l) => l.startsWith("devices"));
  expect(all).toContain(
    "0 NVIDIA L4 22.5 GiB, 1 NVIDIA L4 22.5 GiB, 2 NVIDIA L4 22.5 GiB, 3 NVIDIA H100 80GB HBM3 79.6 GiB",
  );
  const two = doctor({ CUDA_VISIBLE_DEVICES: "3,1", CUDA_DEVICE_ORDER: "PCI_BUS_ID" })
    .split("\n")
    .find((l) => l.startsWith("devices"));
  expect(two).toContain("3 NVIDIA H100 80GB HBM3 79.6 GiB, 1 NVIDIA L4 22.5 GiB (CUDA_VISIBLE_DEVICES=3,1)");
  // The same indices in CUDA's default order (fastest first): which cards they are is not known.
  const unsure = doctor({ CUDA_VISIBLE_DEVICES: "3,1" })
    .split("\n")
    .find((l) => l.startsWith("devices"));
  expect(unsure).toContain("3 ?, 1 ? (CUDA_VISIBLE_DEVICES=3,1");
  expect(unsure).toContain("set CUDA_DEVICE_ORDER=PCI_BUS_ID or name them by UUID");
  const none = doctor({ CUDA_VISIBLE_DEVICES: "NoDevFiles" })
    .split("\n")
    .find((l) => l.startsWith("devices"));
  expect(none).toContain("none for ttt solve --devices (CUDA_VISIBLE_DEVICES=NoDevFiles");
});
