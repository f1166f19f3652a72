// Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over the
// target, then fsync the folder. A reader sees the old file or the new one, never a partial one.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { type WriteKind, writeFaultPoint } from "./write-failure.ts";

let counter = 0;

/**
 * Replace `path` with `data` atomically. Throws on failure (a full disk included), leaving `path` as it
 * was and no temp file. `kind`: which of a run's files this is, for injected faults.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, kind?: WriteKind): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${counter++}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    writeSynced(temp, bytes, kind);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(dir);
}

/** Create `path` (it must not exist) holding `bytes`, and fsync it (an injected fault strikes half-way). */
export function writeSynced(path: string, bytes: Uint8Array, kind?: WriteKind): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    writeAll(fd, bytes, kind, path);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array, kind: WriteKind | undefined, path: string): void {
  const half = bytes.length >> 1;
  let off = 0;
  while (off < half) off += writeSync(fd, bytes, off, half - off);
  writeFaultPoint(kind, path);
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Append `text` to `path` (created if absent) and fsync it. On failure (a full disk) the file is cut
 * back to its length before, so no partial line is left for the next append to run into.
 */
export function appendWhole(path: string, text: string, kind?: WriteKind): void {
  const fd = openSync(path, "a", 0o644);
  try {
    const before = fstatSync(fd).size;
    try {
      writeAll(fd, new TextEncoder().encode(text), kind, path);
      fsyncSync(fd);
    } catch (e) {
      try {
        ftruncateSync(fd, before);
      } catch {
        /* the reader drops a partial last line in any case */
      }
      throw e;
    }
  } finally {
    closeSync(fd);
  }
}

/** fsync a folder, making renames in it durable (a no-op where the file system refuses). */
export function syncFolder(dir: string): void {
  // Makes the rename itself durable; some file systems refuse fsync on a folder, which is harmless.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported here */
  }
}
