// Writes that fail: the kinds of file a run writes (for messages and injected faults), the point inside
// a write where an injected failure strikes (set by src/workers/fault-injection.ts from TTT_INJECT_FAULT;
// nothing happens without it), and the one-line message naming what was not written, where, and why,
// with a plain word for a full disk (ENOSPC) or a spent quota (EDQUOT).

export type WriteKind = "checkpoint" | "record" | "journal" | "submission" | "report" | "run-info";

export const WRITE_KINDS: readonly WriteKind[] = [
  "checkpoint",
  "record",
  "journal",
  "submission",
  "report",
  "run-info",
];

/** What each kind of file is called in messages. */
export const WRITE_NAMES: Record<WriteKind, string> = {
  checkpoint: "checkpoint",
  record: "task record",
  journal: "journal line",
  submission: "submission",
  report: "report.json",
  "run-info": "run.json",
};

let hook: ((kind: WriteKind, path: string) => void) | null = null;

/** Install (or with null remove) the function that may throw inside writes; fault injection only. */
export function setWriteFaultHook(h: ((kind: WriteKind, path: string) => void) | null): void {
  hook = h;
}

/** Called by writers part-way through writing `path`; throws where a fault is injected. */
export function writeFaultPoint(kind: WriteKind | undefined, path: string): void {
  if (hook && kind) hook(kind, path);
}

/** True for a failure from lack of space or quota. */
export function isOutOfSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** Why a write failed, in words: "no space left on the device (ENOSPC)", "disk quota exceeded (EDQUOT)". */
export function writeFailureReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC") return "no space left on the device (ENOSPC)";
  if (code === "EDQUOT") return "disk quota exceeded (EDQUOT)";
  return (e as Error)?.message ?? String(e);
}

/** A failed write of a run's file, naming the kind of file and its path. */
export class WriteFailure extends Error {
  constructor(
    readonly kind: WriteKind,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`${WRITE_NAMES[kind]} ${path} not written: ${writeFailureReason(cause)}`);
    this.name = "WriteFailure";
  }

  get outOfSpace(): boolean {
    return isOutOfSpace(this.cause);
  }

  get quota(): boolean {
    return (this.cause as NodeJS.ErrnoException | undefined)?.code === "EDQUOT";
  }
}

/** Run `write`; a failure comes back as a WriteFailure for `kind` and `path`. */
export function writing<T>(kind: WriteKind, path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw e instanceof WriteFailure ? e : new WriteFailure(kind, path, e);
  }
}
