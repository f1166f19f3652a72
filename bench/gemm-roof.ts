// The one-thread roofs the benchmarks measure against (and the timing both use). GEMM: the best fp32 rate of a square n x n x n
// product, from a session the caller opens (its options: threads, spinning) on a two-input MatMul.
import type * as ort from "onnxruntime-node";

/** Best of 7 timed runs after a warm-up, in GFLOP/s; releases the session. */
export async function bestGemmGflops(
  s: ort.InferenceSession,
  make: (data: Float32Array, dims: number[]) => ort.Tensor,
  inputs: readonly [string, string],
  n: number,
): Promise<number> {
  const data = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const feeds = { [inputs[0]]: make(data, [n, n]), [inputs[1]]: make(data, [n, n]) };
  return (2 * n ** 3) / ((await bestRunMs(s, feeds)) * 1e6);
}

/** The fastest of 7 timed runs of a session after a warm-up, in ms; releases the session. */
export async function bestRunMs(
  s: ort.InferenceSession,
  feeds: ort.InferenceSession.FeedsType,
): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    await s.run(feeds);
    if (i > 0) best = Math.min(best, performance.now() - t);
  }
  await s.release();
  return best;
}
