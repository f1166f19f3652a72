// Preload: a Worker samples RSS throughout the test run; one global afterAll prints peak and final
// RSS once at the end (process exit events do not fire under bun test).
import { afterAll } from "bun:test";

const worker = new Worker(new URL("./memory-worker.ts", import.meta.url).href);
(worker as Worker & { unref(): void }).unref(); // never keeps the test run alive
const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

afterAll(async () => {
  const result = await new Promise<{ peak: number; last: number } | null>((resolve) => {
    const t = setTimeout(() => resolve(null), 2000);
    worker.onmessage = (e) => {
      clearTimeout(t);
      resolve(e.data);
    };
    worker.postMessage("report");
  });
  const final = process.memoryUsage.rss();
  if (result)
    console.error(`[memory] peak RSS ${mib(Math.max(result.peak, final))}, final RSS ${mib(final)}`);
  else console.error(`[memory] sampler did not answer; final RSS ${mib(final)}`);
  worker.terminate();
});
