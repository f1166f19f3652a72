import { describe, expect, test } from "bun:test";
import { hashString, Rng } from "../src/arc/index.ts";

describe("Rng", () => {
  test("the same seed gives the same sequence; different seeds differ", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 50 }, () => a.nextUint32());
    expect(Array.from({ length: 50 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 50 }, () => c.nextUint32())).not.toEqual(xs);
  });

  test("pinned first values (the sequence never changes silently)", () => {
    const r = new Rng(1);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([2527132011, 314344336, 2535364964]);
  });

  test("string seeds hash with FNV-1a 32", () => {
    expect(hashString("")).toBe(0x811c9dc5);
    expect(hashString("a")).toBe(0xe40c292c);
    expect(new Rng("007bbfb7").float()).toBe(new Rng(hashString("007bbfb7")).float());
  });

  test("ranges and rough uniformity", () => {
    const r = new Rng(9);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
      counts[r.int(10)]++;
    }
    for (const n of counts) expect(Math.abs(n - 2000)).toBeLessThan(200);
    for (let i = 0; i < 1000; i++) {
      const v = r.between(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
    expect(() => r.int(0)).toThrow(RangeError);
  });

  test("shuffle is a permutation and leaves its input alone", () => {
    const r = new Rng(5);
    const xs = [1, 2, 3, 4, 5, 6, 7];
    const ys = r.shuffle(xs);
    expect([...ys].sort()).toEqual(xs);
    expect(xs).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test("fork gives an independent, reproducible stream", () => {
    const a = new Rng(11).fork();
    const b = new Rng(11).fork();
    expect(a.nextUint32()).toBe(b.nextUint32());
  });
});
