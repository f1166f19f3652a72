// Walk the raw arguments down the subcommand tree to the command whose usage should be shown.
import type { ArgsDef, CommandDef, SubCommandsDef } from "citty";

type Command = CommandDef<ArgsDef>;

const resolve = async <T>(v: T | (() => T | Promise<T>)): Promise<T> =>
  typeof v === "function" ? await (v as () => T | Promise<T>)() : v;

export async function resolveSubCommand(
  cmd: Command,
  rawArgs: string[],
  parent?: Command,
): Promise<readonly [Command, Command | undefined]> {
  const subs: SubCommandsDef | undefined = await resolve(cmd.subCommands);
  if (subs && Object.keys(subs).length > 0) {
    const i = rawArgs.findIndex((a) => !a.startsWith("-"));
    const name = rawArgs[i];
    if (name !== undefined && subs[name]) {
      const sub = (await resolve(subs[name])) as Command;
      return resolveSubCommand(sub, rawArgs.slice(i + 1), cmd);
    }
  }
  return [cmd, parent] as const;
}
