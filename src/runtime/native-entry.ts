#!/usr/bin/env bun
// Entry point of the compiled binary (scripts/build.ts -> dist/ttt). It embeds ONNX Runtime's native
// library, installs the process.dlopen hook of native.ts, and only then loads the CLI, whose code
// imports onnxruntime-node lazily (nothing on the way to main.ts imports it at the top level).
// `ttt solve` starts worker processes as `<this binary> <.../worker-main.ts>`; in the binary that path
// names no real file, so such a start serves jobs here, as src/ttt/worker-main.ts does from source.
// Run from source (`bun src/runtime/native-entry.ts ...`) it behaves like src/cli/main.ts.
import libPath from "onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" with { type: "file" };
import { embeddedNative, installNativeHook } from "./native.ts";

const compiled = libPath.startsWith("/$bunfs/") || libPath.startsWith("B:/~BUN/");
if (compiled) {
  installNativeHook(embeddedNative(libPath));
  mapFamilyModules();
}

const args = process.argv.slice(2);
if (compiled && args.length === 1 && /[\\/]worker-main\.[jt]s$/.test(args[0]!) && process.send) {
  await serveJobs();
} else {
  const { runCli } = await import("../cli/main.ts");
  process.exit(await runCli(args));
}

/** The worker loop of src/ttt/worker-main.ts (its serveJobs when it exports one; else the same loop here). */
async function serveJobs(): Promise<void> {
  const main = (await import("../ttt/worker-main.ts")) as { serveJobs?: () => void };
  if (typeof main.serveJobs === "function") return main.serveJobs();
  const { runJob } = await import("../ttt/worker.ts");
  type ToWorker = import("../ttt/protocol.ts").ToWorker;
  const send = (m: unknown) => process.send?.(m);
  let queue = Promise.resolve();
  process.on("message", (m: ToWorker) => {
    if (m.type === "exit") {
      void queue.then(() => process.exit(0));
      return;
    }
    if (m.type === "solve") queue = queue.then(() => runJob(m.job, send).then(() => {}));
  });
  process.on("disconnect", () => process.exit(0));
  process.on("SIGINT", () => {}); // the run decides what happens to its workers on Ctrl-C
  send({ type: "ready", pid: process.pid });
}

/**
 * src/ttt/engine.ts loads a model family with `import(new URL(FAMILIES[name], import.meta.url).href)`:
 * the bundler cannot follow that, and inside the binary the URL names no file. Until it imports the
 * families by literal paths, this plugin answers those URLs with the bundled modules (the keys are
 * FAMILIES' values, resolved as engine.ts resolves them). A family missing here fails as before.
 */
function mapFamilyModules(): void {
  const bundled: Record<string, () => Promise<Record<string, unknown>>> = {
    "../models/multitensor/index.ts": () => import("../models/multitensor/index.ts"),
    "./baseline.ts": () => import("../ttt/baseline.ts"),
  };
  const byPath = new Map(Object.entries(bundled).map(([rel, load]) => [new URL(rel, import.meta.url).pathname, load]));
  Bun.plugin({
    name: "ttt-bundled-families",
    setup(build) {
      build.onResolve({ filter: /^(file:\/\/)?\/\$bunfs\/.*\.ts$/ }, (a) => {
        const path = a.path.replace(/^file:\/\//, "");
        return byPath.has(path) ? { path, namespace: "ttt-bundled" } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: "ttt-bundled" }, async (a) => ({ exports: await byPath.get(a.path)!(), loader: "object" }));
    },
  });
}
