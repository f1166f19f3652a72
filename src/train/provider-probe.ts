// "auto" between WebGPU and the CPU, per task, by measurement: whether a GPU beats the CPU provider
// depends on the task's size (small graphs pay per-node dispatch, large ones gain from the GPU), so
// instead of a size threshold the Trainer opens its first graph on both providers, runs it from the
// current state twice on each (the first run compiles shaders and allocates; results are discarded)
// and keeps the provider whose faster timed run was shorter. CUDA, when it works, is taken without a
// probe (plannedProvider); the probe runs only where WebGPU is in play for auto.
import type { Feeds, Session } from "../runtime/session.ts";

export interface ProbeResult {
  provider: "webgpu" | "cpu";
  /** Milliseconds of the timed run on each provider (best of the runs after the first). */
  ms: { webgpu: number; cpu: number };
  /** One line for logs: "webgpu 12.3 ms, cpu 45.6 ms per run of loop:25: webgpu". */
  reason: string;
}

/** Timed runs per provider after the warm-up run. */
const TIMED_RUNS = 2;

async function time(s: Session, feeds: Feeds): Promise<number> {
  await s.run(feeds);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < TIMED_RUNS; i++) {
    const t = performance.now();
    await s.run(feeds);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/**
 * Open the graph on both providers, time it, keep the faster session and release the other. `what`
 * names the graph in the reason ("loop:25").
 */
export async function probeProviders(
  open: (ep: "webgpu" | "cpu") => Promise<Session>,
  feeds: () => Feeds,
  what: string,
): Promise<{ result: ProbeResult; session: Session }> {
  const gpu = await open("webgpu");
  let cpu: Session | null = null;
  try {
    const msGpu = await time(gpu, feeds());
    cpu = await open("cpu");
    const msCpu = await time(cpu, feeds());
    const provider = msGpu < msCpu ? "webgpu" : "cpu";
    const [keep, drop] = provider === "webgpu" ? [gpu, cpu] : [cpu, gpu];
    await drop.release();
    const result: ProbeResult = {
      provider,
      ms: { webgpu: msGpu, cpu: msCpu },
      reason: `probe of ${what}: webgpu ${msGpu.toFixed(1)} ms, cpu ${msCpu.toFixed(1)} ms per run: ${provider}`,
    };
    return { result, session: keep };
  } catch (e) {
    await gpu.release();
    await cpu?.release();
    throw e;
  }
}
