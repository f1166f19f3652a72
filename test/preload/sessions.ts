// Preload: after every test, release the ONNX Runtime sessions it opened (through the registry in
// src/runtime), which also frees the GPU memory held by the CUDA provider's arena and the WebGPU
// provider's buffers. Sessions a test left open are counted per provider (TTT_TEST_VERBOSE prints them).
import { afterEach, afterAll } from "bun:test";
import { releaseAllSessions } from "../../src/runtime/registry.ts";

let total = 0;
const byProvider = new Map<string, number>();
const count = (r: { released: number; providers: string[] }) => {
  total += r.released;
  for (const p of r.providers) byProvider.set(p, (byProvider.get(p) ?? 0) + 1);
};
afterEach(async () => count(await releaseAllSessions()));
afterAll(async () => {
  count(await releaseAllSessions());
  if (total > 0 && process.env.TTT_TEST_VERBOSE)
    console.error(
      `[sessions] released ${total} ONNX sessions left open (tests with them, by provider: ${[...byProvider].map(([p, n]) => `${p} ${n}`).join(", ")})`,
    );
});
