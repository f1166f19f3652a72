// Writing a run's report.html (used by `ttt report` and at the end of `ttt solve`).
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { buildReportHtml } from "./html.ts";
import { readReportData, type ReadRunOptions } from "./run-data.ts";

/** Write the report of a run directory (default <run-dir>/report.html); returns the path, size, task count and warnings. */
export async function writeRunReport(
  runDir: string,
  output = join(runDir, "report.html"),
  o: ReadRunOptions = {},
) {
  const data = await readReportData(runDir, o);
  const html = buildReportHtml(data);
  writeFileAtomic(output, html);
  return { output, bytes: Buffer.byteLength(html), tasks: data.tasks.length, warnings: data.warnings };
}
