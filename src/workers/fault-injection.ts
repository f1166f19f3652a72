// Faults injected into a real run, for the fault tests and the soak (bench/soak.ts): the environment
// variable TTT_INJECT_FAULT lists them, comma-separated, as kind@task:step[#try][=n]:
//   nan     the chunk starting at `step` returns a NaN loss
//   error   the chunk starting at `step` throws, as a failing ONNX Runtime run would
//   memory  before that chunk the worker allocates and touches n MiB (default: --max-memory + 64 MiB)
//   crash   before that chunk the worker process kills itself (SIGKILL), as the kernel's OOM killer would
//   stall   that chunk never ends (the test kills the run while a task is surely in flight)
//   pause   that chunk starts n ms late (default 1000)
// `try` is the try of the task it applies to: a number (default 1: the retry runs clean) or *.
// Nothing is injected without the variable; the trainer is used as it is.
import type { TaskTrainer } from "../loop/trainer.ts";

export type FaultKind = "nan" | "error" | "memory" | "crash" | "stall" | "pause";

export interface InjectedFault {
  kind: FaultKind;
  task: string;
  step: number;
  try: number | "*";
  arg?: number;
}

const KINDS = new Set<FaultKind>(["nan", "error", "memory", "crash", "stall", "pause"]);

/** Parse TTT_INJECT_FAULT; throws a message naming the bad entry. */
export function parseFaults(text: string | undefined): InjectedFault[] {
  if (!text?.trim()) return [];
  return text.split(",").map((entry) => {
    const m = /^(\w+)@(.+):(\d+)(?:#(\d+|\*))?(?:=(\d+))?$/.exec(entry.trim());
    if (!m || !KINDS.has(m[1] as FaultKind))
      throw new Error(
        `TTT_INJECT_FAULT: "${entry}" is not kind@task:step[#try][=n] with kind one of ${[...KINDS].join(", ")}`,
      );
    const f: InjectedFault = {
      kind: m[1] as FaultKind,
      task: m[2]!,
      step: Number(m[3]),
      try: m[4] === "*" ? "*" : Number(m[4] ?? 1),
    };
    if (m[5] !== undefined) f.arg = Number(m[5]);
    return f;
  });
}

/** The faults for one task and try. */
export function faultsFor(all: readonly InjectedFault[], task: string, tryNumber: number): InjectedFault[] {
  return all.filter((f) => f.task === task && (f.try === "*" || f.try === tryNumber));
}

/** Memory an injected "memory" fault holds on to (the worker retires after the fault). */
const held: Uint8Array[] = [];

/** The trainer with the faults applied to it (each fires once, at the first chunk starting at or after its step). */
export function withInjectedFaults(
  trainer: TaskTrainer,
  faults: readonly InjectedFault[],
  o: { maxMemoryBytes?: number } = {},
): TaskTrainer {
  if (faults.length === 0) return trainer;
  const pending = [...faults];
  let done = 0;
  const wrapped: TaskTrainer = {
    ...trainer,
    async step(k) {
      let nanAt = -1;
      for (const f of pending.filter((x) => done >= x.step)) {
        pending.splice(pending.indexOf(f), 1);
        if (f.kind === "nan") nanAt = 0;
        if (f.kind === "error")
          throw new Error(`injected fault: the ONNX Runtime session run failed at step ${done}`);
        if (f.kind === "memory")
          held.push(
            new Uint8Array(
              f.arg !== undefined ? f.arg * 2 ** 20 : (o.maxMemoryBytes ?? 2 ** 30) + 64 * 2 ** 20,
            ).fill(1),
          );
        if (f.kind === "crash") process.kill(process.pid, "SIGKILL");
        if (f.kind === "stall") await new Promise(() => {});
        if (f.kind === "pause") await Bun.sleep(f.arg ?? 1000);
      }
      const losses = Array.from(await trainer.step(k), Number);
      done += k;
      if (nanAt >= 0) losses[nanAt] = NaN;
      return losses;
    },
  };
  if (trainer.setState) {
    wrapped.setState = (s) => {
      trainer.setState!(s);
      done = s.step;
    };
  }
  return wrapped;
}
