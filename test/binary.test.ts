// The compiled binary (scripts/build.ts): built once into a temp folder and run from elsewhere, alone.
// Covers: lazy extraction (--version writes nothing), one extraction per version folder and a warm start
// after it, repair of a damaged extracted file, a current folder whose node_modules holds other (fake)
// packages, HOME unusable (temp-folder fallback), TTT_CACHE_DIR and its fallback, several copies
// starting at the same moment, the graph code digest defined at build time, TTT_ORT_PROVIDERS_DIR joined in an overlay, and a fixture solve with
// worker processes. TTT_KEEP=1 keeps the temp folder for a look.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  lstatSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeSourceDigest } from "../src/train/source-digest.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";
import { literal, ORT_VERSION, TTT_VERSION } from "./support/versions.ts";

const supported = process.platform === "linux" && process.arch === "x64";
const ORT_DIR = join(PROJECT_ROOT, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64");
const FIXTURES = join(PROJECT_ROOT, "fixtures/tasks_challenges.json");

let work = "";
let bin = "";

beforeAll(() => {
  if (!supported) return;
  work = mkdtempSync(join(tmpdir(), "ttt-binary-test-"));
  mkdirSync(join(work, "bin"));
  bin = join(work, "bin", "ttt");
  const r = Bun.spawnSync(
    [process.execPath, join(PROJECT_ROOT, "scripts/build.ts"), "--outfile", bin, "--no-check"],
    { cwd: PROJECT_ROOT, stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`build failed: ${r.stdout.toString()}${r.stderr.toString()}`);
});

afterAll(() => {
  if (work && !process.env.TTT_KEEP) rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: only PATH and what the test sets (no TTT_* or cache settings from outside). */
function env(extra: Record<string, string | undefined>): Record<string, string> {
  const e: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) e[k] = v;
  return e;
}

function run(args: string[], cwd: string, extra: Record<string, string | undefined>): Run {
  const r = Bun.spawnSync([bin, ...args], { cwd, env: env(extra), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

async function runAsync(
  args: string[],
  cwd: string,
  extra: Record<string, string | undefined>,
): Promise<Run> {
  const p = Bun.spawn([bin, ...args], { cwd, env: env(extra), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

/** A fresh folder under the test's temp folder. */
function fresh(name: string): string {
  const d = join(work, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

interface Doctor {
  ok: boolean;
  ttt: { version: string; compiled: boolean };
  onnxruntime: { version: string; libraryDir: string | null };
  providers: { name: string; available: boolean; reason: string }[];
  cache: {
    root: string | null;
    source: string | null;
    graphCode: { digest: string; source: string } | null;
    native: { dir: string; baseDir: string; extractedNow: boolean } | null;
    notes: string[];
  };
}

function doctor(cwd: string, extra: Record<string, string | undefined>): Doctor {
  const r = run(["doctor", "--json"], cwd, extra);
  if (r.code !== 0) throw new Error(`doctor exit ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as Doctor;
}

/** The ort-* folders of a cache root, and leftovers of interrupted writes anywhere in it. */
function cacheContents(root: string): { versions: string[]; temps: string[] } {
  const versions = existsSync(root) ? readdirSync(root).filter((n) => n.startsWith("ort-")) : [];
  const temps: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      if (n.endsWith(".tmp")) temps.push(join(d, n));
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  if (existsSync(root)) walk(root);
  return { versions, temps };
}

/** Both extracted files present with the sizes of onnxruntime-node's own. */
function expectComplete(dir: string): void {
  for (const f of ["libonnxruntime.so.1", "onnxruntime_binding.node"])
    expect(statSync(join(dir, f)).size).toBe(statSync(join(ORT_DIR, f)).size);
}

describe.skipIf(!supported)("compiled binary", () => {
  test("--version from another folder prints the version and extracts nothing", () => {
    const cache = join(work, "cache-version");
    const r = run(["--version"], tmpdir(), { HOME: work, TTT_CACHE_DIR: cache });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(TTT_VERSION);
    expect(existsSync(cache)).toBe(false);
  });

  test("the graph code digest is the one taken from these sources at build time (the checkout computes the same)", () => {
    const cache = join(work, "cache-digest");
    const r = run(["cache", "show", "--json"], tmpdir(), { HOME: work, TTT_CACHE_DIR: cache });
    expect(r.code).toBe(0);
    const expected = computeSourceDigest(PROJECT_ROOT).digest;
    expect(JSON.parse(r.stdout)).toMatchObject({
      code: { digest: expected, source: "binary" },
      current: expected.slice(0, 16),
    });
    const d = doctor(tmpdir(), { HOME: work, TTT_CACHE_DIR: cache });
    expect(d.cache.graphCode).toEqual({ digest: expected, source: "binary" });
  });

  test("doctor extracts once into a per-version folder; the next start finds it; a damaged file is replaced", () => {
    const cache = join(work, "cache-once");
    const first = doctor(tmpdir(), { HOME: work, TTT_CACHE_DIR: cache });
    expect(first.ok).toBe(true);
    expect(first.ttt.compiled).toBe(true);
    expect(first.onnxruntime.version).toBe(ORT_VERSION);
    expect(first.providers.find((p) => p.name === "cpu")?.available).toBe(true);
    expect(first.cache).toMatchObject({ root: cache, source: "TTT_CACHE_DIR" });
    expect(first.cache.native?.extractedNow).toBe(true);
    const { versions, temps } = cacheContents(cache);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(new RegExp(`^ort-${literal(ORT_VERSION)}-linux-x64-[0-9a-f]{10}$`));
    expect(temps).toEqual([]);
    const dir = join(cache, versions[0]!);
    expect(first.onnxruntime.libraryDir).toBe(dir);
    expectComplete(dir);

    const second = doctor(tmpdir(), { HOME: work, TTT_CACHE_DIR: cache });
    expect(second.cache.native?.extractedNow).toBe(false);
    expect(second.cache.native?.dir).toBe(dir);

    truncateSync(join(dir, "libonnxruntime.so.1"), 1000);
    const repaired = doctor(tmpdir(), { HOME: work, TTT_CACHE_DIR: cache });
    expect(repaired.ok).toBe(true);
    expect(repaired.cache.native?.extractedNow).toBe(true);
    expectComplete(dir);
  });

  test("runs from a folder whose node_modules holds other versions of our packages, with worker processes", () => {
    const here = fresh("foreign");
    const fake = (name: string, version: string) => {
      const d = join(here, "node_modules", name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "package.json"), JSON.stringify({ name, version, main: "index.js" }));
      writeFileSync(join(d, "index.js"), `throw new Error("FAKE ${name} ${version} loaded");\n`);
    };
    for (const [n, v] of [
      ["onnxruntime-node", "0.0.1"],
      ["onnxruntime-common", "0.0.1"],
      ["long", "1.0.0"],
      ["citty", "0.0.1"],
      ["consola", "0.0.1"],
      ["valibot", "0.0.1"],
      ["protobufjs", "1.0.0"],
    ] as const)
      fake(n, v);
    const native = join(here, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64");
    mkdirSync(native, { recursive: true });
    for (const f of [
      "libonnxruntime.so.1",
      "onnxruntime_binding.node",
      "libonnxruntime_providers_shared.so",
      "libonnxruntime_providers_cuda.so",
    ])
      writeFileSync(join(native, f), "not a library\n");
    writeFileSync(
      join(here, "package.json"),
      JSON.stringify({ name: "someone-else", type: "module", dependencies: { "onnxruntime-node": "0.0.1" } }),
    );
    const cache = join(work, "cache-foreign");
    const extra = { HOME: work, TTT_CACHE_DIR: cache };

    const d = doctor(here, extra);
    expect(d.ok).toBe(true);
    expect(d.onnxruntime.version).toBe(ORT_VERSION);
    expect(d.onnxruntime.libraryDir?.startsWith(cache)).toBe(true);
    const cuda = d.providers.find((p) => p.name === "cuda")!;
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toContain(cache); // looked beside the extracted library, not in ./node_modules

    const inspect = run(["inspect", FIXTURES], here, extra);
    expect(inspect.code).toBe(0);

    const sub = join(here, "submission.json");
    const solve = run(
      [
        "solve",
        FIXTURES,
        "--tasks",
        "recolour-1-to-2",
        "--steps",
        "3",
        "--run-dir",
        join(here, "run"),
        "-o",
        sub,
      ],
      here,
      extra,
    );
    expect(`${solve.code} ${solve.stderr}`).toBe(`0 ${solve.stderr}`);
    const answers = JSON.parse(readFileSync(sub, "utf8")) as Record<string, { attempt_1: number[][] }[]>;
    expect(answers["recolour-1-to-2"]?.[0]?.attempt_1.length).toBeGreaterThan(0);
    for (const out of [d, inspect.stdout, inspect.stderr, solve.stdout, solve.stderr])
      expect(JSON.stringify(out)).not.toContain("FAKE");
  }, 120_000);

  test("HOME unusable: the cache falls back to a private folder in the temp directory", () => {
    const base = fresh("no-home");
    const home = join(base, "home-is-a-file");
    writeFileSync(home, "");
    const tmp = join(base, "tmp");
    mkdirSync(tmp);
    const d = doctor(tmpdir(), { HOME: home, TMPDIR: tmp });
    expect(d.ok).toBe(true);
    const uid = process.getuid?.() ?? "user";
    expect(d.cache).toMatchObject({ source: "temp folder", root: join(tmp, `ttt-${uid}`) });
    expect(d.cache.notes.join("\n")).toContain(`HOME ${join(home, ".cache", "ttt")} not usable`);
    expect(statSync(join(tmp, `ttt-${uid}`)).mode & 0o077).toBe(0);
    expectComplete(d.cache.native!.baseDir);
  });

  test.skipIf(process.getuid?.() !== 0)(
    "a temp-folder cache owned by another user is refused (doctor exits 1 and says why)",
    () => {
      const base = fresh("hijacked-tmp");
      const home = join(base, "home-is-a-file");
      writeFileSync(home, "");
      const planted = join(base, "tmp", "ttt-0");
      mkdirSync(planted, { recursive: true });
      chownSync(planted, 65534, 65534);
      const r = run(["doctor", "--json"], tmpdir(), { HOME: home, TMPDIR: join(base, "tmp") });
      expect(r.code).toBe(1);
      const d = JSON.parse(r.stdout) as Doctor;
      expect(d.ok).toBe(false);
      expect(d.providers.find((p) => p.name === "cpu")?.reason).toContain(
        `${planted} belongs to another user (uid 65534)`,
      );
      expect(readdirSync(planted)).not.toContainEqual(expect.stringMatching(/^ort-/));
    },
  );

  test("TTT_CACHE_DIR that cannot be a folder falls back to HOME with a note", () => {
    const base = fresh("bad-cache-dir");
    const notDir = join(base, "file");
    writeFileSync(notDir, "");
    const d = doctor(tmpdir(), { HOME: base, TTT_CACHE_DIR: notDir });
    expect(d.ok).toBe(true);
    expect(d.cache).toMatchObject({ source: "HOME", root: join(base, ".cache", "ttt") });
    expect(d.cache.notes.join("\n")).toContain(`TTT_CACHE_DIR ${notDir} not usable`);
  });

  test("copies starting at the same moment all run and leave one complete folder, no temp files", async () => {
    for (let round = 0; round < 2; round++) {
      const cache = join(work, `cache-race-${round}`);
      rmSync(cache, { recursive: true, force: true });
      const runs = await Promise.all(
        Array.from({ length: 6 }, () =>
          runAsync(["doctor", "--json"], tmpdir(), { HOME: work, TTT_CACHE_DIR: cache }),
        ),
      );
      for (const r of runs) {
        expect(`${r.code} ${r.stderr}`).toBe(`0 ${r.stderr}`);
        expect((JSON.parse(r.stdout) as Doctor).ok).toBe(true);
      }
      const { versions, temps } = cacheContents(cache);
      expect(versions).toHaveLength(1);
      expect(temps).toEqual([]);
      expectComplete(join(cache, versions[0]!));
    }
  }, 60_000);

  test("TTT_ORT_PROVIDERS_DIR is joined in an overlay folder that ORT loads from; a broken CUDA provider falls back to the CPU with a reason", () => {
    const base = fresh("providers");
    const providers = join(base, "cuda-libs");
    mkdirSync(providers);
    for (const f of [
      "libonnxruntime_providers_shared.so",
      "libonnxruntime_providers_cuda.so",
      "libcudnn.so.9",
    ])
      writeFileSync(join(providers, f), "not a library\n");
    const cache = join(base, "cache");
    const d = doctor(tmpdir(), { HOME: base, TTT_CACHE_DIR: cache, TTT_ORT_PROVIDERS_DIR: providers });
    expect(d.ok).toBe(true);
    const overlay = d.onnxruntime.libraryDir!;
    expect(overlay).toMatch(/-providers-[0-9a-f]{10}$/);
    expect(d.cache.native?.dir).toBe(overlay);
    expectComplete(overlay);
    expect(lstatSync(join(overlay, "libcudnn.so.9")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(overlay, "libonnxruntime_providers_cuda.so")).isSymbolicLink()).toBe(true);
    const cuda = d.providers.find((p) => p.name === "cuda")!;
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toMatch(/CUDA provider failed|libonnxruntime_providers/);

    // A second start reuses the overlay; without the variable the plain folder is used again.
    expect(
      doctor(tmpdir(), { HOME: base, TTT_CACHE_DIR: cache, TTT_ORT_PROVIDERS_DIR: providers }).onnxruntime
        .libraryDir,
    ).toBe(overlay);
    expect(doctor(tmpdir(), { HOME: base, TTT_CACHE_DIR: cache }).onnxruntime.libraryDir).toBe(
      d.cache.native!.baseDir,
    );
    expect(cacheContents(cache).temps).toEqual([]);
  });

  // Real shared libraries standing in for the CUDA provider: the cuda one needs libcudnn.so.9 (a stub
  // that only LD_LIBRARY_PATH can reveal) and lacks what ORT looks for in a provider.
  const gcc = Bun.which("gcc") ?? Bun.which("cc");
  test.skipIf(!gcc)(
    "a CUDA provider whose cuDNN is missing is named in the reason; once found, ORT's own failure is; the CPU runs either way",
    () => {
      const base = fresh("fake-cuda");
      const providers = join(base, "providers");
      const stubs = join(base, "stubs");
      mkdirSync(providers);
      mkdirSync(stubs);
      const c = join(base, "empty.c");
      writeFileSync(c, "int ttt_fake_symbol(void) { return 0; }\n");
      const cc = (args: string[]) => {
        const r = Bun.spawnSync([gcc!, "-shared", "-fPIC", ...args], { stdout: "pipe", stderr: "pipe" });
        if (r.exitCode !== 0) throw new Error(`gcc: ${r.stderr.toString()}`);
      };
      cc(["-Wl,-soname,libcudnn.so.9", "-o", join(stubs, "libcudnn.so.9"), c]);
      cc(["-o", join(providers, "libonnxruntime_providers_shared.so"), c]);
      cc([
        "-o",
        join(providers, "libonnxruntime_providers_cuda.so"),
        c,
        "-Wl,--no-as-needed",
        join(stubs, "libcudnn.so.9"),
      ]);
      const cache = join(base, "cache");
      const extra = { HOME: base, TTT_CACHE_DIR: cache, TTT_ORT_PROVIDERS_DIR: providers };

      const missing = doctor(tmpdir(), extra).providers.find((p) => p.name === "cuda")!;
      expect(missing.available).toBe(false);
      expect(missing.reason).toContain(
        "the loader cannot find libcudnn.so.9 (the CUDA runtime and cuDNN 9 the provider was built for",
      );

      const tried = doctor(tmpdir(), { ...extra, LD_LIBRARY_PATH: stubs });
      expect(tried.ok).toBe(true);
      const cuda = tried.providers.find((p) => p.name === "cuda")!;
      expect(cuda.available).toBe(false);
      expect(cuda.reason).toStartWith("ep=cuda: CUDA provider failed:");

      // --ep auto in a solve: one line saying why the CPU was chosen, and an answer anyway.
      const solve = run(
        [
          "solve",
          FIXTURES,
          "--tasks",
          "recolour-1-to-2",
          "--steps",
          "2",
          "--ep",
          "auto",
          "--run-dir",
          join(base, "run"),
          "-o",
          join(base, "sub.json"),
        ],
        base,
        extra,
      );
      expect(`${solve.code} ${solve.stderr}`).toBe(`0 ${solve.stderr}`);
      const lines = solve.stderr.split("\n").filter((l) => l.includes("execution provider: cpu (ep=auto:"));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toContain("libcudnn.so.9");
    },
    60_000,
  );
});
