// A small binary file of named float arrays (a checkpoint's parameters, optimizer moments, output EMA
// and loss history): "TTTB", a format number, a JSON header (name, dtype, length, offset per array),
// then the raw data, each array 8-byte aligned. Little-endian, as every platform ttt runs on.
// Values round-trip bit for bit (NaN payloads included).

export type FloatData = Float32Array | Float64Array;

const MAGIC = 0x42545454; // "TTTB" read as a little-endian uint32
const FORMAT = 1;

interface HeaderEntry {
  name: string;
  dtype: "float32" | "float64";
  length: number;
  offset: number;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Encode named arrays (in the given order) into one buffer. */
export function encodeTensors(arrays: Record<string, FloatData>): Uint8Array {
  const entries: HeaderEntry[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    entries.push({
      name,
      dtype: a instanceof Float64Array ? "float64" : "float32",
      length: a.length,
      offset,
    });
    offset = align8(offset + a.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify(entries));
  const dataStart = align8(12 + header.length);
  const out = new Uint8Array(dataStart + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT, true);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  for (const e of entries) {
    const a = arrays[e.name]!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dataStart + e.offset);
  }
  return out;
}

/** Decode a buffer made by encodeTensors; throws a plain message when it is not one (or is cut short). */
export function decodeTensors(bytes: Uint8Array): Record<string, FloatData> {
  if (bytes.length < 12) throw new Error(`${bytes.length} bytes, too short for a tensor file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error("not a ttt tensor file (bad magic number)");
  const format = view.getUint32(4, true);
  if (format !== FORMAT) throw new Error(`tensor file format ${format}, this ttt reads ${FORMAT}`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new Error("tensor file header cut short");
  let entries: HeaderEntry[];
  try {
    entries = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    throw new Error("tensor file header is not valid JSON");
  }
  const dataStart = align8(12 + headerLength);
  const out: Record<string, FloatData> = {};
  for (const e of entries) {
    const size = e.dtype === "float64" ? 8 : 4;
    const start = dataStart + e.offset;
    if (!Number.isInteger(e.length) || e.length < 0 || start + e.length * size > bytes.length)
      throw new Error(`tensor ${e.name}: data cut short`);
    // Copied into fresh, aligned storage (a file's Buffer may be a view into a larger pool).
    const raw = new Uint8Array(e.length * size);
    raw.set(bytes.subarray(start, start + e.length * size));
    out[e.name] = e.dtype === "float64" ? new Float64Array(raw.buffer) : new Float32Array(raw.buffer);
  }
  return out;
}
