#!/usr/bin/env bun
// Start-up time of the compiled binary: `ttt --version` and `ttt doctor`, cold (an empty cache folder,
// so doctor extracts ONNX Runtime's library first) and warm (extracted before), median of several runs,
// beside the same commands run from source. "Cold" means an empty ttt cache, not an empty OS page
// cache. Also prints the binary's size and the extraction time doctor reports.
//   bun bench/startup.ts [--runs N] [--binary path]   (default: builds into a temp folder)
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Math.max(1, Number(opt("--runs") ?? 7));
const work = mkdtempSync(join(tmpdir(), "ttt-startup-"));

try {
  // The binary alone in a folder of its own, run from another folder.
  mkdirSync(join(work, "bin"));
  const bin = join(work, "bin", "ttt");
  const given = opt("--binary");
  if (given) copyFileSync(resolve(given), bin);
  else {
    const b = Bun.spawnSync(
      [process.execPath, join(root, "scripts/build.ts"), "--outfile", bin, "--no-check"],
      { cwd: root, stdout: "pipe", stderr: "pipe" },
    );
    if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  }
  const cwd = mkdtempSync(join(work, "cwd-"));
  const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, NO_COLOR: "1" };

  const time = (cmd: string[], env: Record<string, string>, where = cwd): { ms: number; stdout: string } => {
    const t = performance.now();
    const r = Bun.spawnSync(cmd, { cwd: where, env, stdout: "pipe", stderr: "pipe" });
    const ms = performance.now() - t;
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString()}`);
    return { ms, stdout: r.stdout.toString() };
  };
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(0).padStart(6)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

  const rows: [string, number[]][] = [];
  const extraction: number[] = [];
  const warmCheck: number[] = [];
  for (const [label, cmdArgs] of [
    ["--version", ["--version"]],
    ["doctor", ["doctor", "--json"]],
  ] as const) {
    const cold: number[] = [];
    const warm: number[] = [];
    const warmCache = join(work, `warm-${label}`);
    time([bin, ...cmdArgs, ...(label === "--version" ? [] : [])], { ...baseEnv, TTT_CACHE_DIR: warmCache });
    time([bin, "doctor", "--json"], { ...baseEnv, TTT_CACHE_DIR: warmCache }); // extracted: warm from here on
    for (let i = 0; i < runs; i++) {
      const coldCache = join(work, `cold-${label}-${i}`);
      const c = time([bin, ...cmdArgs], { ...baseEnv, TTT_CACHE_DIR: coldCache });
      cold.push(c.ms);
      if (label === "doctor")
        extraction.push((JSON.parse(c.stdout) as { cache: { native: { ms: number } } }).cache.native.ms);
      rmSync(coldCache, { recursive: true, force: true });
      const w = time([bin, ...cmdArgs], { ...baseEnv, TTT_CACHE_DIR: warmCache });
      warm.push(w.ms);
      if (label === "doctor")
        warmCheck.push((JSON.parse(w.stdout) as { cache: { native: { ms: number } } }).cache.native.ms);
    }
    rows.push([`ttt ${label}  cold`, cold], [`ttt ${label}  warm`, warm]);
  }
  const src: [string, number[]][] = [];
  for (const [label, cmdArgs] of [
    ["--version", ["--version"]],
    ["doctor", ["doctor", "--json"]],
  ] as const) {
    const xs: number[] = [];
    const env = { ...baseEnv, TTT_CACHE_DIR: join(work, "source-cache") };
    time([process.execPath, join(root, "src/cli/main.ts"), ...cmdArgs], env, root);
    for (let i = 0; i < runs; i++)
      xs.push(time([process.execPath, join(root, "src/cli/main.ts"), ...cmdArgs], env, root).ms);
    src.push([`bun src/cli/main.ts ${label}`, xs]);
  }

  console.log(
    `binary    ${bin} (${(statSync(bin).size / 2 ** 20).toFixed(1)} MiB), ${runs} runs each, median (min, max) wall time`,
  );
  for (const [label, xs] of [...rows, ...src]) console.log(`${label.padEnd(32)}${fmt(xs)}`);
  console.log(`${"extraction inside doctor  cold".padEnd(32)}${fmt(extraction)}`);
  console.log(`${"size check inside doctor  warm".padEnd(32)}${median(warmCheck).toFixed(2).padStart(6)} ms`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
