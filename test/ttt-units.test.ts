import { describe, expect, test } from "bun:test";
import { formatDuration, formatSize, OptionError, parseDuration, parseSize } from "../src/util/units.ts";

describe("parseDuration", () => {
  test.each([
    ["12h", 43200],
    ["90m", 5400],
    ["45s", 45],
    ["1h30m", 5400],
    ["2m30s", 150],
    ["1h0m5s", 3605],
    ["1.5h", 5400],
    ["250ms", 0.25],
    ["1d", 86400],
    ["45", 45],
    ["2.5", 2.5],
    [" 10M ", 600],
  ])("%s is %d s", (text, seconds) => {
    expect(parseDuration(text)).toBeCloseTo(seconds, 9);
  });

  test.each(["", "h", "12x", "1h30", "-5s", "1h 30m", "abc", "1h1h", "5 s", "30m1h2"])(
    "rejects %p",
    (text) => {
      expect(() => parseDuration(text, "--time-budget")).toThrow(OptionError);
    },
  );

  test("the message names the option and gives examples", () => {
    expect(() => parseDuration("soon", "--time-budget")).toThrow(
      /--time-budget "soon": expected e\.g\. 12h, 90m, 45s, 1h30m/,
    );
  });
});

describe("parseSize", () => {
  test.each([
    ["512M", 512 * 2 ** 20],
    ["2G", 2 * 2 ** 30],
    ["2GiB", 2 * 2 ** 30],
    ["2GB", 2e9],
    ["1.5g", 1.5 * 2 ** 30],
    ["4096", 4096],
    ["64k", 65536],
  ])("%s is %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
  test.each(["", "G", "2X", "-1G", "two"])("rejects %p", (text) => {
    expect(() => parseSize(text, "--max-memory")).toThrow(/--max-memory/);
  });
});

test("short forms for the progress line and summary", () => {
  expect(formatDuration(0.25)).toBe("250ms");
  expect(formatDuration(12.34)).toBe("12.3s");
  expect(formatDuration(245)).toBe("4m05s");
  expect(formatDuration(7620)).toBe("2h07m");
  expect(formatDuration(Infinity)).toBe("-");
  expect(formatSize(812 * 2 ** 20)).toBe("812 MiB");
  expect(formatSize(2.44 * 2 ** 30)).toBe("2.4 GiB");
});
