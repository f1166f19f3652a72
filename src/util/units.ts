// Durations ("12h", "90m", "45s", "1h30m", "1.5h", "250ms", or plain seconds) and memory sizes
// ("512M", "2GiB", "1.5G", plain bytes) as the command line takes them, and their short printed forms.

/** A command-line value the run cannot use; the CLI turns it into a usage error (exit 2). */
export class OptionError extends Error {
  override name = "OptionError";
}

const DURATION_UNITS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|d|h|m|s)/gy;

/**
 * Seconds in a duration: one or more number+unit parts in any order of size ("1h30m", "2m30s", "90m",
 * "0.5h", "250ms"), or a bare number of seconds ("45", "2.5"). Throws OptionError on anything else.
 */
export function parseDuration(text: string, what = "duration"): number {
  const s = text.trim().toLowerCase();
  if (/^(\d+(\.\d+)?|\.\d+)$/.test(s)) return Number(s);
  let seconds = 0;
  let end = 0;
  let parts = 0;
  const seen = new Set<string>();
  DURATION_PART.lastIndex = 0;
  for (let m = DURATION_PART.exec(s); m; m = DURATION_PART.exec(s)) {
    const unit = m[2]!;
    if (seen.has(unit)) throw new OptionError(`${what} "${text}": the unit "${unit}" appears twice`);
    seen.add(unit);
    seconds += Number(m[1]) * DURATION_UNITS[unit]!;
    end = DURATION_PART.lastIndex;
    parts++;
  }
  if (parts === 0 || end !== s.length) {
    throw new OptionError(`${what} "${text}": expected e.g. 12h, 90m, 45s, 1h30m or a number of seconds`);
  }
  return seconds;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * Bytes in a size: a number with an optional unit, "512M" / "2G" / "2GiB" (powers of 1024) or "2GB"
 * (powers of 1000). Throws OptionError on anything else.
 */
export function parseSize(text: string, what = "size"): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/.exec(text.trim().toLowerCase());
  const unit = m ? SIZE_UNITS[m[2]!] : undefined;
  if (!m || unit === undefined)
    throw new OptionError(`${what} "${text}": expected e.g. 512M, 2G, 1.5GiB or a number of bytes`);
  return Math.round(Number(m[1]) * unit);
}

/** A short duration: "850ms", "12.3s", "4m05s", "2h07m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A short size in powers of 1024: "812 MiB", "2.4 GiB". */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return "-";
  if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 1024 ** 3) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** A loss for people: "-" when missing or not finite, 3 significant digits, tiny ones in exponent form. */
export function formatLoss(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return x.toPrecision(3);
}
