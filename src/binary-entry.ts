#!/usr/bin/env bun
// Entry point of the compiled binary (scripts/build.ts -> dist/ttt). It embeds ONNX Runtime's native
// library, installs the process.dlopen hook of native.ts, and only then loads the CLI, whose code
// imports onnxruntime-node lazily (nothing on the way to main.ts imports it at the top level).
// `ttt solve` starts worker processes as `<this binary> <.../worker-entry.ts>`; in the binary that path
// names no real file, so such a start serves jobs here, as src/workers/worker-entry.ts does from source.
// Run from source (`bun src/binary-entry.ts ...`) it behaves like src/cli/main.ts.
import libPath from "onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" with { type: "file" };
import { embeddedNative, installNativeHook } from "./runtime/native.ts";

const compiled = libPath.startsWith("/$bunfs/") || libPath.startsWith("B:/~BUN/");
if (compiled) installNativeHook(embeddedNative(libPath));

const args = process.argv.slice(2);
if (compiled && args.length === 1 && /[\\/]worker-entry\.[jt]s$/.test(args[0]!) && process.send) {
  await serveJobs();
} else {
  const { exitWhenDone, runCli } = await import("./cli/main.ts");
  exitWhenDone(await runCli(args));
}

/** The worker loop of src/workers/worker-entry.ts (which runs it only when it is the entry point itself). */
async function serveJobs(): Promise<void> {
  (await import("./workers/worker-entry.ts")).serveJobs();
}
