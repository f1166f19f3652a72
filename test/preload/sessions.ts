// Preload: after every test, release the ONNX Runtime sessions it opened (through the registry in
// src/runtime), which also frees the GPU memory held by the CUDA provider's arena.
import { afterEach, afterAll } from "bun:test";
import { releaseAllSessions } from "../../src/runtime/registry.ts";

let total = 0;
afterEach(async () => {
  const { released } = await releaseAllSessions();
  total += released;
});
afterAll(async () => {
  const { released } = await releaseAllSessions();
  total += released;
  if (total > 0 && process.env.TTT_TEST_VERBOSE) console.error(`[sessions] released ${total} ONNX sessions`);
});
