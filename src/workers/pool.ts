// Executors run jobs. ProcessPool keeps up to N worker processes (src/workers/worker-entry.ts), one job
// each at a time; a job past its hard limit has its process killed, and a process that dies takes only
// its own job with it (the run gets a synthesised "done" and starts a fresh process for the next job).
// InlineExecutor runs jobs in this process (tests, and debugging with a fake engine).
import type { Subprocess } from "bun";
import { availableParallelism, totalmem } from "node:os";
import type { Job, WireOutcome } from "../loop/job.ts";
import type { FromWorker } from "./protocol.ts";
import { DeviceSpreader } from "./devices.ts";
import { runJob, type WorkerDeps } from "./worker.ts";

export interface JobHandlers {
  onMessage(m: FromWorker): void;
  /** A line a worker printed (its stdout or stderr). */
  onLog?(line: string): void;
}

export interface Executor {
  /** Run a job; resolves with its outcome (synthesised when the worker died or was killed). */
  run(job: Job, handlers: JobHandlers, hardLimitSeconds?: number): Promise<WireOutcome>;
  /** Kill every job in flight now (Ctrl-C, or the run's budget is spent). */
  abort(): void;
  close(): Promise<void>;
}

const WORKER_ENTRY = new URL("./worker-entry.ts", import.meta.url).pathname;

export function emptyOutcome(
  stop: WireOutcome["stop"],
  error: string,
  seconds = 0,
  died?: string,
): WireOutcome {
  return {
    stop,
    steps: 0,
    seconds,
    setupSeconds: 0,
    losses: [],
    finalLoss: null,
    answers: [],
    chunks: 0,
    error,
    ...(died !== undefined ? { died } : {}),
  };
}

interface Slot {
  proc: Subprocess;
  busy: boolean;
  listener?: (m: FromWorker) => void;
  onExit?: () => void;
  log?: (line: string) => void;
  tail: string[];
}

export class ProcessPool implements Executor {
  private readonly idle: Slot[] = [];
  private readonly all = new Set<Slot>();

  /** `onWorkers` hears the pids of the live worker processes whenever they change. */
  constructor(
    private readonly env: Record<string, string | undefined> = process.env,
    private readonly onWorkers?: (pids: number[]) => void,
    /** GPUs to pin new workers to (one each, by CUDA_VISIBLE_DEVICES); none: the environment as it is. */
    private readonly devices?: DeviceSpreader,
  ) {}

  private workersChanged(): void {
    this.onWorkers?.([...this.all].map((s) => s.proc.pid));
  }

  private spawn(): Slot {
    const slot: Slot = { busy: false, tail: [] } as unknown as Slot;
    const device = this.devices?.take();
    slot.proc = Bun.spawn([process.execPath, WORKER_ENTRY], {
      stdio: ["ignore", "pipe", "pipe"],
      env: device ? DeviceSpreader.envFor(device, this.env) : this.env,
      serialization: "json",
      ipc: (m: FromWorker) => slot.listener?.(m),
    });
    for (const stream of [slot.proc.stdout, slot.proc.stderr])
      void pumpLines(stream as ReadableStream<Uint8Array>, (line) => {
        slot.tail.push(line);
        if (slot.tail.length > 20) slot.tail.shift();
        slot.log?.(line);
      });
    void slot.proc.exited.then(() => {
      if (device) this.devices?.release(device);
      this.all.delete(slot);
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      slot.onExit?.();
      this.workersChanged();
    });
    this.all.add(slot);
    this.workersChanged();
    return slot;
  }

  async run(job: Job, handlers: JobHandlers, hardLimitSeconds = Infinity): Promise<WireOutcome> {
    const slot = this.idle.pop() ?? this.spawn();
    slot.busy = true;
    slot.tail = [];
    slot.log = handlers.onLog;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let killedForTime = false;
    let retire = false;
    const outcome = await new Promise<WireOutcome>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (o: WireOutcome) => {
        if (timer) clearTimeout(timer);
        slot.listener = undefined;
        slot.onExit = undefined;
        resolve(o);
      };
      slot.listener = (m) => {
        if (m.type === "ready" || m.id !== job.id) return;
        handlers.onMessage(m);
        if (m.type === "done") {
          retire = m.retire === true;
          finish(m.outcome);
        }
      };
      if (Number.isFinite(hardLimitSeconds)) {
        timer = setTimeout(
          () => {
            killedForTime = true;
            slot.proc.kill("SIGKILL");
          },
          Math.max(0, hardLimitSeconds * 1000),
        );
      }
      slot.onExit = () => {
        const died = slot.proc.signalCode ?? `exit code ${slot.proc.exitCode}`;
        const how = killedForTime
          ? `killed after ${seconds().toFixed(1)}s, past its time limit`
          : `worker process ended (${died})${slot.tail.length ? `: ${slot.tail.slice(-3).join(" | ")}` : ""}`;
        finish(
          emptyOutcome(
            killedForTime ? "time" : "error",
            how,
            seconds(),
            killedForTime || this.aborting ? undefined : String(died),
          ),
        );
      };
      try {
        slot.proc.send({ type: "solve", job });
      } catch (e) {
        finish(emptyOutcome("error", `cannot reach the worker process: ${(e as Error).message}`));
      }
    });
    slot.busy = false;
    slot.log = undefined;
    if (this.all.has(slot) && slot.proc.exitCode === null && !slot.proc.killed && !retire)
      this.idle.push(slot);
    else this.all.delete(slot);
    return outcome;
  }

  private aborting = false;

  abort(): void {
    this.aborting = true;
    for (const slot of this.all) if (slot.busy) slot.proc.kill("SIGKILL");
  }

  async close(): Promise<void> {
    for (const slot of this.all) {
      if (slot.busy) slot.proc.kill("SIGKILL");
      else {
        try {
          slot.proc.send({ type: "exit" });
        } catch {
          slot.proc.kill();
        }
      }
    }
    // A worker that has not left 2 s after being asked is killed; the timer is cleared once it has left
    // (a pending Bun.sleep would keep the CLI alive for the full 2 s after the run).
    await Promise.all(
      [...this.all].map(async (s) => {
        const timer = setTimeout(() => s.proc.kill("SIGKILL"), 2000);
        await s.proc.exited;
        clearTimeout(timer);
      }),
    );
    this.all.clear();
    this.idle.length = 0;
  }
}

async function pumpLines(
  stream: ReadableStream<Uint8Array> | undefined,
  onLine: (line: string) => void,
): Promise<void> {
  if (!stream) return;
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl).replace(/\s+$/, "");
        buffered = buffered.slice(nl + 1);
        if (line) onLine(line);
      }
    }
  } catch {
    // the process went away
  }
  if (buffered.trim()) onLine(buffered.trim());
}

/** Runs jobs one after another in this process; no hard limit (a loop stops itself at its time limit). */
export class InlineExecutor implements Executor {
  constructor(private readonly deps: WorkerDeps = {}) {}

  run(job: Job, handlers: JobHandlers): Promise<WireOutcome> {
    return runJob(job, (m) => handlers.onMessage(m), this.deps);
  }

  abort(): void {}

  async close(): Promise<void> {}
}

/**
 * Default worker count: one single-threaded worker per logical CPU, as many as memory allows at ~4 GiB
 * each (a 30x30 task's peak), at most 16. Measured on the 2-vCPU development VM with the multitensor
 * model (CPU time per task is the same with 1 or 2 workers; wall time 41.4 s -> 24.7 s and 61.0 s ->
 * 30.6 s for 8 evaluation tasks when the host lets both vCPUs run; when the host is busy the VM gets
 * about one CPU and 2 workers are no slower than 1): 2 workers here.
 */
export function defaultWorkers(cores = availableParallelism(), memoryBytes = totalmem()): number {
  return Math.max(1, Math.min(cores, Math.floor((0.8 * memoryBytes) / 4 / 2 ** 30), 16));
}
