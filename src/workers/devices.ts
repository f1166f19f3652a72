// GPUs for the workers (`--devices 0,1,2,3`): which devices ttt may use, how many workers each holds,
// and which device a new worker process gets. A worker is pinned to one device by starting it with
// CUDA_VISIBLE_DEVICES set to that device alone (its CUDA session then sees it as device 0), so nothing
// in the session code changes. The pin names the device by its UUID, which means one device whatever
// the order: CUDA numbers devices fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, while nvidia-smi's
// index is the PCI bus order, so on a mixed machine index 0 may be another card for CUDA than for
// nvidia-smi. Where no UUID is known the pin is nvidia-smi's index with CUDA_DEVICE_ORDER=PCI_BUS_ID.
// --devices takes nvidia-smi's indices or UUIDs. CUDA_VISIBLE_DEVICES (a Slurm GPU allocation, a
// container) limits the devices; its indices are CUDA's, read in CUDA_DEVICE_ORDER: with PCI_BUS_ID,
// or where every device is the same model (both orders agree), they are nvidia-smi's; otherwise which
// card an index means is not known here, so the device is used as CUDA names it (pinned by that index
// in the caller's order), its memory unknown. "NoDevFiles" (Slurm on a node without GPUs), "" and -1
// mean none. The driver's list is a parameter, so the logic is tested with a list injected.
import { OptionError } from "../util/units.ts";

export interface Device {
  /** The driver's name for it: "0", "1", ... or "GPU-<uuid>" (or the name CUDA_VISIBLE_DEVICES gave it). */
  id: string;
  /** nvidia-smi's index (PCI bus order); null when the driver does not list it. */
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

/** CUDA_VISIBLE_DEVICES values that mean no device: unset-like "", -1, and Slurm's "NoDevFiles". */
export function visibleNone(cvd: string): boolean {
  const v = cvd.trim();
  return v === "" || v.startsWith("-1") || v === "NoDevFiles";
}

/** Whether CUDA's index order (CUDA_DEVICE_ORDER) is surely nvidia-smi's for these devices. */
function busOrder(driver: readonly Device[], env: Record<string, string | undefined>): boolean {
  if (env.CUDA_DEVICE_ORDER === "PCI_BUS_ID") return true;
  // Fastest first among devices of one model is the bus order.
  return driver.every((d) => d.name === driver[0]?.name && d.memoryBytes === driver[0]?.memoryBytes);
}

/**
 * The devices to use: `requested` (--devices) or else every device the driver shows; limited to
 * CUDA_VISIBLE_DEVICES when it is set ("", -1, NoDevFiles: none). OptionError for a device not there.
 */
export function selectDevices(
  driver: readonly Device[],
  requested: readonly string[] | undefined,
  env: Record<string, string | undefined> = process.env,
): Device[] {
  const cvd = env.CUDA_VISIBLE_DEVICES;
  let visible = [...driver];
  if (cvd !== undefined) {
    const ids = visibleNone(cvd) ? [] : parseDeviceList(cvd, "CUDA_VISIBLE_DEVICES");
    const byBus = busOrder(driver, env);
    visible = ids.map((id) => {
      const d = /^\d+$/.test(id)
        ? byBus
          ? driver.find((x) => x.index === Number(id))
          : undefined
        : driver.find((x) => x.uuid === id);
      // A device the driver does not list (nvidia-smi missing, say), or an index whose card is not
      // known (a mixed machine in CUDA's fastest-first order), is still usable as CUDA names it.
      return d ?? { id, index: null, uuid: null, name: "?", memoryBytes: null };
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

/**
 * A warning when some of `selected` are CUDA_VISIBLE_DEVICES indices whose cards the driver's list
 * cannot tell (a mixed machine in CUDA's fastest-first order); undefined otherwise.
 */
export function unknownOrderNote(selected: readonly Device[], driver: readonly Device[]): string | undefined {
  const unsure = selected.filter((d) => d.index === null && d.uuid === null && /^\d+$/.test(d.id));
  if (unsure.length === 0 || driver.length === 0) return undefined;
  return `CUDA_VISIBLE_DEVICES index ${unsure.map((d) => d.id).join(", ")} in CUDA's order (fastest first) on a machine of mixed GPUs: which card is not known, so its memory is not counted (one worker each); set CUDA_DEVICE_ORDER=PCI_BUS_ID or name them by UUID`;
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

  /**
   * The environment a worker on `d` is started with: CUDA_VISIBLE_DEVICES its UUID (else nvidia-smi's
   * index) with CUDA_DEVICE_ORDER=PCI_BUS_ID; a device known only by the caller's CUDA_VISIBLE_DEVICES
   * index keeps the caller's CUDA_DEVICE_ORDER, so the index means what it meant there.
   */
  static envFor(d: Device, env: Record<string, string | undefined>): Record<string, string | undefined> {
    if (d.uuid !== null) return { ...env, CUDA_VISIBLE_DEVICES: d.uuid, CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
    if (d.index !== null)
      return { ...env, CUDA_VISIBLE_DEVICES: String(d.index), CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
    return { ...env, CUDA_VISIBLE_DEVICES: d.id };
  }
}

/** Default worker count over the devices: what they hold, at most one per CPU core and one per task. */
export function defaultDeviceWorkers(capacity: readonly number[], cores: number, tasks: number): number {
  const total = capacity.reduce((a, b) => a + b, 0);
  return Math.max(1, Math.min(total, cores, Math.max(1, tasks)));
}
