// The WebGPU part of `ttt doctor`: the Vulkan adapters (name, vendor, kind, software or hardware,
// device memory), whether "auto" would take WebGPU and why (not), and with `--ep webgpu` where ORT
// places the nodes of the default family's training step and inference graph for a small built-in
// task ("N of M nodes on WebGPU"): one profiled run of each on the WebGPU provider.
import type { Placement } from "../runtime/placement.ts";
import type { VulkanAdapter } from "../runtime/vulkan.ts";

export interface WebgpuReport {
  adapters: VulkanAdapter[];
  /** Why there is no adapter, or "". */
  note: string;
  /** Whether `--ep auto` would train on WebGPU here (a hardware adapter, no working CUDA first). */
  autoUses: boolean;
  /** Why auto does or does not take WebGPU. */
  autoReason: string;
  /** With --ep webgpu: the default family's graphs for a built-in 3x3 task. */
  placement: { graph: string; placement: Placement; ms: number }[] | null;
  placementError: string | null;
}

/** A 3x3 recolouring task (the step's node count hardly depends on the grid size). */
const TASK = {
  train: [
    {
      input: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      output: [
        [2, 0, 0],
        [0, 2, 0],
        [0, 0, 2],
      ],
    },
    {
      input: [
        [0, 1, 1],
        [0, 0, 0],
        [1, 0, 0],
      ],
      output: [
        [0, 2, 2],
        [0, 0, 0],
        [2, 0, 0],
      ],
    },
  ],
  test: [
    {
      input: [
        [1, 1, 0],
        [0, 0, 1],
        [0, 1, 0],
      ],
    },
  ],
};

export async function webgpuReport(withPlacement: boolean): Promise<WebgpuReport> {
  const { vulkanAdapters } = await import("../runtime/vulkan.ts");
  const { plannedProvider, webgpuCheck } = await import("../runtime/providers.ts");
  const v = vulkanAdapters();
  const check = webgpuCheck();
  const planned = plannedProvider("auto");
  const autoReason =
    planned === "webgpu"
      ? `auto trains on WebGPU: ${check.reason}`
      : planned === "cuda"
        ? "auto tries CUDA first (its provider library is here)"
        : check.hardware
          ? `auto does not take WebGPU: it failed in this process`
          : check.adapterFound
            ? `auto does not take WebGPU: a software adapter only (slower than the CPU provider; --ep webgpu uses it)`
            : `auto does not take WebGPU: ${check.reason}`;
  const report: WebgpuReport = {
    adapters: v.adapters,
    note: v.note,
    autoUses: planned === "webgpu",
    autoReason,
    placement: null,
    placementError: null,
  };
  if (withPlacement) {
    try {
      report.placement = await placements();
    } catch (e) {
      report.placementError = (e as Error).message.split("\n")[0]!;
    }
  }
  return report;
}

async function placements(): Promise<NonNullable<WebgpuReport["placement"]>> {
  const { taskFromJson } = await import("../arc/task.ts");
  const { DEFAULT_FAMILY, loadFamily } = await import("../models/registry.ts");
  const { Trainer } = await import("../train/trainer.ts");
  const { optimOf } = await import("../loop/trainer.ts");
  const family = await loadFamily(DEFAULT_FAMILY);
  const model = family.build(taskFromJson("doctor-3x3", TASK), { seed: 0 });
  const trainer = await Trainer.create(model.spec, {
    optim: optimOf(model, 1),
    seed: 0,
    cacheDir: false,
    session: { ep: "webgpu", intraOpThreads: 1, interOpThreads: 1, label: "doctor:webgpu" },
  });
  try {
    trainer.setBatch(Object.fromEntries(Object.entries(model.fixed).map(([k, f]) => [k, f.data])));
    const out: NonNullable<WebgpuReport["placement"]> = [];
    for (const [graph, kind, steps] of [
      ["training step (Loop of 2)", "loop", 2],
      ["inference", "infer", 1],
    ] as const) {
      const started = performance.now();
      const placement = await trainer.placement(kind, steps);
      out.push({ graph, placement, ms: Math.round(performance.now() - started) });
    }
    return out;
  } finally {
    await trainer.release();
  }
}

/** Text lines for `ttt doctor`. */
export async function formatWebgpu(r: WebgpuReport): Promise<string[]> {
  const { describeAdapter } = await import("../runtime/vulkan.ts");
  const { describePlacement } = await import("../runtime/placement.ts");
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(12)}${v}`);
  if (r.adapters.length === 0) row("vulkan", `no adapter: ${r.note}`);
  for (const a of r.adapters) row("vulkan", describeAdapter(a));
  row("", r.autoReason);
  if (r.placement)
    for (const p of r.placement)
      row("placement", `${p.graph}: ${describePlacement(p.placement)} (${p.ms} ms)`);
  if (r.placementError) row("placement", `cannot measure: ${r.placementError}`);
  return lines;
}
