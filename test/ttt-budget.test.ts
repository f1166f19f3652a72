import { describe, expect, test } from "bun:test";
import { safetyMargin, shareTime, TimeBudget } from "../src/run/budget.ts";

describe("shareTime", () => {
  test("one worker: the remaining time split by weight", () => {
    expect(shareTime({ remaining: 100, weight: 1, pendingWeight: 4, workers: 1 })).toBeCloseTo(25);
    expect(shareTime({ remaining: 100, weight: 2, pendingWeight: 4, workers: 1 })).toBeCloseTo(50);
    expect(shareTime({ remaining: 100, weight: 1, pendingWeight: 1, workers: 1 })).toBeCloseTo(100);
  });
  test("several workers multiply the capacity, but a task never gets more than the wall-clock left", () => {
    expect(shareTime({ remaining: 100, weight: 1, pendingWeight: 4, workers: 2 })).toBeCloseTo(50);
    expect(shareTime({ remaining: 100, weight: 1, pendingWeight: 1, workers: 4 })).toBeCloseTo(100);
  });
  test("time promised to running tasks is not shared again", () => {
    expect(shareTime({ remaining: 100, weight: 1, pendingWeight: 2, workers: 2, inFlight: 60 })).toBeCloseTo(
      70,
    );
  });
  test("set-up time is given to every pending task first, the rest shared by weight", () => {
    // 100 s, 4 tasks of which this one has weight 1 of 4, 10 s set-up each: 10 + (100 - 40) / 4.
    expect(
      shareTime({ remaining: 100, weight: 1, pendingWeight: 4, workers: 1, setup: 10, pendingCount: 4 }),
    ).toBeCloseTo(25);
    expect(
      shareTime({ remaining: 100, weight: 3, pendingWeight: 4, workers: 1, setup: 10, pendingCount: 2 }),
    ).toBeCloseTo(10 + 80 * 0.75);
    // Not enough for every set-up: an equal split.
    expect(
      shareTime({ remaining: 30, weight: 1, pendingWeight: 4, workers: 1, setup: 10, pendingCount: 6 }),
    ).toBeCloseTo(5);
  });
  test("the per-task cap and nothing below zero", () => {
    expect(shareTime({ remaining: 100, weight: 1, pendingWeight: 1, workers: 1, cap: 30 })).toBe(30);
    expect(shareTime({ remaining: -5, weight: 1, pendingWeight: 1, workers: 1 })).toBe(0);
  });
});

describe("TimeBudget", () => {
  const clock = () => {
    let t = 1000;
    return { now: () => t, advance: (s: number) => (t += s) };
  };

  test("margin: 2% of the budget, between 2 s and 2 min", () => {
    expect(safetyMargin(10)).toBe(2);
    expect(safetyMargin(1000)).toBe(20);
    expect(safetyMargin(12 * 3600)).toBe(120);
  });

  test("re-shared after each task: a task that finishes early leaves more for the rest", () => {
    const c = clock();
    const b = new TimeBudget({ totalSeconds: 102, marginSeconds: 2, workers: 1, now: c.now });
    // Four equal tasks: 25 s each at first.
    expect(b.allot(1, 4)).toBeCloseTo(25);
    c.advance(5); // the first took only 5 s
    expect(b.allot(1, 3)).toBeCloseTo(95 / 3);
    c.advance(95 / 3);
    expect(b.allot(1, 2)).toBeCloseTo((95 - 95 / 3) / 2);
  });

  test("larger tasks get more by weight", () => {
    const c = clock();
    const b = new TimeBudget({ totalSeconds: 110, marginSeconds: 10, workers: 1, now: c.now });
    expect(b.allot(3, 4)).toBeCloseTo(75);
    expect(b.allot(1, 4)).toBeCloseTo(25);
  });

  test("no task starts when less than the minimum is left; the deadline keeps the margin", () => {
    const c = clock();
    const b = new TimeBudget({ totalSeconds: 60, workers: 1, now: c.now, minTaskSeconds: 1 });
    expect(b.margin).toBe(2);
    expect(b.deadline()).toBe(1000 + 58);
    c.advance(57.5);
    expect(b.allot(1, 1)).toBeUndefined();
  });

  test("without a run budget: the per-task limit, or no limit", () => {
    const c = clock();
    expect(new TimeBudget({ workers: 1, now: c.now }).allot(1, 5)).toBe(Infinity);
    expect(new TimeBudget({ workers: 1, now: c.now, perTaskSeconds: 30 }).allot(4, 5)).toBe(30);
    expect(new TimeBudget({ workers: 1, now: c.now }).deadline()).toBe(Infinity);
  });

  test("a per-task limit caps the share", () => {
    const c = clock();
    const b = new TimeBudget({
      totalSeconds: 1000,
      marginSeconds: 0,
      perTaskSeconds: 20,
      workers: 1,
      now: c.now,
    });
    expect(b.allot(1, 2)).toBe(20);
  });
});
