import { expect, test } from "bun:test";
import * as ort from "onnxruntime-node";
test("onnxruntime-node loads", () => {
  expect(typeof ort.InferenceSession.create).toBe("function");
});
