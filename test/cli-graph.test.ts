// `ttt graph`: writes a loadable ONNX file and reports size and node count; a bad model is a usage error.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consola } from "consola";
import { runCli } from "../src/cli/main.ts";
import { createSession } from "../src/runtime/session.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-graph-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function capture(args: string[]) {
  const lines: string[] = [];
  const saved = { log: consola.log, err: console.error };
  consola.log = ((...a: unknown[]) => void lines.push(a.map(String).join(" "))) as typeof consola.log;
  console.error = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  try {
    return { code: await runCli(args), lines };
  } finally {
    consola.log = saved.log;
    console.error = saved.err;
  }
}

test("ttt graph transformer --kind loop writes a loadable graph and prints size and node count", async () => {
  const out = join(dir, "t.onnx");
  const { code, lines } = await capture([
    "graph",
    "transformer",
    "--out",
    out,
    "--kind",
    "loop",
    "--steps",
    "3",
  ]);
  expect(code).toBe(0);
  expect(statSync(out).size).toBeGreaterThan(10000);
  expect(lines.join("\n")).toMatch(/transformer loop K=3, [\d.]+ KiB, \d+ nodes \(\d+ with the Loop body\)/);
  const s = await createSession(out, { ep: "cpu" });
  expect(s.outputNames).toContain("losses");
});

test("ttt graph mlp --kind infer", async () => {
  const out = join(dir, "m.onnx");
  const { code, lines } = await capture(["graph", "mlp", "--out", out, "--kind", "infer"]);
  expect(code).toBe(0);
  expect(lines.join("\n")).toMatch(/mlp infer, [\d.]+ KiB, \d+ nodes/);
});

test("unknown model or kind: usage error, exit 2", async () => {
  const a = await capture(["graph", "resnet", "--out", join(dir, "x.onnx")]);
  expect(a.code).toBe(2);
  expect(a.lines.join("\n")).toMatch(/unknown model "resnet"/);
  const b = await capture(["graph", "mlp", "--out", join(dir, "x.onnx"), "--kind", "sideways"]);
  expect(b.code).toBe(2);
});

const hasOnnx =
  Bun.spawnSync(["/usr/bin/python3", "-c", "import onnx"], { stderr: "ignore", stdout: "ignore" })
    .exitCode === 0;
if (!hasOnnx) console.error("[cli-graph] python3-onnx missing: the ONNX checker test skips");

test.skipIf(!hasOnnx)("onnx.checker (full check) accepts every graph kind of both toy models", async () => {
  const files: string[] = [];
  for (const model of ["mlp", "transformer"]) {
    for (const kind of ["train", "loop", "infer"]) {
      const out = join(dir, `${model}-${kind}.onnx`);
      expect(
        (await capture(["graph", model, "--out", out, "--kind", kind, "--steps", "2", "--batch", "4"])).code,
      ).toBe(0);
      files.push(out);
    }
  }
  const script =
    "import onnx, sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint('ok', len(sys.argv) - 1)";
  const r = Bun.spawnSync(["/usr/bin/python3", "-c", script, ...files]);
  expect(r.stderr.toString()).toBe("");
  expect(r.stdout.toString().trim()).toBe("ok 6");
});
