// GPUs for the workers (`--devices 0,1,2,3`): which devices ttt may use, how many workers each holds,
// and which device a new worker process gets. A worker is pinned to one device by starting it with
// CUDA_VISIBLE_DEVICES set to that device alone (its CUDA session then sees it as device 0), so nothing
// in the session code changes. Devices are named as the driver names them (nvidia-smi's index, or a
// GPU-... UUID), the same names CUDA_VISIBLE_DEVICES takes; when CUDA_VISIBLE_DEVICES is set (a Slurm
// GPU allocation, a container), only its devices are used and the default is all of them. The driver's
// list is a parameter, so the logic is tested with a list injected (no GPU is lent to this project).
import { OptionError } from "../util/units.ts";

export interface Device {
  /** The driver's name for it: "0", "1", ... or "GPU-<uuid>". */
  id: string;
  index: number | null;
  uuid: string | null;
  name: string;
  memoryBytes: number | null;
}

/** nvidia-smi's CSV (index, uuid, name, memory.total in MiB; no header, no units) as devices. */
export function parseNvidiaSmi(csv: string): Device[] {
  return csv
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, uuid, name, total] = line.split(",").map((s) => s.trim());
      const i = Number(index);
      const mib = Number(total);
      return {
        id: Number.isInteger(i) ? String(i) : (uuid ?? line),
        index: Number.isInteger(i) ? i : null,
        uuid: uuid || null,
        name: name || "?",
        memoryBytes: Number.isFinite(mib) && mib > 0 ? mib * 2 ** 20 : null,
      };
    });
}

/** The driver's devices from nvidia-smi; [] with a note when it is absent or fails. */
export function queryDriverDevices(): { devices: Device[]; note: string } {
  const exe = Bun.which("nvidia-smi");
  if (!exe) return { devices: [], note: "nvidia-smi not found" };
  const r = Bun.spawnSync(
    [exe, "--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits"],
    { stdout: "pipe", stderr: "pipe", timeout: 10_000 },
  );
  if (r.exitCode !== 0)
    return { devices: [], note: `nvidia-smi failed: ${r.stderr.toString().trim().split("\n")[0]}` };
  return { devices: parseNvidiaSmi(r.stdout.toString()), note: exe };
}

/** A comma-separated device list ("0,1,3" or UUIDs); OptionError for an empty or repeated entry. */
export function parseDeviceList(text: string, what = "--devices"): string[] {
  const ids = text.split(",").map((s) => s.trim());
  if (ids.length === 0 || ids.some((s) => s === ""))
    throw new OptionError(`${what} must list devices separated by commas, e.g. 0,1,2,3, got "${text}"`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (!/^(\d+|GPU-[0-9A-Za-z-]+|MIG-[0-9A-Za-z/-]+)$/.test(id))
      throw new OptionError(`${what}: "${id}" is not a device index or a GPU-/MIG- UUID`);
    if (seen.has(id)) throw new OptionError(`${what}: device ${id} is listed twice`);
    seen.add(id);
  }
  return ids;
}

const matches = (d: Device, id: string) => d.id === id || d.uuid === id || String(d.index) === id;

/**
 * The devices to use: `requested` (--devices) or else every device the driver shows; limited to
 * CUDA_VISIBLE_DEVICES when it is set ("" or -1: none). OptionError for a device not there.
 */
export function selectDevices(
  driver: readonly Device[],
  requested: readonly string[] | undefined,
  env: Record<string, string | undefined> = process.env,
): Device[] {
  const cvd = env.CUDA_VISIBLE_DEVICES;
  let visible = [...driver];
  if (cvd !== undefined) {
    const ids =
      cvd.trim() === "" || cvd.trim().startsWith("-1") ? [] : parseDeviceList(cvd, "CUDA_VISIBLE_DEVICES");
    visible = ids.map((id) => {
      const d = driver.find((x) => matches(x, id));
      // A device the driver does not list (nvidia-smi missing, say) is still usable by name.
      return (
        d ?? { id, index: /^\d+$/.test(id) ? Number(id) : null, uuid: null, name: "?", memoryBytes: null }
      );
    });
  }
  if (requested === undefined) return visible;
  return requested.map((id) => {
    const d = visible.find((x) => matches(x, id));
    if (!d)
      throw new OptionError(
        `--devices: device ${id} is not ${cvd !== undefined ? `in CUDA_VISIBLE_DEVICES=${cvd}` : "among the driver's devices"} (${visible.map((x) => x.id).join(", ") || "none"})`,
      );
    return d;
  });
}

/** Share of a device's memory workers may fill (the rest: CUDA context, fragmentation). */
export const DEVICE_MEMORY_SHARE = 0.9;

/**
 * Workers each device holds for tasks needing up to `taskBytes` each: as many as fit in its memory
 * (at least 1; 1 when its memory or the need is unknown).
 */
export function workersPerDevice(devices: readonly Device[], taskBytes: number | undefined): number[] {
  return devices.map((d) =>
    d.memoryBytes === null || !taskBytes || !(taskBytes > 0)
      ? 1
      : Math.max(1, Math.floor((DEVICE_MEMORY_SHARE * d.memoryBytes) / taskBytes)),
  );
}

/**
 * Hands each new worker process the device with the most room left (live workers against what it
 * holds; ties: the earlier device), so `n` workers spread evenly and a replaced worker takes its
 * predecessor's place.
 */
export class DeviceSpreader {
  private readonly live: number[];

  constructor(
    readonly devices: readonly Device[],
    private readonly capacity: readonly number[],
  ) {
    if (devices.length === 0) throw new Error("DeviceSpreader: no devices");
    this.live = devices.map(() => 0);
  }

  /** The device for a worker being started (counted as live until `release`). */
  take(): Device {
    let best = 0;
    for (let i = 1; i < this.devices.length; i++)
      if (this.live[i]! / this.capacity[i]! < this.live[best]! / this.capacity[best]!) best = i;
    this.live[best]!++;
    return this.devices[best]!;
  }

  release(d: Device): void {
    const i = this.devices.indexOf(d);
    if (i >= 0 && this.live[i]! > 0) this.live[i]!--;
  }

  /** The environment a worker on `d` is started with. */
  static envFor(d: Device, env: Record<string, string | undefined>): Record<string, string | undefined> {
    return { ...env, CUDA_VISIBLE_DEVICES: d.id };
  }
}

/** Default worker count over the devices: what they hold, at most one per CPU core and one per task. */
export function defaultDeviceWorkers(capacity: readonly number[], cores: number, tasks: number): number {
  const total = capacity.reduce((a, b) => a + b, 0);
  return Math.max(1, Math.min(total, cores, Math.max(1, tasks)));
}
