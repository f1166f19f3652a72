// The Vulkan adapters this machine offers, asked of the Vulkan loader itself (bun:ffi): ONNX Runtime's
// WebGPU provider runs on Dawn over Vulkan and reports nothing about its adapter, so `ttt doctor`, the
// "auto" provider choice and the per-device memory figure read the same list Dawn starts from: name,
// vendor, driver, kind (discrete, integrated, virtual, CPU), device-local memory and the per-shader
// storage-buffer limit. A CPU-type device (lavapipe, llvmpipe, SwiftShader) is a software adapter.
// Read once per process; every failure becomes a reason line (no loader, no driver, no adapter).
import { dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi";

export interface VulkanAdapter {
  name: string;
  vendor: string;
  vendorId: number;
  deviceId: number;
  /** discrete, integrated, virtual, cpu or other (VkPhysicalDeviceType). */
  kind: "discrete" | "integrated" | "virtual" | "cpu" | "other";
  /** A software rasteriser (CPU device type, or a known software driver's name). */
  software: boolean;
  /** Vulkan API version the driver offers, "1.3.289". */
  apiVersion: string;
  /** The driver's name and version ("llvmpipe", "Mesa 25.0.7 (LLVM 15.0.6)"; Vulkan 1.2 drivers), else null. */
  driver: string | null;
  /** Bytes of the largest device-local memory heap (the GPU's memory; host memory for a software one). */
  memoryBytes: number;
  /** maxPerStageDescriptorStorageBuffers: storage buffers one shader may bind. */
  maxStorageBuffersPerStage: number;
}

export interface VulkanReport {
  adapters: VulkanAdapter[];
  /** Why the list is empty (or what was found where it is not). */
  note: string;
}

const VENDORS: Record<number, string> = {
  4318: "NVIDIA",
  4098: "AMD",
  4130: "AMD",
  32902: "Intel",
  5045: "ARM",
  20803: "Qualcomm",
  4203: "Apple",
  6880: "Google",
  65541: "Mesa",
};
const KINDS = ["other", "integrated", "discrete", "virtual", "cpu"] as const;
const SOFTWARE_NAME = /llvmpipe|lavapipe|swiftshader/i;

const VK_SUCCESS = 0;
const VK_INCOMPLETE = 5;
const VK_ERROR_INCOMPATIBLE_DRIVER = -9;
const MEMORY_HEAP_DEVICE_LOCAL = 1;
// Offsets on 64-bit Linux (vulkan_core.h).
const PROPS_SIZE = 1024; // VkPhysicalDeviceProperties is 824 bytes
const MEMPROPS_SIZE = 520;
const LIMITS = 296;

let cached: VulkanReport | null = null;

/** The adapters the Vulkan loader lists (cached; `fresh` asks again). */
export function vulkanAdapters(fresh = false): VulkanReport {
  if (!cached || fresh) cached = enumerate();
  return cached;
}

function version(v: number): string {
  return `${v >>> 22}.${(v >>> 12) & 0x3ff}.${v & 0xfff}`;
}

function enumerate(): VulkanReport {
  if (process.platform !== "linux") return { adapters: [], note: `Vulkan is only looked up on linux` };
  let lib: ReturnType<typeof openLoader>;
  try {
    lib = openLoader();
  } catch (e) {
    const why = (e as Error).message.split("\n")[0]!;
    return {
      adapters: [],
      note: /cannot open shared object file|No such file/.test(why)
        ? "no Vulkan loader (libvulkan.so.1 not found; Debian: libvulkan1)"
        : `no Vulkan loader (libvulkan.so.1: ${why}; Debian: libvulkan1)`,
    };
  }
  const s = lib.symbols;
  try {
    const app = new BigUint64Array(6); // VkApplicationInfo, 48 bytes: asks for Vulkan 1.2 (driver properties)
    new Uint32Array(app.buffer)[11] = (1 << 22) | (2 << 12);
    const info = new BigUint64Array(8); // VkInstanceCreateInfo, 64 bytes
    new Uint32Array(info.buffer)[0] = 1; // VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
    info[3] = BigInt(ptr(app));
    const handle = new BigUint64Array(1);
    const rc = s.vkCreateInstance(ptr(info), null, ptr(handle));
    if (rc !== VK_SUCCESS)
      return {
        adapters: [],
        note:
          rc === VK_ERROR_INCOMPATIBLE_DRIVER
            ? "Vulkan loader found, but no Vulkan driver (ICD) answers (VK_ERROR_INCOMPATIBLE_DRIVER; Mesa's lavapipe: mesa-vulkan-drivers; NVIDIA: its driver's ICD file, VK_ICD_FILENAMES)"
            : `vkCreateInstance failed (VkResult ${rc})`,
      };
    const instance = Number(handle[0]) as Pointer;
    try {
      const count = new Uint32Array(1);
      let r = s.vkEnumeratePhysicalDevices(instance, ptr(count), null);
      if (r !== VK_SUCCESS)
        return { adapters: [], note: `vkEnumeratePhysicalDevices failed (VkResult ${r})` };
      if (count[0] === 0) return { adapters: [], note: "Vulkan driver(s) found, but no adapter" };
      const devices = new BigUint64Array(count[0]!);
      r = s.vkEnumeratePhysicalDevices(instance, ptr(count), ptr(devices));
      if (r !== VK_SUCCESS && r !== VK_INCOMPLETE)
        return { adapters: [], note: `vkEnumeratePhysicalDevices failed (VkResult ${r})` };
      const adapters: VulkanAdapter[] = [];
      for (let i = 0; i < count[0]!; i++) {
        const dev = Number(devices[i]) as Pointer;
        const props = new Uint8Array(PROPS_SIZE);
        s.vkGetPhysicalDeviceProperties(dev, ptr(props));
        const mem = new Uint8Array(MEMPROPS_SIZE);
        s.vkGetPhysicalDeviceMemoryProperties(dev, ptr(mem));
        const a = adapterFrom(props, mem);
        if (read.u32(ptr(props), 0) >= ((1 << 22) | (2 << 12))) a.driver = driverOf(s, dev);
        adapters.push(a);
      }
      return { adapters, note: "" };
    } finally {
      s.vkDestroyInstance(instance, null);
    }
  } catch (e) {
    return { adapters: [], note: `Vulkan query failed: ${(e as Error).message.split("\n")[0]}` };
  } finally {
    lib.close();
  }
}

function openLoader() {
  return dlopen("libvulkan.so.1", {
    vkCreateInstance: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    vkDestroyInstance: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.void },
    vkEnumeratePhysicalDevices: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    vkGetPhysicalDeviceProperties: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.void },
    vkGetPhysicalDeviceMemoryProperties: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.void },
    vkGetPhysicalDeviceProperties2: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.void },
  });
}

const cString = (b: Uint8Array) => {
  const end = b.indexOf(0);
  return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
};

/** VkPhysicalDeviceDriverProperties through vkGetPhysicalDeviceProperties2 (Vulkan 1.2). */
function driverOf(s: ReturnType<typeof openLoader>["symbols"], dev: Pointer): string | null {
  const driver = new Uint8Array(16 + 4 + 256 + 256 + 4 + 8);
  new Uint32Array(driver.buffer, 0, 1)[0] = 1000196000; // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES
  const props2 = new Uint8Array(16 + PROPS_SIZE);
  new Uint32Array(props2.buffer, 0, 1)[0] = 1000059001; // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
  new BigUint64Array(props2.buffer, 8, 1)[0] = BigInt(ptr(driver));
  s.vkGetPhysicalDeviceProperties2(dev, ptr(props2));
  const name = cString(driver.subarray(20, 276));
  const info = cString(driver.subarray(276, 532));
  return name ? `${name}${info ? ` ${info}` : ""}` : null;
}

function adapterFrom(props: Uint8Array, mem: Uint8Array): VulkanAdapter {
  const p = ptr(props);
  const nameBytes = props.subarray(20, 20 + 256);
  const end = nameBytes.indexOf(0);
  const name = new TextDecoder().decode(nameBytes.subarray(0, end < 0 ? 256 : end));
  const vendorId = read.u32(p, 8);
  const typeCode = read.u32(p, 16);
  const kind = KINDS[typeCode] ?? "other";
  const m = ptr(mem);
  const heaps = read.u32(m, 260);
  let memoryBytes = 0;
  for (let h = 0; h < Math.min(heaps, 16); h++) {
    const size = Number(read.u64(m, 264 + 16 * h));
    const flags = read.u32(m, 264 + 16 * h + 8);
    if (flags & MEMORY_HEAP_DEVICE_LOCAL) memoryBytes = Math.max(memoryBytes, size);
  }
  return {
    name,
    vendor: VENDORS[vendorId] ?? `0x${vendorId.toString(16)}`,
    vendorId,
    deviceId: read.u32(p, 12),
    kind,
    software: kind === "cpu" || SOFTWARE_NAME.test(name),
    apiVersion: version(read.u32(p, 0)),
    driver: null,
    memoryBytes,
    maxStorageBuffersPerStage: read.u32(p, LIMITS + 76),
  };
}

/** One line per adapter for messages and `ttt doctor`. */
export function describeAdapter(a: VulkanAdapter): string {
  const gib = (a.memoryBytes / 2 ** 30).toFixed(1);
  return `${a.name} (${a.vendor}, ${a.kind}${a.software ? ", software" : ", hardware"}, Vulkan ${a.apiVersion}${a.driver ? `, driver ${a.driver}` : ""}, ${gib} GiB device memory, device 0x${a.deviceId.toString(16)})`;
}
