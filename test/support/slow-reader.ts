#!/usr/bin/env bun
// The far end of a pipe that reads late (test/smoke.test.ts): it reads nothing until `file` contains
// `text` (the run has finished) and the pipe on its stdin is full (the writer has handed the pipe all it
// can take and holds the rest itself, where a process.exit would lose it); then it copies stdin to
// stdout. Each wait is bounded and fails loudly: exit 3 and a line on stderr naming what never came.
//   bun test/support/slow-reader.ts <file> <text>
// Linux: the pipe's fill (FIONREAD) and size (F_GETPIPE_SZ) come from libc through bun:ffi.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { existsSync, readFileSync } from "node:fs";
import { waitFor } from "./wait.ts";

const [file, text] = process.argv.slice(2) as [string, string];
const FIONREAD = 0x541b;
const F_GETPIPE_SZ = 1032;
const libc = dlopen("libc.so.6", {
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
});
const queued = new Int32Array(1);
/** Bytes waiting in the pipe on stdin. */
const inPipe = () => {
  if (libc.symbols.ioctl(0, FIONREAD, ptr(queued)) !== 0)
    throw new Error("stdin is not a pipe (FIONREAD failed)");
  return queued[0]!;
};

try {
  const size = libc.symbols.fcntl(0, F_GETPIPE_SZ, 0);
  if (size <= 0) throw new Error("stdin is not a pipe (F_GETPIPE_SZ failed)");
  await waitFor(() => existsSync(file) && readFileSync(file, "utf8").includes(text), {
    what: `${file} to contain ${text}`,
    timeoutMs: 60_000,
  });
  await waitFor(() => inPipe() >= size, {
    what: `the pipe on stdin to fill (${size} bytes)`,
    detail: () => `it holds ${inPipe()} bytes`,
  });
} catch (e) {
  console.error(`slow-reader: ${(e as Error).message}`);
  process.exit(3);
}
for await (const chunk of Bun.stdin.stream()) process.stdout.write(chunk);
