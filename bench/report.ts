#!/usr/bin/env bun
// Build time and size of the HTML report of a large run (test/support/report-data.ts: 400 tasks, grids
// up to 30x30, a 200-point loss curve each): median, min and max over several builds after one warm-up.
// The size limit is a test (test/report.test.ts); the time is only measured here.
//   bun bench/report.ts [--tasks 400] [--runs 7] [--json]
import { buildReportHtml } from "../src/report/index.ts";
import { largeReportData } from "../test/support/report-data.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const count = Math.max(1, Number(opt("--tasks") ?? 400));
const runs = Math.max(1, Number(opt("--runs") ?? 7));

const data = largeReportData(count);
let bytes = buildReportHtml(data).length; // warm-up
const ms: number[] = [];
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  bytes = buildReportHtml(data).length;
  ms.push(performance.now() - t);
}
const sorted = [...ms].sort((a, b) => a - b);
const median =
  sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
const load = (
  await Bun.file("/proc/loadavg")
    .text()
    .catch(() => "? ")
).split(" ")[0];
if (args.includes("--json"))
  console.log(JSON.stringify({ tasks: count, runs, bytes, ms, medianMs: median, load }));
else
  console.log(
    `${count}-task report: ${(bytes / 2 ** 20).toFixed(2)} MiB, built in ${median.toFixed(0)} ms (median of ${runs}; min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)}); load ${load}`,
  );
