// Waiting for an event in a test: a condition coming true (a file appearing, a checkpoint reaching a
// step, a process ending) or a line on a child's stdout/stderr. Every wait is bounded and loud: when the
// event does not come in time, or cannot come any more (the stream ended, the process exited), it throws
// an error naming what it waited for and what it saw, so that a test never goes on as if it had come.
// No test sleeps to let something happen; the polling interval here only paces the checks.

/** How long a wait lasts unless told: long enough for a loaded CI machine, short of the test's timeout. */
export const DEFAULT_WAIT_MS = 30_000;

export interface WaitOptions {
  /** What is waited for, as the error should name it ("swap-colours's checkpoint at step 600"). */
  what: string;
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
  /** A process whose end means the event can no longer come: the wait then fails at once. */
  process?: { readonly exitCode: number | null; readonly signalCode?: string | number | null };
  /** More to say when the wait fails (the child's stderr so far, say). */
  detail?: () => string;
}

export class WaitError extends Error {
  override name = "WaitError";
}

function failure(o: WaitOptions, why: string): WaitError {
  const more = o.detail?.();
  return new WaitError(`${why} waiting for ${o.what}${more ? `\n${more}` : ""}`);
}

/** Resolves with the probe's first truthy value; throws (naming `what`) after `timeoutMs` or if `process` ends. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  o: WaitOptions,
): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as Exclude<T, false | null | undefined | 0 | "">;
    if (o.process && o.process.exitCode !== null) {
      // One last look: the event may have come just before the process ended.
      const last = await probe();
      if (last) return last as Exclude<T, false | null | undefined | 0 | "">;
      throw failure(
        o,
        `the process ended (exit ${o.process.exitCode}${o.process.signalCode ? `, ${o.process.signalCode}` : ""}) while`,
      );
    }
    if (performance.now() >= deadline) throw failure(o, `timed out after ${timeoutMs} ms`);
    await Bun.sleep(o.intervalMs ?? 20);
  }
}

/**
 * A child's output stream read to its end in the background (so the child never blocks on a full pipe),
 * its text kept: wait for a line, or take the whole text once the stream ends.
 */
export class StreamText {
  private chunks = "";
  private ended = false;
  private wake: (() => void) | undefined;
  /** The whole text, once the stream has ended. */
  readonly done: Promise<string>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.pump(stream);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<string> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        this.chunks += decoder.decode(chunk, { stream: true });
        this.notify();
      }
      this.chunks += decoder.decode();
    } finally {
      this.ended = true;
      this.notify();
    }
    return this.chunks;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The text so far. */
  get text(): string {
    return this.chunks;
  }

  /** Whole lines so far (a last line without its newline counts once the stream has ended). */
  lines(): string[] {
    const parts = this.chunks.split("\n");
    if (!this.ended || parts.at(-1) === "") parts.pop();
    return parts;
  }

  /**
   * The first line matching `re` (its match); throws, naming `what` and the last lines seen, when the
   * stream ends without one or after `timeoutMs`.
   */
  async waitForLine(re: RegExp, o: Omit<WaitOptions, "process" | "intervalMs">): Promise<RegExpMatchArray> {
    const timeoutMs = o.timeoutMs ?? DEFAULT_WAIT_MS;
    const deadline = performance.now() + timeoutMs;
    const seen = () => {
      const tail = this.lines().slice(-15).join("\n");
      const more = o.detail?.();
      return `${tail ? `the stream said (last lines):\n${tail}` : "the stream said nothing"}${more ? `\n${more}` : ""}`;
    };
    for (;;) {
      for (const line of this.lines()) {
        const m = line.match(re);
        if (m) return m;
      }
      if (this.ended) throw failure({ ...o, detail: seen }, "the stream ended while");
      const left = deadline - performance.now();
      if (left <= 0) throw failure({ ...o, detail: seen }, `timed out after ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }
}

/** The first line of `stream` matching `re`; the rest of the stream is read on in the background. */
export function waitForLine(
  stream: ReadableStream<Uint8Array>,
  re: RegExp,
  o: Omit<WaitOptions, "process" | "intervalMs">,
): Promise<RegExpMatchArray> {
  return new StreamText(stream).waitForLine(re, o);
}
