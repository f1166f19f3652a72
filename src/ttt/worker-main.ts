// Entry of a worker process: solves the jobs the run sends over IPC, one at a time, each with its own
// ONNX Runtime sessions. A crash here loses only the task in flight; the run carries on without it.
import type { ToWorker } from "./protocol.ts";
import { runJob } from "./worker.ts";

if (import.meta.main) {
  const send = (m: unknown) => process.send?.(m);
  let queue = Promise.resolve();
  process.on("message", (m: ToWorker) => {
    if (m.type === "exit") {
      queue.then(() => process.exit(0));
      return;
    }
    if (m.type === "solve") queue = queue.then(() => runJob(m.job, send).then(() => {}));
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", pid: process.pid });
}
