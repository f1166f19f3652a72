// The graph cache key covers all the code that builds graphs (src/train/source-digest.ts): the digest
// is the import closure of the graph builders, the checkout's CLI reports the digest the test computes,
// and in a temporary copy of the project an edited autodiff rule gives a new key: a solve there builds
// its graphs anew into a new code folder instead of reading the old ones; `ttt cache prune` then removes
// the old code's folder. (The compiled binary's digest: test/binary.test.ts.)
import { afterAll, describe, expect, test } from "bun:test";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mlpSpec } from "../src/models/toy.ts";
import { graphKey } from "../src/train/cache.ts";
import { computeSourceDigest, graphSourceDigest } from "../src/train/source-digest.ts";
import { PROJECT_ROOT } from "./helpers/cli.ts";

const work = mkdtempSync(join(tmpdir(), "ttt-source-digest-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cache = join(work, "cache");

/** `bun src/cli/main.ts ...args` in `root` with the test's cache folder. */
function ttt(root: string, args: string[]) {
  const r = Bun.spawnSync([process.execPath, "src/cli/main.ts", ...args], {
    cwd: root,
    env: { ...process.env, TTT_CACHE_DIR: cache, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A copy of the project's sources (node_modules linked) that the test may edit. */
function copyProject(name: string): string {
  const root = join(work, name);
  cpSync(join(PROJECT_ROOT, "src"), join(root, "src"), { recursive: true });
  cpSync(join(PROJECT_ROOT, "fixtures"), join(root, "fixtures"), { recursive: true });
  cpSync(join(PROJECT_ROOT, "package.json"), join(root, "package.json"));
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(root, "node_modules"));
  return root;
}

const graphsDir = join(cache, "graphs");
const codeFolders = () => (existsSync(graphsDir) ? readdirSync(graphsDir).sort() : []);
const graphFiles = (folder: string) =>
  readdirSync(join(graphsDir, folder))
    .filter((f) => f.endsWith(".onnx") && !f.includes(".opt-"))
    .sort();

const SOLVE = ["--family", "colour-map", "--ep", "cpu", "--steps", "10", "--chunk", "5", "--patience", "0"];
const solve = (root: string, runDir: string) => {
  const r = ttt(root, [
    "solve",
    "fixtures/tasks_challenges.json",
    "--tasks",
    "recolour-1-to-2",
    "--workers",
    "1",
    "--run-dir",
    join(work, runDir),
    "-o",
    join(work, `${runDir}.json`),
    ...SOLVE,
  ]);
  if (r.code !== 0) throw new Error(`solve in ${root} failed (exit ${r.code}): ${r.stderr}`);
};

describe("graph source digest", () => {
  test("the digest covers the graph builders' import closure; the CLI reports the same digest", () => {
    const d = computeSourceDigest(PROJECT_ROOT);
    expect(graphSourceDigest()).toEqual({ digest: d.digest, source: "checkout" });
    const paths = d.files.map((f) => f.path);
    for (const p of [
      "src/autodiff/rules/elementwise.ts",
      "src/autodiff/driver.ts",
      "src/optim/adam.ts",
      "src/graph/serialize.ts",
      "src/graph/protobuf.ts",
      "src/train/build.ts",
      "src/models/multitensor/pointwise.ts",
      "src/models/colour-map.ts",
    ])
      expect(paths).toContain(p);
    // what runs tasks but does not shape a graph stays out (its changes keep the cache)
    expect(paths.some((p) => p.startsWith("src/loop/") || p.startsWith("src/cli/"))).toBe(false);
    const r = ttt(PROJECT_ROOT, ["cache", "show", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).code).toEqual({ digest: d.digest, source: "checkout" });
  });

  test("an edited autodiff rule in a copy: new digest, new key, the solve builds into a new folder; prune removes the old", () => {
    const copy = copyProject("copy");
    const before = computeSourceDigest(copy).digest;
    expect(before).toBe(computeSourceDigest(PROJECT_ROOT).digest);

    solve(PROJECT_ROOT, "run-original");
    const [original] = codeFolders();
    expect(codeFolders()).toEqual([before.slice(0, 16)]);
    const originalGraphs = graphFiles(original!);
    expect(originalGraphs.length).toBeGreaterThan(0);
    // the unchanged copy: the same digest, so the same folder and files (read back, not rebuilt)
    solve(copy, "run-copy");
    expect(codeFolders()).toEqual([original!]);
    expect(graphFiles(original!)).toEqual(originalGraphs);

    // Mul's gradient with its operands swapped: the same values, a different graph
    const rule = join(copy, "src/autodiff/rules/elementwise.ts");
    const text = readFileSync(rule, "utf8");
    const edited = text.replace("needs(0) ? G.mul(dY[0]!, b!) : null", "needs(0) ? G.mul(b!, dY[0]!) : null");
    expect(edited).not.toBe(text);
    writeFileSync(rule, edited);
    const after = computeSourceDigest(copy).digest;
    expect(after).not.toBe(before);

    const keyIn = (root: string) => {
      const script = `import { graphKey } from "./src/train/cache.ts"; import { mlpSpec } from "./src/models/toy.ts";
        console.log(graphKey({ spec: mlpSpec({ inputs: 4, hidden: 8, classes: 3, batch: 2 }), kind: "train", optim: { kind: "adamw", lr: 0.001 } }).key);`;
      const r = Bun.spawnSync([process.execPath, "-e", script], {
        cwd: root,
        stdout: "pipe",
        stderr: "pipe",
      });
      return r.stdout.toString().trim();
    };
    const here = graphKey({
      spec: mlpSpec({ inputs: 4, hidden: 8, classes: 3, batch: 2 }),
      kind: "train",
      optim: { kind: "adamw", lr: 0.001 },
    }).key;
    expect(keyIn(PROJECT_ROOT)).toBe(here);
    const there = keyIn(copy);
    expect(there).toMatch(/^[0-9a-f]{64}$/);
    expect(there).not.toBe(here);

    solve(copy, "run-edited");
    expect(codeFolders()).toEqual([original!, after.slice(0, 16)].sort());
    const rebuilt = graphFiles(after.slice(0, 16));
    expect(rebuilt.length).toBe(originalGraphs.length);
    expect(rebuilt).not.toEqual(originalGraphs); // other keys, so other names
    // the graphs differ in content, not only in name: the old file would have been another model
    const train = (folder: string, files: string[]) =>
      readFileSync(join(graphsDir, folder, files.find((f) => f.startsWith("loop-")) ?? files[0]!));
    expect(Buffer.compare(train(original!, originalGraphs), train(after.slice(0, 16), rebuilt))).not.toBe(0);

    const show = JSON.parse(ttt(copy, ["cache", "show", "--json"]).stdout);
    expect(show.current).toBe(after.slice(0, 16));
    expect(show.stale.map((s: { name: string }) => s.name)).toEqual([original!]);
    expect(show.staleBytes).toBeGreaterThan(0);
    const prune = ttt(copy, ["cache", "prune"]);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain(`removed  ${original!}`);
    expect(codeFolders()).toEqual([after.slice(0, 16)]);
    const doctor = ttt(copy, ["doctor", "--json"]);
    const usage = JSON.parse(doctor.stdout).cache.graphUsage;
    expect(usage).toMatchObject({ currentFolder: after.slice(0, 16), staleEntries: 0, staleBytes: 0 });
    expect(usage.currentFiles).toBeGreaterThan(0);
  });
});
