// Test support: open ONNX Runtime CPU sessions from model bytes (registered, so the test preload
// releases them after each test) and run them with plain arrays.
import * as ort from "onnxruntime-node";
import type { DType } from "../../src/graph/index.ts";
import { registerSession } from "../../src/runtime/registry.ts";

/** One single-threaded CPU session: a tiny graph gains nothing from threads on this machine. */
export async function cpuSession(
  bytes: Uint8Array,
  label = "test",
  graphOptimizationLevel: "disabled" | "basic" | "extended" | "all" = "all",
): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel,
  });
  registerSession(session, label, "cpu");
  return session;
}

export type Feed = { dtype: DType; shape: readonly number[]; data: ArrayLike<number> | ArrayLike<bigint> };

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: "float32",
  float64: "float64",
  int64: "int64",
  int32: "int32",
  bool: "bool",
  uint8: "uint8",
};

export function ortTensor(f: Feed): ort.Tensor {
  const shape = [...f.shape];
  switch (f.dtype) {
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(f.data as ArrayLike<number>), shape);
    case "float64":
      return new ort.Tensor("float64", Float64Array.from(f.data as ArrayLike<number>), shape);
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(f.data as ArrayLike<number>, (v) => BigInt(v)),
        shape,
      );
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(f.data as ArrayLike<number>), shape);
    case "bool":
    case "uint8":
      return new ort.Tensor(ORT_TYPE[f.dtype], Uint8Array.from(f.data as ArrayLike<number>, Number), shape);
  }
}

/** Run and return every requested output as plain numbers with its dims. */
export async function runPlain(
  session: ort.InferenceSession,
  feeds: Record<string, Feed>,
  outputs?: string[],
): Promise<Record<string, { dims: number[]; data: number[] }>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, f] of Object.entries(feeds)) ortFeeds[k] = ortTensor(f);
  const res = outputs ? await session.run(ortFeeds, outputs) : await session.run(ortFeeds);
  const out: Record<string, { dims: number[]; data: number[] }> = {};
  for (const [k, t] of Object.entries(res))
    out[k] = { dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
  return out;
}

export { ort };
