// A shard's lock when its job may have moved: Slurm requeues a preempted array task, and Kubernetes
// retries a failed index, possibly on another node, seconds after the old one was killed. The old
// holder's lock then names another host whose heartbeat (the lock file's mtime, every 10 s) has not yet
// been silent for the minute (TTT_LOCK_STALE_SECONDS) after which it counts as stale. A shard waits that
// out (bounded: the stale time and a margin), then takes the lock over as usual; a live holder elsewhere
// still stops it.
import { hostname } from "node:os";
import { foreignStaleMs, type LockInfo, LockHeldError, RunLock } from "../rundir/lock.ts";

export async function acquireShardLock(
  dir: string,
  command: string,
  o: {
    onStale?: (old: LockInfo) => void;
    onDamaged?: (problem: string) => void;
    onWait?: (holder: LockInfo) => void;
    waitMs?: number;
  } = {},
): Promise<RunLock> {
  const until = Date.now() + (o.waitMs ?? foreignStaleMs() + 15_000);
  let told = false;
  for (;;) {
    try {
      const { onWait: _, waitMs: __, ...acquire } = o;
      return await RunLock.acquire(dir, command, acquire);
    } catch (e) {
      if (!(e instanceof LockHeldError) || e.holder.host === hostname() || Date.now() > until) throw e;
      if (!told) o.onWait?.(e.holder);
      told = true;
      await Bun.sleep(1000);
    }
  }
}
