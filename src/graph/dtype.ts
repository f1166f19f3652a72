// Element types a graph may carry, with their ONNX TensorProto codes and JS storage.

export type DType = "float32" | "float64" | "int64" | "int32" | "bool" | "uint8";

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

export const isFloat = (d: DType): boolean => d === "float32" || d === "float64";

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** Copy plain numbers (or an existing array) into the storage used by onnxruntime for `dtype`. */
export function toTypedArray(dtype: DType, data: ArrayLike<number> | ArrayLike<bigint>): AnyTypedArray {
  switch (dtype) {
    case "float32":
      return Float32Array.from(data as ArrayLike<number>, Number);
    case "float64":
      return Float64Array.from(data as ArrayLike<number>, Number);
    case "int64":
      return BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(v));
    case "int32":
      return Int32Array.from(data as ArrayLike<number>, Number);
    case "bool":
    case "uint8":
      return Uint8Array.from(data as ArrayLike<number>, (v) => Number(v));
  }
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
