// A run directory's checkpoints, task by task, for `ttt checkpoints list|verify|prune`: each version's
// step, loss, time, try and size from its manifest (list), every file checked against its sha256
// (verify), and the retention applied by hand (prune, under the run directory's lock).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CheckpointStore, versionName, type CheckpointManifest } from "./checkpoint-store.ts";
import { CHECKPOINTS_DIR, RUN_FILE } from "./formats/index.ts";
import { RunLock } from "./lock.ts";

export interface VersionInfo {
  version: number;
  name: string;
  step: number | null;
  loss: number | null;
  createdAt: string | null;
  final: boolean;
  stop: string | null;
  /** 1 for the task's first try, 2 for its retry. */
  try: number | null;
  bytes: number;
  /** Empty when whole (for list: when the manifest is whole). */
  problems: string[];
}

export interface TaskCheckpointsInfo {
  /** The folder, relative to the run directory. */
  label: string;
  /** The task id its manifests name (null when none can be read). */
  task: string | null;
  versions: VersionInfo[];
  /** Leftovers of interrupted writes. */
  debris: string[];
}

/** The run directory's checkpoint folders; throws when `runDir` is not a run directory. */
export function taskStores(runDir: string): CheckpointStore[] {
  if (!existsSync(join(runDir, RUN_FILE)) && !existsSync(join(runDir, CHECKPOINTS_DIR)))
    throw new Error(`${runDir} is not a run directory (no ${RUN_FILE}, no ${CHECKPOINTS_DIR}/)`);
  const root = join(runDir, CHECKPOINTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => new CheckpointStore(join(root, name), `${CHECKPOINTS_DIR}/${name}`));
}

function folderBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** Every task's versions; with `verify` every file is read and checked, else only the manifests. */
export function scanCheckpoints(runDir: string, verify = false): TaskCheckpointsInfo[] {
  return taskStores(runDir).map((store) => {
    let task: string | null = null;
    const versions = store.versions().map((v): VersionInfo => {
      const info: VersionInfo = {
        version: v,
        name: versionName(v),
        step: null,
        loss: null,
        createdAt: null,
        final: false,
        stop: null,
        try: null,
        bytes: folderBytes(join(store.dir, versionName(v))),
        problems: [],
      };
      let m: CheckpointManifest | undefined;
      if (verify) {
        const c = store.check(v);
        m = c.manifest;
        info.problems = c.problems;
      } else {
        try {
          m = store.readManifest(v);
        } catch (e) {
          info.problems = [(e as Error).message];
        }
      }
      if (m) {
        Object.assign(info, {
          step: m.step,
          loss: m.loss,
          createdAt: m.createdAt,
          final: m.final,
          stop: m.stop,
          try: m.try,
        });
        task = m.task;
      }
      return info;
    });
    return { label: store.label, task, versions, debris: store.debris() };
  });
}

/**
 * Keep each task's newest `keep` versions and its final ones; remove the leftovers of interrupted
 * writes. Refused while a solve holds the run directory.
 */
export async function pruneCheckpoints(
  runDir: string,
  keep: number,
): Promise<{ removed: string[]; bytes: number }> {
  const stores = taskStores(runDir);
  const lock = await RunLock.acquire(runDir, "ttt checkpoints prune", { waitForWorkersMs: 0 });
  try {
    const removed: string[] = [];
    let bytes = 0;
    for (const store of stores) {
      const sizes = new Map(store.versions().map((v) => [v, folderBytes(join(store.dir, versionName(v)))]));
      for (const v of store.prune(keep)) {
        removed.push(`${store.label}/${versionName(v)}`);
        bytes += sizes.get(v) ?? 0;
      }
      removed.push(...store.debris(true));
    }
    return { removed, bytes };
  } finally {
    lock.release();
  }
}
