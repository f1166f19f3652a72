// Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over the
// target, then fsync the folder. A reader sees the old file or the new one, never a partial one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** Replace `path` with `data` atomically. Throws on failure, leaving `path` as it was and no temp file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${counter++}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    writeSynced(temp, bytes);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(dir);
}

/** Create `path` (it must not exist) holding `bytes`, and fsync it. */
export function writeSynced(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
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
