// `ttt checkpoints list|verify|prune <run-dir>`: a run's per-task checkpoints. list: each version's
// step, loss, time, try and size; verify: every file against its manifest's sha256 and size, each
// damaged file named, exit 1 if any; prune: keep the newest k versions per task and the final ones.
import { defineCommand } from "citty";
import {
  pruneCheckpoints,
  scanCheckpoints,
  type TaskCheckpointsInfo,
  type VersionInfo,
} from "../rundir/checkpoint-scan.ts";
import { formatSize, formatLoss } from "../util/units.ts";
import { UsageError } from "./usage-error.ts";

const runDirArg = {
  type: "positional",
  description: "The run directory (of ttt solve)",
  required: true,
} as const;

function noExtra(args: { _: string[] }, name: string): void {
  const extra = args._.slice(1);
  if (extra.length > 0)
    throw new UsageError(`checkpoints ${name} takes one run directory, got also: ${extra.join(" ")}`);
}

function versionLine(v: VersionInfo): string {
  if (v.step === null) return `  ${v.name}  ${v.problems.join("; ")}`;
  const parts = [
    `  ${v.name}`,
    `step ${v.step}`,
    `loss ${formatLoss(v.loss)}`,
    v.createdAt ?? "-",
    `try ${v.try}`,
    formatSize(v.bytes),
  ];
  if (v.final) parts.push(`final (${v.stop})`);
  if (v.problems.length) parts.push(`DAMAGED: ${v.problems.join("; ")}`);
  return parts.join("  ");
}

function totals(tasks: TaskCheckpointsInfo[]): string {
  const versions = tasks.reduce((s, t) => s + t.versions.length, 0);
  const bytes = tasks.reduce((s, t) => s + t.versions.reduce((b, v) => b + v.bytes, 0), 0);
  return `${tasks.length} task${tasks.length === 1 ? "" : "s"}, ${versions} version${versions === 1 ? "" : "s"}, ${formatSize(bytes)}`;
}

const list = defineCommand({
  meta: {
    name: "list",
    description:
      "Each task's checkpoint versions: step, loss, time, try, size, final or not (manifests only; verify checks the files)",
  },
  args: { runDir: runDirArg, json: { type: "boolean", description: "Print JSON" } },
  run({ args }) {
    noExtra(args, "list");
    const tasks = scanCheckpoints(args.runDir, false);
    if (args.json) return void process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
    console.log(`checkpoints in ${args.runDir}: ${totals(tasks)}`);
    for (const t of tasks) {
      console.log(`${t.task ?? "?"}  (${t.label})`);
      for (const v of t.versions) console.log(versionLine(v));
      for (const d of t.debris) console.log(`  leftover of an interrupted write: ${d}`);
    }
  },
});

const verify = defineCommand({
  meta: {
    name: "verify",
    description:
      "Check every checkpoint file against its manifest (sha256, size); name each damaged one; exit 1 if any",
  },
  args: { runDir: runDirArg, json: { type: "boolean", description: "Print JSON" } },
  run({ args }) {
    noExtra(args, "verify");
    const tasks = scanCheckpoints(args.runDir, true);
    const damaged = tasks.flatMap((t) =>
      t.versions
        .filter((v) => v.problems.length > 0)
        .map((v) => ({ task: t.task, label: t.label, version: v.name, problems: v.problems })),
    );
    const whole = tasks.reduce((s, t) => s + t.versions.length, 0) - damaged.length;
    if (args.json)
      process.stdout.write(`${JSON.stringify({ runDir: args.runDir, whole, damaged }, null, 2)}\n`);
    else {
      for (const d of damaged) for (const p of d.problems) console.log(`DAMAGED  ${p}`);
      console.log(
        `verify ${args.runDir}: ${whole} version${whole === 1 ? "" : "s"} whole, ${damaged.length} damaged (${totals(tasks)})`,
      );
    }
    process.exitCode = damaged.length > 0 ? 1 : 0;
  },
});

const prune = defineCommand({
  meta: {
    name: "prune",
    description:
      "Keep each task's newest k checkpoint versions and its final ones; remove the rest and leftovers of interrupted writes",
  },
  args: {
    runDir: runDirArg,
    keep: {
      type: "string",
      description: "Versions kept per task besides the final ones (default 1)",
      default: "1",
      valueHint: "k",
    },
  },
  async run({ args }) {
    noExtra(args, "prune");
    const keep = Number(args.keep);
    if (!/^\d+$/.test(String(args.keep)) || !Number.isSafeInteger(keep))
      throw new UsageError(`--keep must be an integer >= 0, got "${args.keep}"`);
    const r = await pruneCheckpoints(args.runDir, keep);
    for (const f of r.removed) console.log(`removed  ${f}`);
    console.log(`prune ${args.runDir}: ${r.removed.length} removed, ${formatSize(r.bytes)} freed`);
  },
});

export default defineCommand({
  meta: {
    name: "checkpoints",
    description: "A run's per-task checkpoints: list the versions, verify their files, prune old ones",
  },
  subCommands: { list, verify, prune },
});
