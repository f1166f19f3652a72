// ONNX Runtime's native library in the compiled binary (`bun run build` -> dist/ttt).
//
// `bun build --compile` embeds onnxruntime_binding.node (onnxruntime-node requires it) and, through
// src/binary-entry.ts, libonnxruntime.so.1 as a file asset. Neither can be loaded from inside the binary:
// the binding needs libonnxruntime.so.1 beside it (its RUNPATH is $ORIGIN). So both are extracted once
// into a per-version cache folder, <root>/ort-<version>-<platform>-<arch>-<stamp>/, and process.dlopen
// is wrapped so the request for the binding loads the extracted copy. Extraction writes a temp file
// and renames it into place (copies starting at the same moment each rename a complete file; a file
// already mapped by another process is never written in place) and is skipped when both files are
// there with the embedded sizes. It happens lazily, on the first use of onnxruntime-node (or when
// asked, e.g. by `ttt doctor`), so `ttt --version`, `inspect` and `score` never touch the disk.
//
// Cache root: TTT_CACHE_DIR, else $XDG_CACHE_HOME/ttt, else ~/.cache/ttt, else (none of them usable)
// <tmp>/ttt-<uid>, a private folder checked to be ours. ORT loads execution-provider libraries only
// from beside libonnxruntime.so.1, so a folder named by TTT_ORT_PROVIDERS_DIR holding the CUDA provider
// is joined in an overlay folder: the extracted files hard-linked (or copied) plus symbolic links to
// every file of that folder, and the binding is loaded from there.
//
// This module must not import onnxruntime-node: it runs before it.
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import ortPackage from "onnxruntime-node/package.json" with { type: "json" };
import { sha256 } from "../util/hash.ts";

/** onnxruntime-node's version (the embedded native library is the one it ships). */
export const ORT_VERSION: string = ortPackage.version;

export const LIB_NAME = "libonnxruntime.so.1";
export const BINDING_NAME = "onnxruntime_binding.node";
export const CUDA_PROVIDER_LIBS = [
  "libonnxruntime_providers_shared.so",
  "libonnxruntime_providers_cuda.so",
] as const;
const BINDING_REQUEST = /^onnxruntime_binding.*\.node$/;

/** One embedded file: where Bun serves it from and its size. */
export interface EmbeddedFile {
  path: string;
  size: number;
}

export interface CacheRoot {
  dir: string;
  /** Which setting chose it. */
  source: "TTT_CACHE_DIR" | "XDG_CACHE_HOME" | "HOME" | "temp folder";
}

export interface NativeState {
  /** onnxruntime-node version embedded. */
  version: string;
  /** Folder the binding and libonnxruntime.so.1 are loaded from (the overlay when providers are joined). */
  dir: string;
  /** The per-version extraction folder. */
  baseDir: string;
  root: CacheRoot;
  /** Files written by this process (empty on a warm start). */
  extracted: string[];
  /** Milliseconds spent making the folder ready in this process. */
  ms: number;
  /** Why an earlier cache root was passed over, and other things worth telling (doctor prints them). */
  notes: string[];
  /** TTT_ORT_PROVIDERS_DIR when its CUDA provider was joined into `dir`. */
  providersDir?: string;
}

// ---------------------------------------------------------------- cache root

const uid = (): string => (typeof process.getuid === "function" ? String(process.getuid()) : "user");

/** Cache roots in order of preference. */
export function cacheRootCandidates(env: NodeJS.ProcessEnv = process.env): CacheRoot[] {
  const out: CacheRoot[] = [];
  if (env.TTT_CACHE_DIR) out.push({ dir: resolve(env.TTT_CACHE_DIR), source: "TTT_CACHE_DIR" });
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME))
    out.push({ dir: join(env.XDG_CACHE_HOME, "ttt"), source: "XDG_CACHE_HOME" });
  let home = env.HOME ?? "";
  if (!home && env.HOME === undefined) {
    try {
      home = homedir();
    } catch {
      // no home directory at all
    }
  }
  if (home) out.push({ dir: join(home, ".cache", "ttt"), source: "HOME" });
  out.push({ dir: join(tmpdir(), `ttt-${uid()}`), source: "temp folder" });
  return out;
}

/** A folder in a shared temp directory must be ours and private, or someone else chose its contents. */
export function checkPrivate(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  const me = typeof process.getuid === "function" ? process.getuid() : st.uid;
  if (st.uid !== me) throw new Error(`${dir} belongs to another user (uid ${st.uid})`);
  if (st.mode & 0o022) chmodSync(dir, 0o700);
}

// ---------------------------------------------------------------- extraction

const shortHash = (s: string, n = 10) => sha256(s).slice(0, n);

/** Per-version folder name; the stamp changes with the embedded files (Bun's asset names carry a content hash). */
export function versionFolderName(lib: EmbeddedFile, binding: EmbeddedFile, version = ORT_VERSION): string {
  const stamp = shortHash(`${basename(lib.path)}:${lib.size}:${basename(binding.path)}:${binding.size}`);
  return `ort-${version}-${process.platform}-${process.arch}-${stamp}`;
}

const sizeIs = (path: string, size: number): boolean => {
  try {
    const st = statSync(path);
    return st.isFile() && st.size === size;
  } catch {
    return false;
  }
};

const tempName = (dir: string, name: string) =>
  join(dir, `.${name}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);

/** Write `src` to `dest` through a temp file in the same folder and a rename. */
function placeFile(src: string, dest: string, size: number): void {
  const tmp = tempName(resolve(dest, ".."), basename(dest));
  try {
    const data = readFileSync(src);
    if (data.length !== size)
      throw new Error(`embedded ${basename(src)} has ${data.length} bytes, expected ${size}`);
    writeFileSync(tmp, data, { mode: 0o755 });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Make `<root>/<folder>` hold both files with the embedded sizes; returns the folder and the files this
 * call wrote. Safe against other processes doing the same at the same moment.
 */
export function extractInto(
  root: CacheRoot,
  lib: EmbeddedFile,
  binding: EmbeddedFile,
): { dir: string; extracted: string[] } {
  const dir = join(root.dir, versionFolderName(lib, binding));
  const want: [EmbeddedFile, string][] = [
    [lib, join(dir, LIB_NAME)],
    [binding, join(dir, BINDING_NAME)],
  ];
  if (root.source === "temp folder") {
    // Checked on every start: in a shared temp directory another user could have put files there first.
    mkdirSync(root.dir, { recursive: true, mode: 0o700 });
    checkPrivate(root.dir);
  }
  if (want.every(([f, dest]) => sizeIs(dest, f.size))) return { dir, extracted: [] };
  mkdirSync(dir, { recursive: true });
  const extracted: string[] = [];
  for (const [f, dest] of want) {
    if (sizeIs(dest, f.size)) continue;
    placeFile(f.path, dest, f.size);
    extracted.push(dest);
  }
  return { dir, extracted };
}

// ---------------------------------------------------------------- providers overlay

/** Whether `dir` holds both CUDA provider libraries. */
export function hasCudaProvider(dir: string): boolean {
  return CUDA_PROVIDER_LIBS.every((f) => {
    try {
      return statSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
}

/** Hard link, or copy when the link cannot be made (another filesystem). */
function linkOrCopy(src: string, dest: string): void {
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
  }
}

/**
 * A folder beside `baseDir` with its two files plus links to every file of `providersDir`, so ORT,
 * loaded from there, finds the provider libraries (and whatever they keep beside themselves).
 */
export function providersOverlay(baseDir: string, providersDir: string): string {
  const real = realpathSync(providersDir);
  const entries = readdirSync(real)
    .filter((n) => !n.startsWith("libonnxruntime.so") && !BINDING_REQUEST.test(n))
    .sort();
  const signature = entries
    .map((n) => {
      try {
        const st = statSync(join(real, n));
        return `${n}:${st.size}:${Math.floor(st.mtimeMs)}`;
      } catch {
        return `${n}:?`;
      }
    })
    .join("|");
  const overlay = `${baseDir}-providers-${shortHash(`${real}\n${signature}`)}`;
  const complete = (d: string) =>
    sizeIs(join(d, LIB_NAME), statSync(join(baseDir, LIB_NAME)).size) &&
    sizeIs(join(d, BINDING_NAME), statSync(join(baseDir, BINDING_NAME)).size) &&
    hasCudaProvider(d);
  if (complete(overlay)) return overlay;
  const tmp = tempName(resolve(baseDir, ".."), basename(overlay));
  try {
    mkdirSync(tmp);
    linkOrCopy(join(baseDir, LIB_NAME), join(tmp, LIB_NAME));
    linkOrCopy(join(baseDir, BINDING_NAME), join(tmp, BINDING_NAME));
    for (const n of entries) symlinkSync(join(real, n), join(tmp, n));
    rmSync(overlay, { recursive: true, force: true }); // an incomplete one (a folder rename cannot replace a non-empty folder)
    renameSync(tmp, overlay);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!complete(overlay)) throw e; // else another process built the same overlay first
  }
  return overlay;
}

// ---------------------------------------------------------------- set-up

export interface NativeSource {
  lib: EmbeddedFile;
  binding: EmbeddedFile;
}

let source: NativeSource | null = null;
let state: NativeState | null = null;
let failure: Error | null = null;

/** Whether this process runs from a compiled binary whose native files are set up by this module. */
export function isCompiled(): boolean {
  return source !== null;
}

/** The set-up so far (null from source, or in the binary before onnxruntime-node was first used). */
export function nativeState(): NativeState | null {
  return state;
}

/**
 * Extract (if needed) and choose the folder to load from. Idempotent; throws (and keeps throwing) with
 * every cache root's reason when none can hold the files.
 */
export function ensureNative(env: NodeJS.ProcessEnv = process.env): NativeState {
  if (state) return state;
  if (failure) throw failure;
  if (!source) throw new Error("ensureNative: not running from the compiled binary");
  const started = performance.now();
  const notes: string[] = [];
  const tried: string[] = [];
  for (const root of cacheRootCandidates(env)) {
    try {
      const { dir, extracted } = extractInto(root, source.lib, source.binding);
      if (tried.length) notes.push(`cache: ${tried.join("; ")}; using ${root.dir}`);
      let loadDir = dir;
      let providersDir: string | undefined;
      const p = env.TTT_ORT_PROVIDERS_DIR;
      if (p) {
        const missing = CUDA_PROVIDER_LIBS.filter((f) => !exists(join(p, f)));
        if (missing.length) notes.push(`TTT_ORT_PROVIDERS_DIR=${p} lacks ${missing.join(", ")}`);
        else if (hasCudaProvider(dir))
          notes.push(
            `CUDA provider libraries found beside the extracted library; TTT_ORT_PROVIDERS_DIR=${p} not used`,
          );
        else {
          try {
            loadDir = providersOverlay(dir, p);
            providersDir = p;
          } catch (e) {
            notes.push(`cannot join TTT_ORT_PROVIDERS_DIR=${p}: ${(e as Error).message}`);
          }
        }
      }
      state = {
        version: ORT_VERSION,
        dir: loadDir,
        baseDir: dir,
        root,
        extracted,
        ms: performance.now() - started,
        notes,
        ...(providersDir ? { providersDir } : {}),
      };
      return state;
    } catch (e) {
      tried.push(
        `${root.source} ${root.dir} not usable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  }
  failure = new Error(
    `cannot extract ONNX Runtime's native library: ${tried.join("; ")}. Set TTT_CACHE_DIR to a writable folder.`,
  );
  throw failure;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Called first by the compiled entry: remembers the embedded files and wraps process.dlopen so that
 * onnxruntime-node's request for its binding loads the extracted copy (extracting it then if needed).
 */
export function installNativeHook(src: NativeSource): void {
  if (source) return;
  source = src;
  const original = process.dlopen.bind(process) as (module: object, filename: string, flags?: number) => void;
  (process as { dlopen: typeof process.dlopen }).dlopen = ((
    module: object,
    filename: string,
    flags?: number,
  ) => {
    if (typeof filename === "string" && BINDING_REQUEST.test(basename(filename))) {
      const s = ensureNative();
      const target = join(s.dir, BINDING_NAME);
      try {
        return flags === undefined ? original(module, target) : original(module, target, flags);
      } catch (e) {
        throw new Error(
          `cannot load ONNX Runtime from ${s.dir}: ${(e as Error).message}${s.root.source === "TTT_CACHE_DIR" ? "" : " (TTT_CACHE_DIR can name another folder, e.g. one not mounted noexec)"}`,
        );
      }
    }
    return flags === undefined ? original(module, filename) : original(module, filename, flags);
  }) as typeof process.dlopen;
}

/** The embedded files as Bun lists them (compiled binary only): the library at `libPath`, the binding beside it. */
export function embeddedNative(libPath: string): NativeSource {
  const files = (Bun as unknown as { embeddedFiles: (Blob & { name: string })[] }).embeddedFiles;
  const bindingBlob = files.find((f) => BINDING_REQUEST.test(f.name));
  if (!bindingBlob) throw new Error("the binary has no embedded onnxruntime_binding.node");
  const folder = libPath.slice(0, libPath.lastIndexOf("/"));
  return {
    lib: { path: libPath, size: statSync(libPath).size },
    binding: { path: `${folder}/${bindingBlob.name}`, size: bindingBlob.size },
  };
}
