// A prior file: "TTTP" (little-endian uint32), the format number, the header's length, the header
// (JSON: family, config key, the weights' names, shapes and offsets, the sha256 of the weight bytes,
// what it was learned from and with which settings), zero padding to 8 bytes, then every weight as
// float32, little-endian. Reading checks the magic, the format, the header against its schema, the
// length and the sha256; every error names the file.
import { readFileSync } from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import { type Prior, type PriorWeight, sortedWeights } from "../models/prior.ts";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { sha256 } from "../util/hash.ts";
import { checkPriorHeader, PRIOR_FORMAT, type PriorHeader } from "./formats/index.ts";

const MAGIC = 0x50545454; // "TTTP" read as a little-endian uint32
const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** What the header says besides the weights' layout and checksum. */
export type PriorMeta = Omit<
  PriorHeader,
  "format" | "tool" | "version" | "family" | "configKey" | "sha256" | "weights"
>;

export interface PriorFile {
  prior: Prior;
  header: PriorHeader;
  /** sha256 of the whole file (what a run records). */
  fileSha256: string;
  bytes: number;
}

/** The file's bytes. */
export function encodePrior(prior: Prior, meta: PriorMeta): Uint8Array {
  const weights: PriorHeader["weights"] = [];
  let offset = 0;
  for (const [name, w] of sortedWeights(prior.weights)) {
    weights.push({ name, shape: [...w.shape], offset, size: w.values.length });
    offset += w.values.length;
  }
  const data = new Float32Array(offset);
  for (const e of weights) data.set(prior.weights.get(e.name)!.values, e.offset);
  const dataBytes = new Uint8Array(data.buffer);
  const header: PriorHeader = {
    format: PRIOR_FORMAT,
    tool: "ttt",
    version: pkg.version,
    family: prior.family,
    configKey: prior.configKey,
    sha256: sha256(dataBytes),
    weights,
    ...meta,
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const start = align8(12 + head.length);
  const out = new Uint8Array(start + dataBytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, PRIOR_FORMAT, true);
  view.setUint32(8, head.length, true);
  out.set(head, 12);
  out.set(dataBytes, start);
  return out;
}

/** Decode and check a prior file's bytes; `file` names it in every error. */
export function decodePrior(bytes: Uint8Array, file: string): PriorFile {
  const bad = (why: string): never => {
    throw new Error(`prior ${file}: ${why}`);
  };
  if (bytes.length < 12) bad(`${bytes.length} bytes, too short for a prior file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) bad("not a ttt prior file (bad magic number)");
  const format = view.getUint32(4, true);
  if (format !== PRIOR_FORMAT) bad(`prior format ${format}; this ttt reads format ${PRIOR_FORMAT}`);
  const headLength = view.getUint32(8, true);
  if (12 + headLength > bytes.length) bad("header cut short (truncated file)");
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headLength)));
  } catch {
    bad("header is not JSON (damaged)");
  }
  const header = checkPriorHeader(raw, `prior ${file}`);
  const start = align8(12 + headLength);
  const total = header.weights.reduce((s, w) => s + w.size, 0);
  if (bytes.length !== start + 4 * total)
    bad(`${bytes.length} bytes, the header says ${start + 4 * total} (truncated or damaged)`);
  const data = bytes.slice(start);
  if (sha256(data) !== header.sha256) bad("sha256 of the weights does not match the header (damaged)");
  const values = new Float32Array(data.buffer, data.byteOffset, total);
  const weights = new Map<string, PriorWeight>();
  for (const w of header.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (size !== w.size || w.offset < 0 || w.offset + w.size > total)
      bad(`weight ${w.name}: shape [${w.shape}] and offset ${w.offset} do not fit the file`);
    weights.set(w.name, { shape: [...w.shape], values: values.slice(w.offset, w.offset + w.size) });
  }
  return {
    prior: { family: header.family, configKey: header.configKey, weights },
    header,
    fileSha256: sha256(bytes),
    bytes: bytes.length,
  };
}

/** Read and check a prior file. */
export function readPriorFile(path: string): PriorFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(
      `prior ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return decodePrior(bytes, path);
}

/** Write a prior file atomically; returns the file's sha256. */
export function writePriorFile(path: string, prior: Prior, meta: PriorMeta): string {
  const bytes = encodePrior(prior, meta);
  writeFileAtomic(path, bytes);
  return sha256(bytes);
}
