// The lock on a run directory: `<run-dir>/lock`, created exclusively (O_EXCL) by the process that
// works in the directory, holding its pid, its start time (so a reused pid is not mistaken for it),
// host, command, and the pids of its worker processes. A second process refuses with the holder's pid.
// A lock whose holder is gone (dead, a zombie, or a reused pid; on another host: no heartbeat for a
// minute, or TTT_LOCK_STALE_SECONDS) is taken over; before that, the workers the dead holder had are
// waited for, so two processes never write one task's checkpoints. The holder touches the file every
// 10 s (a third of the stale time when that is shorter) as its heartbeat.
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { LOCK_FILE, type LockInfo, type ProcessId, parseLock } from "./formats/index.ts";

export type { LockInfo, ProcessId } from "./formats/index.ts";
const HEARTBEAT_MS = 10_000;
export const FOREIGN_STALE_MS = 60_000;

/**
 * How long a holder on another host may be silent before its lock counts as stale: a minute, or
 * TTT_LOCK_STALE_SECONDS (a shared file system with slow attribute updates wants more; the tests less).
 */
export function foreignStaleMs(env: Record<string, string | undefined> = process.env): number {
  const v = Number(env.TTT_LOCK_STALE_SECONDS);
  return env.TTT_LOCK_STALE_SECONDS !== undefined && v > 0 ? v * 1000 : FOREIGN_STALE_MS;
}

/** The holder's heartbeat: every 10 s, or a third of the stale time when that is shorter. */
function heartbeatMs(): number {
  return Math.min(HEARTBEAT_MS, foreignStaleMs() / 3);
}

/** A run directory is held by a live process. */
export class LockHeldError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockInfo,
    detail = "",
  ) {
    super(
      `run directory ${dir} is in use by ${holder.command} (pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ""}, since ${holder.startedAt})${detail}; wait for it to end or stop it, or choose another --run-dir`,
    );
    this.name = "LockHeldError";
  }
}

/** /proc/<pid>/stat: state letter and start ticks, or undefined when there is no such process. */
function procStat(pid: number | "self"): { state: string; startTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

export function processId(pid: number): ProcessId {
  return { pid, startTicks: procStat(pid)?.startTicks ?? null };
}

/** True when this process (same pid, same start) is still running on this machine and is no zombie. */
export function isRunning(p: ProcessId): boolean {
  try {
    process.kill(p.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const st = procStat(p.pid);
  if (!st) return process.platform !== "linux";
  return st.state !== "Z" && st.state !== "X" && (p.startTicks === null || st.startTicks === p.startTicks);
}

/**
 * The lock's content, or what is wrong with it: `problem` names the file and field when it is not a
 * lock (damaged, or another program's); neither when there is no lock.
 */
export function readLockFile(dir: string): { info?: LockInfo; problem?: string } {
  const file = join(dir, LOCK_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return {};
  }
  try {
    return { info: parseLock(text, file) };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/** The lock's content, or undefined when there is none or it is not (yet) readable. */
export function readLock(dir: string): LockInfo | undefined {
  return readLockFile(dir).info;
}

/** Whether the holder of `info` is alive, as far as this machine can tell. */
export function holderAlive(dir: string, info: LockInfo): boolean {
  if (info.host === hostname()) return isRunning(info);
  try {
    return Date.now() - statSync(join(dir, LOCK_FILE)).mtimeMs < foreignStaleMs();
  } catch {
    return false;
  }
}

export class RunLock {
  private readonly timer: ReturnType<typeof setInterval>;
  private info: LockInfo;
  private released = false;

  private constructor(
    readonly dir: string,
    info: LockInfo,
  ) {
    this.info = info;
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs());
    this.timer.unref?.();
  }

  /**
   * Take the lock on `dir` (created if missing). Throws LockHeldError when a live process holds it, or
   * an error naming the directory when it cannot be written. `onStale` hears of a lock taken over from
   * a holder that is gone, `onDamaged` of one taken over that was no lock (what is wrong with it).
   */
  static async acquire(
    dir: string,
    command: string,
    o: {
      waitForWorkersMs?: number;
      onStale?: (old: LockInfo) => void;
      onDamaged?: (problem: string) => void;
    } = {},
  ): Promise<RunLock> {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw unwritable(dir, e);
    }
    const me: LockInfo = {
      ...processId(process.pid),
      host: hostname(),
      command,
      startedAt: new Date().toISOString(),
      workers: [],
    };
    const path = join(dir, LOCK_FILE);
    for (let tries = 0; tries < 20; tries++) {
      if (createExclusive(path, `${JSON.stringify(me)}\n`, dir)) return new RunLock(dir, me);
      const held = await settledLock(dir);
      if (held && holderAlive(dir, held)) throw new LockHeldError(dir, held);
      if (held) {
        const waitMs = o.waitForWorkersMs ?? 10_000;
        const left = await waitForExit(held.workers, waitMs);
        if (left.length > 0)
          throw new LockHeldError(
            dir,
            held,
            `: its worker processes ${left.map((w) => w.pid).join(", ")} are still running`,
          );
        o.onStale?.(held);
      } else {
        const problem = readLockFile(dir).problem;
        if (problem) o.onDamaged?.(problem);
      }
      takeOver(path, held);
    }
    throw new Error(`run directory ${dir}: could not take its lock (others kept taking it)`);
  }

  /** Note the run's worker processes in the lock (a later run waits for them if this one dies). */
  setWorkers(pids: number[]): void {
    if (this.released) return;
    this.info = { ...this.info, workers: pids.map(processId) };
    try {
      writeFileAtomic(join(this.dir, LOCK_FILE), `${JSON.stringify(this.info)}\n`);
    } catch {
      // the lock keeps its older worker list; a later run then only waits less
    }
  }

  private heartbeat(): void {
    const now = new Date();
    try {
      utimesSync(join(this.dir, LOCK_FILE), now, now);
    } catch {
      // the directory went away; nothing to keep alive
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    const current = readLock(this.dir);
    if (current && current.pid === this.info.pid && current.startTicks === this.info.startTicks)
      rmSync(join(this.dir, LOCK_FILE), { force: true });
  }
}

function unwritable(dir: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  return new Error(
    `run directory ${dir} cannot be written (${err.code ?? "error"}: ${err.message}); choose a writable --run-dir`,
  );
}

/** Create `path` only if it does not exist; false when it does. */
function createExclusive(path: string, content: string, dir: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw unwritable(dir, e);
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's content; an unreadable one is re-read for a moment (its holder may be writing it). */
async function settledLock(dir: string): Promise<LockInfo | undefined> {
  for (let i = 0; i < 20; i++) {
    const info = readLock(dir);
    if (info) return info;
    try {
      if (Date.now() - statSync(join(dir, LOCK_FILE)).mtimeMs > 5_000) return undefined;
    } catch {
      return undefined;
    }
    await Bun.sleep(50);
  }
  return undefined;
}

async function waitForExit(workers: readonly ProcessId[], ms: number): Promise<ProcessId[]> {
  const until = Date.now() + ms;
  let alive = workers.filter(isRunning);
  while (alive.length > 0 && Date.now() < until) {
    await Bun.sleep(25);
    alive = alive.filter(isRunning);
  }
  return alive;
}

/**
 * Move a stale lock out of the way. When another process took it over in between (what was moved is
 * not the lock judged stale), it is put back.
 */
function takeOver(path: string, stale: LockInfo | undefined): void {
  const aside = `${path}.stale-${process.pid}-${Date.now().toString(36)}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else moved it
  }
  let moved: LockInfo | undefined;
  try {
    moved = parseLock(readFileSync(aside, "utf8"), aside);
  } catch {
    moved = undefined;
  }
  const same = !stale || !moved || (moved.pid === stale.pid && moved.startedAt === stale.startedAt);
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process holds it now; the next round finds it
    }
  }
  rmSync(aside, { force: true });
}
