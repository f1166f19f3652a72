// Entry of a worker process: solves the jobs the run sends over IPC, one at a time, each with its own
// ONNX Runtime sessions. A crash here loses only the task in flight; the run carries on without it.
import type { ToWorker } from "./protocol.ts";
import { runJob } from "./worker.ts";
import { installWriteFaults, parseFaults } from "./fault-injection.ts";

/** Serve jobs over this process's IPC channel until told to exit or the parent goes away. */
export function serveJobs(): void {
  const send = (m: unknown) => process.send?.(m);
  installWriteFaults(parseFaults(process.env.TTT_INJECT_FAULT), { worker: true });
  let queue = Promise.resolve();
  process.on("message", (m: ToWorker) => {
    if (m.type === "exit") {
      void queue.then(() => process.exit(0));
      return;
    }
    if (m.type !== "solve") return;
    queue = queue.then(async () => {
      // A run that is gone (killed) gets no more checkpoints from its orphaned worker.
      const outcome = await runJob(m.job, send, { connected: () => process.connected !== false });
      // Memory over the limit: this process is retired (the run starts a fresh one for the next task).
      if (outcome.stop === "memory") setTimeout(() => process.exit(0), 200);
    });
  });
  process.on("disconnect", () => process.exit(0));
  // Ctrl-C in a terminal reaches the whole process group: the run decides what happens to its workers.
  process.on("SIGINT", () => {});
  send({ type: "ready", pid: process.pid });
}

if (import.meta.main) serveJobs();
