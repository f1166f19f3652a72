// The digest of the code that shapes a graph, part of every graph cache key (cache.ts): sha256 over the
// source files reached by following relative imports from the graph builders' entry points (the graph
// cache, the model families' registry, the toy models), each file's path and content. A change to any
// of them (an autodiff rule, an optimizer, the graph writer, a family's helper) gives new keys, so an
// upgraded ttt never reads a graph the old code built. The compiled binary carries the digest taken at
// build time (scripts/build.ts defines TTT_GRAPH_SOURCE_DIGEST); a checkout computes it from its files
// once per process (~70 files, a few ms), the same way, so the two agree for the same sources.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { canonicalJson, sha256 } from "../util/hash.ts";

/** Set by `bun build --define` in the compiled binary; absent in a checkout. */
declare const TTT_GRAPH_SOURCE_DIGEST: string | undefined;

/** Where the import walk starts, relative to the project root. */
export const GRAPH_SOURCE_ENTRIES = ["src/train/cache.ts", "src/models/registry.ts", "src/models/toy.ts"];

/** The checkout this module belongs to (two folders up from src/train). */
export const CHECKOUT_ROOT = resolve(import.meta.dir, "..", "..");

export interface SourceDigest {
  /** sha256 in hex of the files' canonical list. */
  digest: string;
  /** The files, relative to the root, sorted, each with the sha256 of its content. */
  files: { path: string; sha256: string }[];
}

/** Walk the relative imports of TypeScript files from the entries and digest every file reached. */
export function computeSourceDigest(root: string, entries = GRAPH_SOURCE_ENTRIES): SourceDigest {
  const transpiler = new Bun.Transpiler({ loader: "ts" });
  const seen = new Map<string, string>();
  const stack = entries.map((e) => resolve(root, e));
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    if (!existsSync(file)) throw new Error(`graph source digest: ${relative(root, file)} is missing`);
    const text = readFileSync(file, "utf8");
    seen.set(file, sha256(text));
    for (const imp of transpiler.scanImports(text)) {
      if (!imp.path.startsWith(".")) continue; // packages: their versions are in the key
      const target = resolve(dirname(file), imp.path);
      if (target.endsWith(".ts")) stack.push(target); // JSON (package.json: the version is in the key)
    }
  }
  const files = [...seen.entries()]
    .map(([file, hash]) => ({ path: relative(root, file).split("\\").join("/"), sha256: hash }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { digest: sha256(canonicalJson(files)), files };
}

let memo: { digest: string; source: "binary" | "checkout" } | null = null;

/** This ttt's graph source digest and where it came from (memoised for the process). */
export function graphSourceDigest(): { digest: string; source: "binary" | "checkout" } {
  if (memo) return memo;
  if (typeof TTT_GRAPH_SOURCE_DIGEST === "string" && TTT_GRAPH_SOURCE_DIGEST.length > 0) {
    memo = { digest: TTT_GRAPH_SOURCE_DIGEST, source: "binary" };
    return memo;
  }
  if (!existsSync(join(CHECKOUT_ROOT, GRAPH_SOURCE_ENTRIES[0] as string))) {
    throw new Error(
      "this ttt was built without its graph source digest and has no source files to compute it from; build the binary with `bun run build`",
    );
  }
  memo = { digest: computeSourceDigest(CHECKOUT_ROOT).digest, source: "checkout" };
  return memo;
}
