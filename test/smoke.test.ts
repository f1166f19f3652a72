import { expect, test } from "bun:test";
import * as ort from "onnxruntime-node";
test("onnxruntime-node loads", () => {
  expect(typeof ort.InferenceSession.create).toBe("function");
});

test("a large stdout survives process.exit through a pipe once stdoutFlushed resolves (ttt solve --json | ...)", async () => {
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const script = `import { stdoutFlushed } from ${JSON.stringify(main)};
process.stdout.write("x".repeat(3_000_000) + "\\n");
if (process.argv[2] === "flush") await stdoutFlushed();
process.exit(0);`;
  const dir = (await import("node:fs")).mkdtempSync(`${(await import("node:os")).tmpdir()}/ttt-flush-`);
  const file = `${dir}/write.ts`;
  await Bun.write(file, script);
  const bytes = async (arg: string) => (await new Response(Bun.spawn(["bun", file, arg], { stdout: "pipe" }).stdout).arrayBuffer()).byteLength;
  // (without the flush, Bun 1.4.5 hands the pipe only the first 128 KiB before exiting)
  expect(await bytes("flush")).toBe(3_000_001);
});
