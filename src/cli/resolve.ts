// Walk the raw arguments down the subcommand tree to the command whose usage should be shown.
import type { CommandDef } from "citty";

const resolve = async <T>(v: T | (() => T | Promise<T>)): Promise<T> =>
  typeof v === "function" ? await (v as () => T | Promise<T>)() : v;

export async function resolveSubCommand(
  cmd: CommandDef<any>,
  rawArgs: string[],
  parent?: CommandDef<any>,
): Promise<readonly [CommandDef<any>, CommandDef<any> | undefined]> {
  const subs = await resolve(cmd.subCommands as any);
  if (subs && Object.keys(subs).length > 0) {
    const i = rawArgs.findIndex((a) => !a.startsWith("-"));
    const name = rawArgs[i];
    if (name !== undefined && subs[name]) {
      const sub = (await resolve(subs[name])) as CommandDef<any>;
      return resolveSubCommand(sub, rawArgs.slice(i + 1), cmd);
    }
  }
  return [cmd, parent] as const;
}
