// Graph bytes cached on disk by content key: sha256 of a canonical description of everything that
// shapes a graph (spec key and forward source, shapes, dtypes, optimizer config, kind, K, opset, ttt and
// ONNX Runtime versions, and the digest of all the code that builds graphs: source-digest.ts). A second
// request with the same key reads the file instead of rebuilding. Folder: <cache root>/graphs, the root
// chosen as for the native library (src/runtime/native.ts); inside it one folder per code digest
// (`<digest 16 hex>/`), so the graphs of older code are seen and removed whole (cache-usage.ts).
// Beside each graph file, `<file>.sha256` holds the sha256 of its bytes: a file that does not match it
// (damaged on disk, cut short, or left without one) is rebuilt and rewritten instead of being trusted.
import { cacheRootCandidates, checkPrivate, ORT_VERSION } from "../runtime/native.ts";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { DEFAULT_IR_VERSION, DEFAULT_OPSET, toModelBytes } from "../graph/serialize.ts";
import { canonicalJson, sha256 } from "../util/hash.ts";
import { type GraphRequest, buildGraph } from "./build.ts";
import { graphSourceDigest } from "./source-digest.ts";
import { specDType } from "./spec.ts";

/** The folder inside the graphs folder that holds the graphs of this code (its digest's first 16 hex). */
export function codeFolderName(digest = graphSourceDigest().digest): string {
  return digest.slice(0, 16);
}

/** Counters for this process: real builds and cache hits (tests use them as timing-free evidence). */
export const graphCacheStats = { builds: 0, hits: 0, writes: 0, damaged: 0 };

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cache folder (created): the first usable root of the one list the native library uses too
 * (TTT_CACHE_DIR, XDG_CACHE_HOME, HOME, a private temp folder that must be ours), plus "graphs". */
export function defaultCacheDir(): string {
  const failures: string[] = [];
  for (const root of cacheRootCandidates()) {
    const dir = join(root.dir, "graphs");
    if (!writable(dir)) {
      failures.push(`${root.source} ${root.dir}: not writable`);
      continue;
    }
    if (root.source === "temp folder") {
      try {
        checkPrivate(root.dir);
      } catch (e) {
        failures.push(`${root.source}: ${(e as Error).message}`);
        continue;
      }
    }
    return dir;
  }
  throw new Error(`no usable cache folder for graphs (${failures.join("; ")}); set TTT_CACHE_DIR`);
}

/** The cached bytes when the file is there and matches its recorded sha256; null when absent. */
function readVerified(path: string): Uint8Array | "damaged" | null {
  if (!existsSync(path)) return null;
  try {
    const bytes = new Uint8Array(readFileSync(path));
    const recorded = readFileSync(`${path}.sha256`, "utf8").trim();
    return bytes.length > 0 && recorded === sha256(bytes) ? bytes : "damaged";
  } catch {
    return "damaged";
  }
}

/** The canonical description of a graph request and its sha256 key. */
export function graphKey(req: GraphRequest): { key: string; description: string } {
  const { spec } = req;
  const d = {
    ttt: pkg.version,
    ort: ORT_VERSION,
    code: graphSourceDigest().digest,
    ir: DEFAULT_IR_VERSION,
    opset: DEFAULT_OPSET,
    kind: req.kind,
    ...(req.target === "gpu" ? { target: "gpu" } : {}),
    steps: req.kind === "loop" ? (req.steps ?? 1) : null,
    optim: req.kind === "infer" ? null : (req.optim ?? null),
    model: {
      key: spec.key,
      dtype: specDType(spec),
      forward: sha256(spec.forward.toString()),
      params: spec.params.map((p) => [p.name, p.shape, p.group ?? null]),
      batch: spec.batch.map((b) => [b.name, b.dtype, b.shape, !!b.fixed]),
      inferBatch: spec.inferBatch?.map((b) => [b.name, b.dtype, b.shape]) ?? null,
      noise: spec.noise?.map((n) => [n.name, n.shape, n.dist ?? "normal"]) ?? null,
    },
  };
  const description = canonicalJson(d);
  return { key: sha256(description), description };
}

export interface CachedGraph {
  bytes: Uint8Array;
  key: string;
  /** The cached file, or null when caching is off. */
  path: string | null;
  hit: boolean;
  /** Node count of the top graph when built now (null on a hit). */
  nodes: number | null;
}

export interface CacheOptions {
  /** A folder, or false to build without caching. */
  cacheDir?: string | false;
}

/** The graph's bytes: from the cache when present, else built (and written atomically). */
export function getGraph(req: GraphRequest, opts: CacheOptions = {}): CachedGraph {
  const { key, description } = graphKey(req);
  const dir = opts.cacheDir === false ? null : (opts.cacheDir ?? defaultCacheDir());
  const codeDir = dir ? join(dir, codeFolderName()) : null;
  const path = codeDir ? join(codeDir, `${req.kind}-${key.slice(0, 32)}.onnx`) : null;
  const cached = path ? readVerified(path) : null;
  if (cached instanceof Uint8Array) {
    graphCacheStats.hits++;
    return { bytes: cached, key, path, hit: true, nodes: null };
  }
  if (cached === "damaged") graphCacheStats.damaged++;
  const g = buildGraph(req);
  const bytes = toModelBytes(g, { docString: description });
  graphCacheStats.builds++;
  if (path && codeDir) {
    try {
      mkdirSync(codeDir, { recursive: true });
      // the graph first, then its checksum: until both are in place a reader rebuilds
      writeFileAtomic(path, bytes);
      writeFileAtomic(`${path}.sha256`, `${sha256(bytes)}\n`);
      graphCacheStats.writes++;
    } catch {
      // an unwritable cache only costs a rebuild next time
    }
  }
  return { bytes, key, path, hit: false, nodes: g.nodes.length };
}

/** Path for ORT's optimised form of a cached graph, keyed also by provider and optimisation level. */
export function optimizedPath(graphPath: string, provider: string, level: string): string {
  return graphPath.replace(/\.onnx$/, `.opt-${provider}-${level}.ort.onnx`);
}

/** Read a cached file if it exists (for the optimised model). */
export function readIfPresent(path: string): Uint8Array | null {
  return existsSync(path) && statSync(path).size > 0 ? new Uint8Array(readFileSync(path)) : null;
}
