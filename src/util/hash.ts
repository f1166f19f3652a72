// Content hashing: sha256 in hex, and a canonical JSON form (sorted keys, undefined left out) so that
// equal values give equal keys for caches, checkpoints and models.
import { createHash } from "node:crypto";

/** sha256 of bytes or a string, in lowercase hex. */
export const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

/** JSON with object keys sorted and undefined members left out. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
