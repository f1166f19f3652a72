import { expect, test } from "bun:test";
import * as ort from "onnxruntime-node";
test("onnxruntime-node loads", () => {
  expect(typeof ort.InferenceSession.create).toBe("function");
});

test("ttt solve --json into a pipe gives the whole report (the CLI does not cut stdout short on exit)", async () => {
  const { mkdtempSync, readFileSync, writeFileSync } = await import("node:fs");
  const dir = mkdtempSync(`${(await import("node:os")).tmpdir()}/ttt-pipe-`);
  // 40 copies of a fixture task: a report of ~160 KiB, more than a pipe holds.
  const fixtures = JSON.parse(
    readFileSync(new URL("../fixtures/tasks_challenges.json", import.meta.url), "utf8"),
  );
  const many = Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [`recolour-${i}`, fixtures["recolour-1-to-2"]]),
  );
  writeFileSync(`${dir}/many.json`, JSON.stringify(many));
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const args = [
    "bun",
    main,
    "solve",
    `${dir}/many.json`,
    "--family",
    "colour-map",
    "--steps",
    "200",
    "--chunk",
    "1",
    "--workers",
    "1",
    "--run-dir",
    `${dir}/run`,
    "-o",
    `${dir}/s.json`,
    "--json",
  ];
  // A slow reader: it starts reading only once the run has finished and the pipe is full, so what the
  // CLI has not handed to the pipe by then must still arrive after it is done (process.exit would drop it).
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const reader = [
    process.execPath,
    new URL("./support/slow-reader.ts", import.meta.url).pathname,
    `${dir}/run/report.json`,
    '"state": "finished"',
  ];
  const proc = Bun.spawn(
    [
      "bash",
      "-c",
      `set -o pipefail; ${args.map(quote).join(" ")} 2>/dev/null | ${reader.map(quote).join(" ")} > ${quote(`${dir}/out.json`)}`,
    ],
    { stderr: "pipe" },
  );
  const code = await proc.exited;
  expect(await new Response(proc.stderr).text()).toBe(""); // the reader's waits came to their events
  expect(code).toBe(0);
  const text = readFileSync(`${dir}/out.json`, "utf8");
  expect(text.length).toBeGreaterThan(128 * 1024);
  const report = JSON.parse(text);
  expect(report.tasks.length).toBe(40);
  expect(report).toEqual(JSON.parse(readFileSync(`${dir}/run/report.json`, "utf8")));
}, 60_000);
