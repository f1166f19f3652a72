// `ttt doctor` from source (the compiled binary's doctor is in binary.test.ts): JSON and text reports,
// the CPU proven by a session that ran, CUDA with a reason when it cannot be used, exit codes.
import { describe, expect, test } from "bun:test";
import { formatReport, type DoctorReport } from "../src/cli/doctor.ts";
import { runTtt } from "./helpers/cli.ts";
import { literal, ORT_VERSION, TTT_VERSION } from "./support/versions.ts";

describe("ttt doctor", () => {
  test("--json: versions, providers (CPU ran a session; CUDA available or why not), threads, cache, memory, disk", () => {
    const r = runTtt(["doctor", "--json"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DoctorReport;
    expect(d.ok).toBe(true);
    expect(d.ttt).toMatchObject({
      version: TTT_VERSION,
      compiled: false,
      platform: `${process.platform}-${process.arch}`,
    });
    expect(d.onnxruntime.version).toBe(ORT_VERSION);
    const cpu = d.providers.find((p) => p.name === "cpu")!;
    expect(cpu).toMatchObject({ available: true, usedByTtt: true });
    expect(cpu.ms).toBeGreaterThan(0);
    const cuda = d.providers.find((p) => p.name === "cuda")!;
    expect(cuda.usedByTtt).toBe(true);
    if (!cuda.available) expect(cuda.reason).toMatch(/CUDA provider/);
    expect(d.threads.logical).toBeGreaterThan(0);
    expect(d.threads.solveThreadsPerWorker).toBe(1);
    expect(d.memory.totalBytes).toBeGreaterThan(d.memory.availableBytes * 0.5);
    expect(d.disk.length).toBeGreaterThan(0);
    expect(typeof d.cache.graphs).toBe("string");
    expect(d.cache.native).toBeNull(); // from source nothing is extracted
  }, 60_000);

  test("text: one line per fact, a verdict last", () => {
    const r = runTtt(["doctor"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^ttt\\s+${literal(TTT_VERSION)} \\(from source`));
    expect(lines[1]).toMatch(new RegExp(`^onnxruntime\\s+${literal(ORT_VERSION)}`));
    expect(lines.some((l) => /^ {2}cpu\s+available \(tiny session [\d.]+ ms\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}cuda\s+(available|not available: .+)$/.test(l))).toBe(true);
    for (const key of ["gpu", "threads", "cache", "memory", "disk"])
      expect(lines.some((l) => l.startsWith(key))).toBe(true);
    expect(lines.at(-1)).toMatch(/^verdict\s+ok: ttt runs here on /);
  }, 60_000);

  test("arguments are bad usage (exit 2); doctor is listed in the help", () => {
    const r = runTtt(["doctor", "extra"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("doctor takes no arguments");
    expect(runTtt(["--help"]).stdout).toContain("doctor");
  });

  test("a report without a working CPU session reads as a failure, with the reason", () => {
    const report: DoctorReport = {
      ok: false,
      ttt: {
        version: TTT_VERSION,
        bun: Bun.version,
        executable: "/x/ttt",
        compiled: true,
        platform: "linux-x64",
      },
      onnxruntime: { version: ORT_VERSION, libraryDir: null },
      providers: [
        {
          name: "cpu",
          available: false,
          usedByTtt: true,
          reason: "ONNX Runtime cannot load: libonnxruntime.so.1: cannot open shared object file",
        },
        {
          name: "cuda",
          available: false,
          usedByTtt: true,
          reason: "CUDA provider library libonnxruntime_providers_cuda.so not found in /c",
        },
      ],
      webgpu: null,
      cuda: {
        gpus: [{ name: "NVIDIA H100", memoryTotalMiB: 81559, memoryFreeMiB: 80000, driver: "550.54" }],
        nvidiaSmi: "/usr/bin/nvidia-smi",
        providerDir: "/c",
        missingLibraries: ["libonnxruntime_providers_cuda.so"],
        missingDependencies: [],
        providersDirEnv: null,
        devices: [{ id: "0", name: "NVIDIA H100", memoryBytes: 81559 * 2 ** 20 }],
        devicesNote: "",
      },
      threads: {
        logical: 16,
        physical: 8,
        cgroupCpus: null,
        model: "CPU",
        ortIntraOpDefault: "one per physical core",
        solveWorkers: 8,
        solveThreadsPerWorker: 1,
      },
      cache: {
        root: "/h/.cache/ttt",
        source: "HOME",
        graphs: null,
        graphCode: null,
        graphUsage: null,
        native: null,
        notes: ["cache: TTT_CACHE_DIR /ro not usable (EROFS); using /h/.cache/ttt"],
      },
      memory: { totalBytes: 2 ** 34, availableBytes: 2 ** 33, cgroupLimitBytes: null },
      disk: [],
    };
    const text = formatReport(report).join("\n");
    expect(text).toContain("cpu       not available: ONNX Runtime cannot load: libonnxruntime.so.1");
    expect(text).toContain("gpu         NVIDIA H100, 80000 of 81559 MiB free, driver 550.54");
    expect(text).toContain("devices     0 NVIDIA H100 79.6 GiB; ttt solve spreads its workers over them");
    expect(text).toContain("note: cache: TTT_CACHE_DIR /ro not usable");
    expect(text.split("\n").at(-1)).toBe("verdict     ONNX Runtime cannot run a session on the CPU here");
  });
});
