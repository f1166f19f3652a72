// What the graph cache holds and its pruning (`ttt doctor`, `ttt cache prune`). The graphs folder has one
// folder per code digest (cache.ts); the current code's folder is kept, the others (graphs older or other
// code built) and loose files (the flat layout before code folders, stray temp files) are stale: no key of
// this code can name them. Sizes count every file, ORT's optimised forms and checksums included.
import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { codeFolderName } from "./cache.ts";

export interface CacheUsage {
  dir: string;
  /** This code's folder name (16 hex). */
  current: string;
  currentBytes: number;
  currentFiles: number;
  /** Other code folders and loose files (each named). */
  stale: { name: string; bytes: number; files: number }[];
  staleBytes: number;
  /** Of those: the other code folders, and the loose files (the layout before code folders, leftovers). */
  staleFolders: number;
  looseFiles: number;
}

function measure(path: string): { bytes: number; files: number } {
  const st = lstatSync(path);
  if (!st.isDirectory()) return { bytes: st.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const name of readdirSync(path)) {
    const m = measure(join(path, name));
    bytes += m.bytes;
    files += m.files;
  }
  return { bytes, files };
}

/** The cache folder's contents: this code's graphs and the stale entries. */
export function cacheUsage(dir: string, current = codeFolderName()): CacheUsage {
  const usage: CacheUsage = {
    dir,
    current,
    currentBytes: 0,
    currentFiles: 0,
    stale: [],
    staleBytes: 0,
    staleFolders: 0,
    looseFiles: 0,
  };
  if (!existsSync(dir)) return usage;
  for (const name of readdirSync(dir).sort()) {
    const m = measure(join(dir, name));
    if (name === current) {
      usage.currentBytes = m.bytes;
      usage.currentFiles = m.files;
    } else {
      usage.stale.push({ name, ...m });
      usage.staleBytes += m.bytes;
      if (lstatSync(join(dir, name)).isDirectory()) usage.staleFolders++;
      else usage.looseFiles++;
    }
  }
  return usage;
}

/** "2 other code folders and 174 loose files" */
export function describeStale(u: CacheUsage): string {
  const parts = [];
  if (u.staleFolders) parts.push(`${u.staleFolders} other code folder${u.staleFolders === 1 ? "" : "s"}`);
  if (u.looseFiles) parts.push(`${u.looseFiles} loose file${u.looseFiles === 1 ? "" : "s"}`);
  return parts.join(" and ") || "nothing";
}

export interface PruneResult {
  removed: string[];
  freedBytes: number;
  kept: number;
}

/** Remove the stale entries (all entries with `all`); returns what went and how much space it freed. */
export function pruneCache(dir: string, opts: { all?: boolean; current?: string } = {}): PruneResult {
  const usage = cacheUsage(dir, opts.current);
  const gone = opts.all
    ? [...usage.stale, { name: usage.current, bytes: usage.currentBytes, files: usage.currentFiles }]
    : usage.stale;
  const result: PruneResult = { removed: [], freedBytes: 0, kept: opts.all ? 0 : usage.currentFiles };
  for (const entry of gone) {
    const path = join(dir, entry.name);
    if (!existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    result.removed.push(entry.name);
    result.freedBytes += entry.bytes;
  }
  return result;
}
