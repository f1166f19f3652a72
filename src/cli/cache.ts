// `ttt cache show|prune`: the graph cache (<cache root>/graphs). show: this code's graphs and the stale
// ones, with sizes; prune: remove the graphs other code built (a folder per code digest) and loose files,
// or everything with --all. A pruned graph is only rebuilt when asked for again.
import { defineCommand } from "citty";
import { formatSize } from "../util/units.ts";
import { UsageError } from "./usage-error.ts";

function noExtra(args: { _: string[] }, name: string): void {
  if (args._.length > 0) throw new UsageError(`cache ${name} takes no arguments, got: ${args._.join(" ")}`);
}

const show = defineCommand({
  meta: {
    name: "show",
    description: "The graph cache's folder, this code's graphs and the stale ones, with sizes",
  },
  args: { json: { type: "boolean", description: "Print JSON" } },
  async run({ args }) {
    noExtra(args, "show");
    const { defaultCacheDir } = await import("../train/cache.ts");
    const { cacheUsage, describeStale } = await import("../train/cache-usage.ts");
    const { graphSourceDigest } = await import("../train/source-digest.ts");
    const u = cacheUsage(defaultCacheDir());
    const code = graphSourceDigest();
    if (args.json) return void process.stdout.write(`${JSON.stringify({ ...u, code }, null, 2)}\n`);
    console.log(`graph cache ${u.dir}`);
    console.log(
      `  this code (${code.digest}, ${code.source}): ${u.current}/ ${formatSize(u.currentBytes)} in ${u.currentFiles} file(s)`,
    );
    for (const s of u.stale.filter((x) => !x.name.includes(".")))
      console.log(`  stale: ${s.name}/ (other code) ${formatSize(s.bytes)} in ${s.files} file(s)`);
    console.log(
      u.stale.length
        ? `  stale in all: ${describeStale(u)}, ${formatSize(u.staleBytes)} (ttt cache prune removes them)`
        : "  nothing stale",
    );
  },
});

const prune = defineCommand({
  meta: {
    name: "prune",
    description:
      "Remove the graphs other versions of the code built (and loose files); --all removes every graph",
  },
  args: { all: { type: "boolean", description: "Remove this code's graphs too" } },
  async run({ args }) {
    noExtra(args, "prune");
    const { defaultCacheDir } = await import("../train/cache.ts");
    const { pruneCache } = await import("../train/cache-usage.ts");
    const dir = defaultCacheDir();
    const r = pruneCache(dir, { all: !!args.all });
    for (const name of r.removed) console.log(`removed  ${name}`);
    console.log(
      `prune ${dir}: ${r.removed.length} removed, ${formatSize(r.freedBytes)} freed, ${r.kept} file(s) of this code kept`,
    );
  },
});

export default defineCommand({
  meta: { name: "cache", description: "The graph cache: show its size, prune the graphs older code built" },
  subCommands: { show, prune },
});
