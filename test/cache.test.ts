// Graph cache: content keys, a second request is a hit (build counter and file mtime unchanged), the
// HOME fallback, and reuse of ORT's optimised model.
import { afterAll, describe, expect, test } from "bun:test";
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mlpSpec, mlpToyData } from "../src/models/toy.ts";
import { defaultCacheDir, getGraph, graphCacheStats, graphKey, optimizedPath } from "../src/train/cache.ts";
import { Trainer } from "../src/train/trainer.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-cache-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const o = { inputs: 8, hidden: 16, classes: 3, batch: 8 };
const optim = { kind: "adamw" as const, lr: 1e-3 };

describe("graph cache", () => {
  test("second request is a hit: no rebuild, same bytes, file untouched", () => {
    const req = { spec: mlpSpec(o), kind: "loop" as const, steps: 4, optim };
    const builds = graphCacheStats.builds;
    const a = getGraph(req, { cacheDir: dir });
    expect(a.hit).toBe(false);
    expect(graphCacheStats.builds).toBe(builds + 1);
    // The file's times set to a moment long past: a rewrite, however soon, would move them.
    const past = new Date("2001-02-03T04:05:06Z");
    utimesSync(a.path!, past, past);
    const { mtimeMs: mtime, ino } = statSync(a.path!);
    // a fresh spec object with the same content (different initial weights do not matter)
    const b = getGraph({ ...req, spec: mlpSpec({ ...o, seed: 5 }) }, { cacheDir: dir });
    expect(b.hit).toBe(true);
    expect(graphCacheStats.builds).toBe(builds + 1);
    expect(b.key).toBe(a.key);
    expect(b.bytes).toEqual(a.bytes);
    expect(statSync(a.path!)).toMatchObject({ mtimeMs: mtime, ino });
    expect(mtime).toBe(past.getTime());
  });

  test("a damaged cache file (flipped byte, cut short, checksum missing) is rebuilt, not trusted", () => {
    const req = { spec: mlpSpec(o), kind: "infer" as const };
    const sub = mkdtempSync(join(dir, "damage-"));
    const fresh = getGraph(req, { cacheDir: sub });
    const damages: [string, (p: string) => void][] = [
      [
        "flipped byte",
        (p) => {
          const b = readFileSync(p);
          b[b.length >> 1]! ^= 0x40;
          writeFileSync(p, b);
        },
      ],
      ["cut short", (p) => truncateSync(p, 100)],
      ["not a model", (p) => writeFileSync(p, "not an ONNX model")],
      ["checksum missing", (p) => unlinkSync(`${p}.sha256`)],
    ];
    for (const [name, damage] of damages) {
      damage(fresh.path!);
      const [builds, damaged] = [graphCacheStats.builds, graphCacheStats.damaged];
      const again = getGraph(req, { cacheDir: sub });
      expect({
        name,
        hit: again.hit,
        rebuilt: graphCacheStats.builds - builds,
        damaged: graphCacheStats.damaged - damaged,
      }).toEqual({ name, hit: false, rebuilt: 1, damaged: 1 });
      expect(again.bytes).toEqual(fresh.bytes);
      // rewritten whole: the next request is a hit again
      expect(getGraph(req, { cacheDir: sub }).hit).toBe(true);
    }
  });

  test("keys change with K, kind, optimizer, shapes and dtype", () => {
    const base = { spec: mlpSpec(o), kind: "loop" as const, steps: 4, optim };
    const k = graphKey(base).key;
    const others = [
      { ...base, steps: 5 },
      { ...base, kind: "train" as const },
      { ...base, optim: { ...optim, lr: 2e-3 } },
      { ...base, spec: mlpSpec({ ...o, batch: 9 }) },
      { ...base, spec: mlpSpec({ ...o, dtype: "float64" }) },
      { ...base, spec: mlpSpec({ ...o, fixed: true }) },
    ].map((r) => graphKey(r).key);
    expect(new Set([k, ...others]).size).toBe(others.length + 1);
    // the optimizer does not shape the inference graph
    expect(graphKey({ ...base, kind: "infer" }).key).toBe(
      graphKey({ ...base, kind: "infer", optim: { ...optim, lr: 5 } }).key,
    );
  });

  test("folder: <TTT_CACHE_DIR>/graphs, else ~/.cache/ttt/graphs, else a private temp folder when HOME is unwritable", () => {
    const saved = { home: process.env.HOME, dir: process.env.TTT_CACHE_DIR, xdg: process.env.XDG_CACHE_HOME };
    delete process.env.XDG_CACHE_HOME;
    try {
      process.env.TTT_CACHE_DIR = join(dir, "override");
      expect(defaultCacheDir()).toBe(join(dir, "override", "graphs"));
      delete process.env.TTT_CACHE_DIR;
      process.env.HOME = join(dir, "home");
      expect(defaultCacheDir()).toBe(join(dir, "home", ".cache", "ttt", "graphs"));
      process.env.HOME = "/proc/ttt-no-such-home";
      const fallback = defaultCacheDir();
      expect(fallback.startsWith(tmpdir())).toBe(true);
      expect(fallback.endsWith(join("graphs"))).toBe(true);
    } finally {
      if (saved.home === undefined) delete process.env.HOME;
      else process.env.HOME = saved.home;
      if (saved.dir === undefined) delete process.env.TTT_CACHE_DIR;
      else process.env.TTT_CACHE_DIR = saved.dir;
      if (saved.xdg !== undefined) process.env.XDG_CACHE_HOME = saved.xdg;
    }
  });

  test("trainer: second trainer hits the cache; reused optimised model gives identical results", async () => {
    const spec = mlpSpec({ ...o, fixed: true });
    const data = mlpToyData(o, o.batch, 2);
    const run = async () => {
      const t = await Trainer.create(spec, {
        optim,
        cacheDir: dir,
        reuseOptimized: true,
        session: { ep: "cpu", intraOpThreads: 1 },
      });
      t.setBatch(data);
      const losses = await t.step(5);
      await t.release();
      return { t, losses };
    };
    const a = await run();
    expect(a.t.stats.graphHits).toBe(0);
    const g = getGraph({ spec, kind: "loop", steps: 5, optim }, { cacheDir: dir });
    const opt = optimizedPath(g.path!, "cpu", "all");
    expect(statSync(opt).size).toBeGreaterThan(0);
    const b = await run();
    expect(b.t.stats.graphHits).toBe(1);
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    expect(b.t.getState().params.w1).toEqual(a.t.getState().params.w1!);
  });
});
