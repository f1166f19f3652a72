// Our serialised graphs against the reference ONNX tooling (Debian's python3-onnx, 1.12 here):
// onnx.checker.check_model(full_check=True), and strict shape inference whose results must agree with
// the static shapes our builder inferred. Skips, loudly, where /usr/bin/python3 cannot import onnx.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as G from "../src/graph/index.ts";
import type { Graph } from "../src/graph/index.ts";
import { buildCase } from "./support/gradcheck.ts";
import { CASES } from "./support/gradcheck-cases.ts";
import { everyOpGraph } from "./support/op-table.ts";
import { compositeGradGraph, sgdLoopGraph } from "./support/sample-graphs.ts";

// TTT_ONNX_PYTHON overrides the interpreter (e.g. to see the skip path: TTT_ONNX_PYTHON=/nonexistent).
const PYTHON = process.env.TTT_ONNX_PYTHON ?? "/usr/bin/python3";
const ONE_LINER = "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)";
const SCRIPT = join(import.meta.dir, "support", "onnx_check.py");

function onnxImportable(): boolean {
  try {
    return (
      Bun.spawnSync([PYTHON, "-c", "import onnx"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
    );
  } catch {
    return false;
  }
}
const HAS_ONNX = onnxImportable();
if (!HAS_ONNX) {
  console.warn(
    `\n!!!!! test/onnx-checker.test.ts SKIPPED: ${PYTHON} cannot import onnx.\n` +
      "!!!!! Our ONNX files are NOT being checked against onnx.checker or ONNX shape inference.\n" +
      "!!!!! Install Debian's python3-onnx (apt-get install python3-onnx) to run these checks.\n",
  );
}

const ELEM: Record<string, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };

type Inferred = Record<string, { elem: number; dims: (number | null)[] | null }>;
interface PyResult {
  check: string;
  infer: string;
  types: Inferred;
}

/** The three graphs named in the brief, then one gradient graph per gradient-check case. */
function models(): { name: string; g: Graph }[] {
  return [
    { name: "every-op forward graph", g: everyOpGraph().g },
    { name: "composite gradient graph (float32)", g: compositeGradGraph() },
    { name: "SGD Loop (gradients in a body reading outer tensors)", g: sgdLoopGraph() },
    ...CASES.map((c) => ({ name: `gradient of ${c.name}`, g: buildCase(c).g })),
  ];
}

/** Every node output of `g` and of its Loop bodies, with our static dtype and shape. */
function ourValues(g: Graph, out = new Map<string, { elem: number; dims: number[]; op: string }>()) {
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      const t = g.get(o);
      out.set(o, { elem: ELEM[t.dtype]!, dims: [...t.shape], op: n.opType });
    }
    for (const a of Object.values(n.attrs)) if (a.kind === "graph") ourValues(a.value, out);
  }
  return out;
}

describe("ONNX checker and shape inference (python3-onnx)", () => {
  let dir = "";
  const files: { name: string; path: string; g: Graph }[] = [];
  let results: Record<string, PyResult> = {};

  beforeAll(() => {
    if (!HAS_ONNX) return;
    dir = mkdtempSync(join(tmpdir(), "ttt-onnx-check-"));
    models().forEach(({ name, g }, i) => {
      const path = join(dir, `m${i}.onnx`);
      writeFileSync(path, G.toModelBytes(g));
      files.push({ name, path, g });
    });
    const p = Bun.spawnSync([PYTHON, SCRIPT, ...files.map((f) => f.path)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    if (p.exitCode !== 0) throw new Error(`onnx_check.py failed: ${p.stderr.toString()}`);
    results = JSON.parse(p.stdout.toString());
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.skipIf(!HAS_ONNX)(
    "check_model(full_check=True) accepts the every-op, composite-gradient and Loop graphs",
    () => {
      for (const f of files.slice(0, 3)) {
        const p = Bun.spawnSync([PYTHON, "-c", ONE_LINER, f.path], { stdout: "pipe", stderr: "pipe" });
        if (p.exitCode !== 0)
          throw new Error(`${f.name}: ${p.stderr.toString().trim().split("\n").slice(-3).join("\n")}`);
      }
    },
  );

  test.skipIf(!HAS_ONNX)(
    "check_model(full_check=True) and strict shape inference accept every gradient-check graph",
    () => {
      const failed = files.flatMap((f) => {
        const r = results[f.path]!;
        return r.check === "ok" && r.infer === "ok" ? [] : [`${f.name}: check=${r.check} infer=${r.infer}`];
      });
      expect(failed).toEqual([]);
      expect(files.length).toBe(3 + CASES.length);
    },
  );

  test.skipIf(!HAS_ONNX)("ONNX's inferred dtype and shape of every node output agree with ours", () => {
    const mismatches: string[] = [];
    let compared = 0;
    let unknownDims = 0;
    const unknownBy = new Map<string, number>();
    for (const f of files) {
      const theirs = results[f.path]!.types;
      for (const [name, ours] of ourValues(f.g)) {
        const t = theirs[name];
        compared++;
        if (!t) {
          mismatches.push(`${f.name}: ${name} (${ours.op}) not inferred`);
          continue;
        }
        if (t.elem !== ours.elem)
          mismatches.push(`${f.name}: ${name} (${ours.op}) elem ${t.elem} vs ours ${ours.elem}`);
        if (t.dims === null) {
          unknownDims += ours.dims.length;
          unknownBy.set(ours.op, (unknownBy.get(ours.op) ?? 0) + 1);
          continue;
        }
        if (t.dims.length !== ours.dims.length || t.dims.some((d, i) => d !== null && d !== ours.dims[i])) {
          mismatches.push(
            `${f.name}: ${name} (${ours.op}) onnx [${t.dims.map((d) => d ?? "?")}] vs ours [${ours.dims}]`,
          );
        }
        const unknown = t.dims.filter((d) => d === null).length;
        if (unknown) {
          unknownDims += unknown;
          unknownBy.set(ours.op, (unknownBy.get(ours.op) ?? 0) + 1);
        }
      }
    }
    expect(mismatches).toEqual([]);
    const summary = [...unknownBy].map(([op, n]) => `${op} ${n}`).join(", ");
    console.error(
      `[onnx-checker] ${files.length} models, ${compared} node outputs compared; ${unknownDims} dims left unknown by onnx shape inference (values by producing op: ${summary || "none"})`,
    );
    expect(compared).toBeGreaterThan(1000);
  });
});
