#!/usr/bin/env bun
// `bun run build`: the single-file ttt binary for linux-x64 (dist/ttt by default), with ONNX Runtime's
// native library and binding embedded (src/binary-entry.ts, native.ts). Checks the result by
// running `ttt --version` with a throw-away cache folder, and prints the size. The digest of the code
// that builds graphs (src/train/source-digest.ts) is taken here from the sources being compiled and
// defined into the binary as TTT_GRAPH_SOURCE_DIGEST: the binary's graph cache keys then match a
// checkout's with the same sources.
//   bun scripts/build.ts [--outfile path] [--no-check]
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { computeSourceDigest } from "../src/train/source-digest.ts";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const args = process.argv.slice(2);
const at = args.indexOf("--outfile");
const outfile = resolve(at >= 0 && args[at + 1] ? args[at + 1]! : join(root, "dist", "ttt"));
const check = !args.includes("--no-check");

if (process.platform !== "linux" || process.arch !== "x64") {
  console.error(
    `build: the binary embeds onnxruntime-node's linux-x64 library; this is ${process.platform}-${process.arch}`,
  );
  process.exit(1);
}
const lib = join(root, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1");
if (!existsSync(lib)) {
  console.error(`build: ${lib} is missing; run \`ONNXRUNTIME_NODE_INSTALL=skip bun install\` first`);
  process.exit(1);
}

const started = performance.now();
const graphSource = computeSourceDigest(root);
// --bytecode (ESM): the bundle is parsed ahead of time; `ttt --version` starts in ~30 ms instead of ~55.
const cmd = [
  process.execPath,
  "build",
  "--compile",
  "--target=bun-linux-x64",
  "--minify-syntax",
  "--minify-whitespace",
  "--bytecode",
  "--format=esm",
  `--define=TTT_GRAPH_SOURCE_DIGEST=${JSON.stringify(graphSource.digest)}`,
  join(root, "src/binary-entry.ts"),
  "--outfile",
  outfile,
];
// Bun inlines process.env.NODE_ENV at build time from the environment (e.g. "test" under bun test,
// which would quieten consola in the binary); a release binary is "production".
const built = Bun.spawnSync(cmd, {
  cwd: root,
  env: { ...process.env, NODE_ENV: "production" },
  stdout: "pipe",
  stderr: "pipe",
});
if (built.exitCode !== 0) {
  process.stderr.write(built.stdout.toString() + built.stderr.toString());
  console.error(`build: bun build failed (exit ${built.exitCode})`);
  process.exit(1);
}
const seconds = (performance.now() - started) / 1000;
const mb = statSync(outfile).size / 2 ** 20;

if (check) {
  const cache = mkdtempSync(join(tmpdir(), "ttt-build-check-"));
  try {
    const run = Bun.spawnSync([outfile, "--version"], {
      cwd: tmpdir(),
      env: { ...process.env, TTT_CACHE_DIR: cache },
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = run.stdout.toString().trim();
    if (run.exitCode !== 0 || out !== pkg.version) {
      console.error(
        `build: ${outfile} --version gave exit ${run.exitCode}, "${out}" ${run.stderr.toString().trim()}`,
      );
      process.exit(1);
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
console.log(
  `built ${outfile} (ttt ${pkg.version}, linux-x64, ${mb.toFixed(1)} MiB, graph code ${graphSource.digest.slice(0, 16)} from ${graphSource.files.length} files) in ${seconds.toFixed(1)}s`,
);
