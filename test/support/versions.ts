// The versions the tests expect, read from where they are set: ttt's package.json and the installed
// onnxruntime-node's package.json (the one ttt loads).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };

export const TTT_VERSION: string = pkg.version;

export const ORT_VERSION: string = JSON.parse(
  readFileSync(join(import.meta.dir, "..", "..", "node_modules", "onnxruntime-node", "package.json"), "utf8"),
).version;

/** `s` as a regular expression matching it literally (a version's dots, say). */
export const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
