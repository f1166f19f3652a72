import { describe, expect, test } from "bun:test";
import { gridFromRows, gridKey, type Grid } from "../src/arc/index.ts";
import { OutputEma } from "../src/loop/ema.ts";
import { AnswerSelector, logAddExp } from "../src/loop/select.ts";
import { StabilityTracker } from "../src/loop/stability.ts";

const G = (v: number): Grid =>
  gridFromRows([
    [v, v],
    [v, 0],
  ]);

describe("logAddExp", () => {
  test("is log(e^a + e^b), stable for large values, with -Infinity as the empty sum", () => {
    expect(logAddExp(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 12);
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.log(2), 9);
    expect(logAddExp(-1000, -1000)).toBeCloseTo(-1000 + Math.log(2), 9);
    expect(logAddExp(-Infinity, 3)).toBe(3);
    expect(logAddExp(3, -Infinity)).toBe(3);
  });
});

describe("AnswerSelector", () => {
  test("merges observations of the same grid by log-add-exp, per test input", () => {
    const s = new AnswerSelector(2);
    s.add(
      [
        { grid: G(1), score: -1 },
        { grid: G(5), score: -2 },
      ],
      10,
    );
    s.add(
      [
        { grid: G(1), score: -1 },
        { grid: G(6), score: -1 },
      ],
      20,
    );
    const [a, b] = [s.ranked(0), s.ranked(1)];
    expect(a).toHaveLength(1);
    expect(a[0]!.score).toBeCloseTo(-1 + Math.log(2), 12);
    expect(a[0]!.count).toBe(2);
    expect([a[0]!.firstStep, a[0]!.lastStep]).toEqual([10, 20]);
    expect(b.map((e) => e.key)).toEqual([gridKey(G(6)), gridKey(G(5))]);
  });

  test("a grid seen often beats a single better-scored one; the top two are the attempts", () => {
    const s = new AnswerSelector(1);
    s.add([{ grid: G(2), score: -1.5 }], 1);
    for (let i = 0; i < 3; i++) s.add([{ grid: G(3), score: -2 }], 2 + i);
    s.add([{ grid: G(4), score: -9 }], 9);
    const [ans] = s.answers();
    expect(ans!.grids.map(gridKey)).toEqual([gridKey(G(3)), gridKey(G(2))]);
    expect(ans!.distinct).toBe(3);
  });

  test("confidences are softmax shares of all grids seen: in [0,1], top two sum to at most 1", () => {
    const s = new AnswerSelector(1);
    const scores = [-0.5, -1, -3, -3.5, -8];
    scores.forEach((score, i) => {
      s.add([{ grid: G(i + 1), score }], i + 1);
    });
    const [ans] = s.answers();
    const z = scores.reduce((t, x) => t + Math.exp(x), 0);
    expect(ans!.confidences[0]).toBeCloseTo(Math.exp(-0.5) / z, 12);
    expect(ans!.confidences[1]).toBeCloseTo(Math.exp(-1) / z, 12);
    for (const c of ans!.confidences) expect(c >= 0 && c <= 1).toBe(true);
    expect(ans!.confidences[0]! + ans!.confidences[1]!).toBeLessThanOrEqual(1);
    const single = new AnswerSelector(1);
    single.add([{ grid: G(1), score: -50 }], 1);
    expect(single.answers()[0]!.confidences).toEqual([1]);
  });

  test("very negative scores do not underflow the confidences", () => {
    const s = new AnswerSelector(1);
    s.add([{ grid: G(1), score: -2000 }], 1);
    s.add([{ grid: G(2), score: -2001 }], 1);
    const c = s.answers()[0]!.confidences;
    expect(c[0]! + c[1]!).toBeCloseTo(1, 12);
    expect(c[0]!).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });

  test("non-finite scores are ignored and counted", () => {
    const s = new AnswerSelector(1);
    s.add([{ grid: G(1), score: NaN }], 1);
    s.add([{ grid: G(2), score: -Infinity }], 1);
    expect(s.ignored).toBe(2);
    expect(s.complete()).toBe(false);
    expect(s.answers()[0]!.grids).toEqual([]);
  });

  test("warm-up: an early observation weighs step / (step + warmup)", () => {
    const s = new AnswerSelector(1, { warmupSteps: 30 });
    s.add([{ grid: G(1), score: -1 }], 10);
    expect(s.ranked(0)[0]!.score).toBeCloseTo(-1 + Math.log(10 / 40), 12);
  });

  test("the signature changes exactly when an attempt changes", () => {
    const s = new AnswerSelector(1);
    s.add([{ grid: G(1), score: -1 }], 1);
    const a = s.signature();
    s.add([{ grid: G(1), score: -1 }], 2);
    expect(s.signature()).toBe(a);
    s.add([{ grid: G(2), score: -5 }], 3);
    const b = s.signature();
    expect(b).not.toBe(a);
    s.add([{ grid: G(3), score: -9 }], 4); // third place: attempts unchanged
    expect(s.signature()).toBe(b);
  });
});

describe("OutputEma", () => {
  test("starts at the first outputs, then decays by 0.97 per step (0.97^K per chunk)", () => {
    const e = new OutputEma();
    e.update({ y: Float32Array.of(1, 2) }, 10);
    expect(Array.from(e.current!.y!)).toEqual([1, 2]);
    const k = 10;
    const keep = 0.97 ** k;
    e.update({ y: Float32Array.of(3, 0) }, k);
    expect(e.current!.y![0]).toBeCloseTo(keep * 1 + (1 - keep) * 3, 5);
    expect(e.current!.y![1]).toBeCloseTo(keep * 2, 5);
    expect(e.updates).toBe(2);
  });
  test("a chunk of K steps equals K single-step updates with a constant input", () => {
    const a = new OutputEma();
    const b = new OutputEma();
    a.update({ y: Float32Array.of(0) }, 1);
    b.update({ y: Float32Array.of(0) }, 1);
    a.update({ y: Float32Array.of(1) }, 5);
    for (let i = 0; i < 5; i++) b.update({ y: Float32Array.of(1) }, 1);
    expect(a.current!.y![0]).toBeCloseTo(b.current!.y![0]!, 6);
  });
  test("does not alias the caller's arrays", () => {
    const e = new OutputEma();
    const y = Float32Array.of(1);
    e.update({ y }, 1);
    y[0] = 9;
    expect(e.current!.y![0]).toBe(1);
  });
});

describe("StabilityTracker", () => {
  test("stable once the signature is unchanged for `patience` steps", () => {
    const t = new StabilityTracker(50);
    expect(t.observe("a", 10)).toBe(false);
    expect(t.observe("a", 50)).toBe(false);
    expect(t.observe("b", 60)).toBe(false);
    expect(t.observe("b", 100)).toBe(false);
    expect(t.unchangedFor(100)).toBe(40);
    expect(t.observe("b", 110)).toBe(true);
  });
  test("patience 0 never stops", () => {
    const t = new StabilityTracker(0);
    expect(t.observe("a", 1)).toBe(false);
    expect(t.observe("a", 1e6)).toBe(false);
  });
});
