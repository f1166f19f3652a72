// The GPUs a solve spreads its workers over (`--devices`, default every GPU the driver shows, limited
// by CUDA_VISIBLE_DEVICES), and the worker count they hold: each device as many workers as its memory
// takes for the largest task at hand (the family's memory estimate), unless --workers is given. On the
// CPU provider nothing changes: --ep cpu, or --ep auto where it will fall back to the CPU (the driver
// lists no GPU, or the CUDA provider library cannot be loaded), whatever CUDA_VISIBLE_DEVICES says.
// On WebGPU (--ep webgpu, or auto where it would take WebGPU) the device is the Vulkan adapter Dawn
// takes, with its device-local memory; Dawn chooses the adapter itself, so there is one.
// The driver's list and the CUDA check are parameters (tests).
import { availableParallelism } from "node:os";
import type { Task } from "../arc/index.ts";
import { taskSeed } from "../loop/plan.ts";
import { loadFamily } from "../models/registry.ts";
import type { ModelFamily } from "../models/task-model.ts";
import { cudaLibraryCheck, plannedProvider, webgpuCheck } from "../runtime/providers.ts";
import { formatSize } from "../util/units.ts";
import {
  type Device,
  DeviceSpreader,
  defaultDeviceWorkers,
  queryDriverDevices,
  selectDevices,
  unknownOrderNote,
  workersPerDevice,
} from "../workers/devices.ts";

export interface DevicePlan {
  devices: Device[];
  /** Workers each device holds. */
  capacity: number[];
  workers: number;
  spreader: DeviceSpreader;
  /** One line for the log: the devices, what each holds, and why. */
  note: string;
}

export interface DeviceSettings {
  ep: string;
  seed: number;
  family: string;
  workers: number;
  /** --workers was given (else the devices decide the count). */
  explicitWorkers?: boolean;
  /** --devices. */
  devices?: string[];
}

/** The largest memory estimate among the tasks (undefined when no model can be built). */
export function largestTaskBytes(
  tasks: readonly Task[],
  family: ModelFamily,
  seed: number,
): number | undefined {
  let most: number | undefined;
  for (const t of tasks) {
    try {
      const b = family.build(t, { seed: taskSeed(seed, t.id) }).memoryEstimateBytes;
      if (Number.isFinite(b) && (most === undefined || b > most)) most = b;
    } catch {
      // a task whose model cannot be built is failed by the planner; it needs no device
    }
  }
  return most;
}

/** Devices and worker count for a solve; undefined on the CPU provider or where no GPU is seen. */
export async function planDevices(
  s: DeviceSettings,
  tasks: readonly Task[],
  o: {
    family?: ModelFamily;
    driver?: () => { devices: Device[]; note: string };
    env?: Record<string, string | undefined>;
    cores?: number;
    /** Whether the CUDA provider library can be loaded (default: cudaLibraryCheck). */
    cuda?: () => { present: boolean };
  } = {},
): Promise<DevicePlan | undefined> {
  if (s.ep === "cpu") return undefined;
  const webgpu =
    !o.driver && (s.ep === "webgpu" || (s.ep === "auto" && plannedProvider("auto") === "webgpu"));
  const driver = (o.driver ?? (webgpu ? webgpuDevices : queryDriverDevices))();
  // --ep auto runs on the CPU without a GPU or without the CUDA provider: the CPU's worker count stands.
  if (!webgpu && s.ep === "auto" && (driver.devices.length === 0 || !(o.cuda ?? cudaLibraryCheck)().present))
    return undefined;
  const devices = webgpu ? driver.devices : selectDevices(driver.devices, s.devices, o.env ?? process.env);
  if (devices.length === 0) return undefined;
  let family = o.family;
  if (!family && tasks.length > 0) family = await loadFamily(s.family).catch(() => undefined);
  const need = family ? largestTaskBytes(tasks, family, s.seed) : undefined;
  const capacity = workersPerDevice(devices, need);
  const workers = s.explicitWorkers
    ? s.workers
    : defaultDeviceWorkers(capacity, o.cores ?? availableParallelism(), tasks.length);
  const each = devices.map((d, i) => `${d.id} (${d.name}, holds ${capacity[i]})`).join(", ");
  const unsure = webgpu ? undefined : unknownOrderNote(devices, driver.devices);
  const pinned = webgpu
    ? "on the WebGPU adapter"
    : "each pinned to one device (CUDA_VISIBLE_DEVICES: its UUID, CUDA_DEVICE_ORDER=PCI_BUS_ID)";
  const note = `devices ${each}${need !== undefined ? ` for tasks up to ${formatSize(need)}` : ""}: ${workers} worker${workers === 1 ? "" : "s"}, ${pinned}${unsure ? `; ${unsure}` : ""}`;
  return { devices, capacity, workers, spreader: new DeviceSpreader(devices, capacity), note };
}

/** The Vulkan adapter the WebGPU provider takes, as one device with its memory (none: why). */
export function webgpuDevices(): { devices: Device[]; note: string } {
  const c = webgpuCheck();
  if (!c.adapter) return { devices: [], note: c.reason };
  const a = c.adapter;
  return {
    devices: [
      {
        id: "0",
        index: 0,
        uuid: null,
        name: `${a.name} (WebGPU)`,
        memoryBytes: a.memoryBytes > 0 ? a.memoryBytes : null,
      },
    ],
    note: c.reason,
  };
}
