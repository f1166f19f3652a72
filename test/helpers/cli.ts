// Run the ttt CLI in a child process, as a user would.
import { join } from "node:path";

export const PROJECT_ROOT = join(import.meta.dir, "..", "..");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `bun src/cli/main.ts ...args` from the project root, optionally with text on stdin. */
export function runTtt(args: string[], stdin?: string): CliRun {
  const proc = Bun.spawnSync([process.execPath, "src/cli/main.ts", ...args], {
    cwd: PROJECT_ROOT,
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return { code: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

/** `bun src/cli/main.ts ...args` from the project root, without blocking (other work goes on meanwhile). */
export async function spawnTtt(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const p = Bun.spawn([process.execPath, "src/cli/main.ts", ...args], {
    cwd: PROJECT_ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}
