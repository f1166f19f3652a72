// Readers of parsed citty arguments shared by the subcommands: a string, an integer with a floor, a
// positive duration; each throws an OptionError naming the option and the value.
import { OptionError, parseDuration } from "../util/units.ts";

export type ParsedArgs = Record<string, string | boolean | undefined>;

export function optionReaders(a: ParsedArgs) {
  const str = (k: string) => (typeof a[k] === "string" ? (a[k] as string) : undefined);
  const int = (k: string, min: number) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min)
      throw new OptionError(`--${k} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  const duration = (k: string) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const sec = parseDuration(v, `--${k}`);
    if (!(sec > 0)) throw new OptionError(`--${k} must be more than zero, got "${v}"`);
    return sec;
  };
  return { str, int, duration };
}
