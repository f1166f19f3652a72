// Sessions: the execution-provider choice (auto falls back to the CPU with its reason on a machine
// without the CUDA provider), options, and registration for release.
import { describe, expect, spyOn, test } from "bun:test";
import { consola } from "consola";
import * as ort from "onnxruntime-node";
import * as G from "../src/graph/index.ts";
import { cudaLibraryCheck, resetProviderState } from "../src/runtime/providers.ts";
import { openSessions } from "../src/runtime/registry.ts";
import { createSession, tensor } from "../src/runtime/session.ts";
import { waitFor } from "./support/wait.ts";

function tinyModel(): Uint8Array {
  const g = new G.Graph("tiny");
  const x = g.input("x", "float32", [3]);
  g.output(G.mul(x, 2), "y");
  return G.toModelBytes(g);
}

function captureInfo<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const saved = consola.info;
  consola.info = ((...args: unknown[]) => void lines.push(args.map(String).join(" "))) as typeof consola.info;
  return fn()
    .then((result) => ({ result, lines }))
    .finally(() => {
      consola.info = saved;
    });
}

const haveCuda = cudaLibraryCheck().present;

describe("execution provider", () => {
  test.skipIf(haveCuda)("auto falls back to the CPU, saying why in one log line", async () => {
    resetProviderState();
    const { result: s, lines } = await captureInfo(() =>
      createSession(tinyModel(), { ep: "auto", label: "tiny" }),
    );
    expect(s.provider).toBe("cpu");
    expect(s.reason).toMatch(/libonnxruntime_providers_(shared|cuda)\.so.*not found/);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/execution provider: cpu \(ep=auto: CUDA provider library .* not found/);
    // the same decision is not announced again
    const again = await captureInfo(() => createSession(tinyModel(), { label: "tiny2" }));
    expect(again.result.provider).toBe("cpu");
    expect(again.lines.length).toBe(0);
    const out = await s.run({ x: tensor("float32", Float32Array.of(1, 2, 3), [3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 4, 6]);
  });

  test.skipIf(haveCuda)("ep=cuda without the provider fails with the reason", async () => {
    await expect(createSession(tinyModel(), { ep: "cuda" })).rejects.toThrow(
      /ep=cuda: CUDA provider library .* not found/,
    );
  });

  test("cpu with threads, spinning and optimisation level; sessions are registered and released", async () => {
    const before = openSessions().length;
    const a = await createSession(tinyModel(), {
      ep: "cpu",
      intraOpThreads: 2,
      spinning: false,
      optLevel: "basic",
      label: "a",
    });
    const b = await createSession(tinyModel(), {
      ep: "cpu",
      intraOpThreads: 1,
      spinning: true,
      optLevel: "disabled",
      label: "b",
    });
    expect(a.provider).toBe("cpu");
    expect(a.reason).toBe("requested");
    expect(openSessions().length).toBe(before + 2);
    expect(openSessions().map((e) => e.label)).toContain("b");
    await b.release();
    await b.release(); // idempotent
    expect(openSessions().length).toBe(before + 1);
    const out = await a.run({ x: tensor("float32", Float32Array.of(0.5, 1, 1.5), [3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 2, 3]);
  });
});

describe("trainer set-up failure", () => {
  test("a trainer whose Loop graph cannot be made leaves no session open (injected fault: the model's training forward throws)", async () => {
    const { colourMapFamily } = await import("../src/models/colour-map.ts");
    const { ortTrainerFactory } = await import("../src/loop/trainer.ts");
    const { taskFromJson } = await import("../src/arc/index.ts");
    const task = taskFromJson("leak", {
      train: [{ input: [[1, 0]], output: [[2, 0]] }],
      test: [{ input: [[0, 1]] }],
    });
    const model = colourMapFamily.build(task, { seed: 0 });
    const spec = model.spec;
    // Injected fault: building the training graph fails; the inference graph (opened alongside) is fine.
    const broken = {
      ...model,
      spec: {
        ...spec,
        key: `${spec.key}-broken-training`,
        forward: ((g, p, b, n, mode) => {
          if (mode === "train") throw new Error("injected: no training graph");
          return spec.forward(g, p, b, n, mode);
        }) as typeof spec.forward,
      },
    };
    // Every session ONNX Runtime creates during the set-up is followed, so that one still being created
    // when the factory gives up (and released by nobody) is waited for and caught.
    let started = 0;
    const created: ort.InferenceSession[] = [];
    const released = new Set<ort.InferenceSession>();
    const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (
      ...a: unknown[]
    ) => Promise<ort.InferenceSession>;
    const spy = spyOn(ort.InferenceSession, "create").mockImplementation((async (...a: unknown[]) => {
      started++;
      const s = await create(...a);
      const release = s.release.bind(s);
      s.release = () => {
        released.add(s);
        return release();
      };
      created.push(s);
      return s;
    }) as typeof ort.InferenceSession.create);
    const before = openSessions().length;
    try {
      await expect(ortTrainerFactory(broken, { ep: "cpu", threads: 1, chunk: 4, seed: 0 })).rejects.toThrow(
        /injected: no training graph/,
      );
      await waitFor(() => created.length === started && created.every((s) => released.has(s)), {
        what: "every session opened during the failed set-up to be created and released",
        timeoutMs: 3_000,
        detail: () => `${started} started, ${created.length} created, ${released.size} released`,
      });
    } finally {
      spy.mockRestore();
    }
    expect(started).toBeGreaterThan(0); // the inference session was opened, then released
    expect(openSessions().length).toBe(before);
  });
});
