#!/usr/bin/env bun
// ttt command line: citty root with lazily loaded subcommands.
// Exit codes: 0 success, 1 failure, 2 bad usage.
import { type ArgsDef, type CommandDef, defineCommand, runCommand, showUsage } from "citty";
import { UsageError } from "./usage-error.ts";
import pkg from "../../package.json" with { type: "json" };

// biome-ignore lint/suspicious/noExplicitAny: each subcommand has its own argument types
type AnyCommand = CommandDef<any>;
const lazy = (load: () => Promise<{ default: AnyCommand }>) => () => load().then((m) => m.default);

export const main = defineCommand({
  meta: { name: "ttt", version: pkg.version, description: "Test-time-training solver for ARC-AGI tasks" },
  subCommands: {
    inspect: lazy(() => import("./inspect.ts")),
    score: lazy(() => import("./score.ts")),
    graph: lazy(() => import("./graph.ts")),
    solve: lazy(() => import("./solve.ts")),
    doctor: lazy(() => import("./doctor.ts")),
    report: lazy(() => import("./report.ts")),
    show: lazy(() => import("./show.ts")),
    checkpoints: lazy(() => import("./checkpoints.ts")),
    cache: lazy(() => import("./cache.ts")),
    merge: lazy(() => import("./merge.ts")),
    pretrain: lazy(() => import("./pretrain.ts")),
  },
});

/** Run the CLI with raw arguments; returns the process exit code. */
export async function runCli(rawArgs: string[]): Promise<number> {
  const { resolveSubCommand } = await import("./resolve.ts");
  if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
    console.log(pkg.version);
    return 0;
  }
  if (rawArgs.includes("--help") || rawArgs.includes("-h") || rawArgs.length === 0) {
    const [cmd, parent] = await resolveSubCommand(main, rawArgs);
    await showUsage(cmd, parent);
    return rawArgs.length === 0 ? 2 : 0;
  }
  try {
    await runCommand(main, { rawArgs });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (caught) {
    const error = caught as Error;
    if (error instanceof UsageError || error.name === "CLIError") {
      const [cmd, parent] = await resolveSubCommand(main, rawArgs).catch(() => [main, undefined] as const);
      await showUsage(cmd as CommandDef<ArgsDef>, parent as CommandDef<ArgsDef> | undefined);
      console.error(`ttt: ${error.message}`);
      return 2;
    }
    console.error(`ttt: ${error instanceof Error ? error.message : String(caught)}`);
    if (process.env.TTT_DEBUG) console.error(error?.stack);
    return 1;
  }
}

/**
 * End the process with `code` once its event loop runs dry, which waits for stdout to drain into a pipe
 * (process.exit does not: a piped `ttt solve --json` lost all but its first 64-128 KiB). Should a handle
 * keep the process alive, it leaves anyway after a grace period.
 */
export function exitWhenDone(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(), 30_000).unref();
}

if (import.meta.main) exitWhenDone(await runCli(process.argv.slice(2)));
