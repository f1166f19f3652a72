// The tests' waiting helpers (test/support/wait.ts): a wait ends on its event, and one whose event never
// comes fails loudly, naming it.
import { describe, expect, test } from "bun:test";
import { StreamText, WaitError, waitFor, waitForLine } from "./support/wait.ts";

const child = (script: string) =>
  Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });

describe("waitFor", () => {
  test("resolves with the probe's first truthy value", async () => {
    let n = 0;
    expect(
      await waitFor(() => (++n >= 3 ? `after ${n}` : undefined), { what: "three looks", intervalMs: 1 }),
    ).toBe("after 3");
  });

  test("times out naming what it waited for, with the detail", async () => {
    const e = await waitFor(() => false, {
      what: "a marker that never comes",
      timeoutMs: 30,
      detail: () => "x=1",
    }).catch((x) => x);
    expect(e).toBeInstanceOf(WaitError);
    expect(e.message).toBe("timed out after 30 ms waiting for a marker that never comes\nx=1");
  });

  test("fails at once when the process it depends on has ended", async () => {
    const p = child("process.exit(4)");
    await p.exited;
    await expect(
      waitFor(() => false, { what: "its checkpoint", process: p, timeoutMs: 60_000 }),
    ).rejects.toThrow(/^the process ended \(exit 4\) while waiting for its checkpoint$/);
  });
});

describe("StreamText", () => {
  test("waits for a line, keeps the rest of the stream", async () => {
    const p = child(`console.log("a"); console.log("ready 42"); console.log("b");`);
    const out = new StreamText(p.stdout);
    expect((await out.waitForLine(/^ready (\d+)$/, { what: "the ready line" }))[1]).toBe("42");
    expect(await out.done).toBe("a\nready 42\nb\n");
    expect(out.lines()).toEqual(["a", "ready 42", "b"]);
  });

  test("a stream that ends without the line fails naming it and showing what was said", async () => {
    const p = child(`console.log("starting"); console.log("crashed");`);
    await expect(waitForLine(p.stdout, /^ready$/, { what: "the ready line" })).rejects.toThrow(
      "the stream ended while waiting for the ready line\nthe stream said (last lines):\nstarting\ncrashed",
    );
  });

  test("times out while the stream stays open", async () => {
    const p = child(`console.log("busy"); await Bun.sleep(60_000);`);
    try {
      await expect(
        waitForLine(p.stdout, /^ready$/, { what: "the ready line", timeoutMs: 50 }),
      ).rejects.toThrow(/^timed out after 50 ms waiting for the ready line/);
    } finally {
      p.kill();
    }
  });
});
