// Faults injected into a real run, for the fault tests and the soak (bench/soak.ts): the environment
// variable TTT_INJECT_FAULT lists them, comma-separated, as kind@task:step[#try][=n]:
//   nan     the chunk starting at `step` returns a NaN loss
//   error   the chunk starting at `step` throws, as a failing ONNX Runtime run would
//   memory  before that chunk the worker allocates and touches n MiB (default: --max-memory + 64 MiB)
//   crash   before that chunk the worker process kills itself (SIGKILL), as the kernel's OOM killer would
//   stall   that chunk never ends (the test kills the run while a task is surely in flight)
//   pause   that chunk starts n ms late (default 1000)
// `try` is the try of the task it applies to: a number (default 1: the retry runs clean) or *.
// Write faults, as nospace@<write>:<n>[=k] or quota@<write>:<n>[=k]: in each process, from the n-th write
// of that kind on (1: the first), a write fails half-way with ENOSPC (no space) or EDQUOT (quota), as a
// full disk stays full; `=k`: only k writes fail, then space is back. kill@<write>:<n>: half-way through
// the n-th write of that kind the process kills its run with SIGKILL (a worker: the run, then itself),
// as a machine that dies mid-write (bench/soak.ts). <write> is one of checkpoint,
// record, journal, submission, report, run-info (src/util/write-failure.ts). A solve and its workers
// install them (installWriteFaults).
// Nothing is injected without the variable; the trainer is used as it is.
import type { TaskTrainer } from "../loop/trainer.ts";
import { setWriteFaultHook, WRITE_KINDS, type WriteKind } from "../util/write-failure.ts";

export type FaultKind =
  | "nan"
  | "error"
  | "memory"
  | "crash"
  | "stall"
  | "pause"
  | "nospace"
  | "quota"
  | "kill";

export interface InjectedFault {
  kind: FaultKind;
  task: string;
  step: number;
  try: number | "*";
  arg?: number;
}

const KINDS = new Set<FaultKind>([
  "nan",
  "error",
  "memory",
  "crash",
  "stall",
  "pause",
  "nospace",
  "quota",
  "kill",
]);
const WRITE_FAULTS = new Set<FaultKind>(["nospace", "quota", "kill"]);

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
    if (WRITE_FAULTS.has(f.kind) && !(WRITE_KINDS as readonly string[]).includes(f.task))
      throw new Error(
        `TTT_INJECT_FAULT: "${entry}": a ${f.kind} fault names a write, one of ${WRITE_KINDS.join(", ")}`,
      );
    return f;
  });
}

/** The error a full disk or a spent quota gives, as Node gives it (code, syscall, path). */
export function outOfSpaceError(code: "ENOSPC" | "EDQUOT", path: string): NodeJS.ErrnoException {
  const what = code === "ENOSPC" ? "no space left on device" : "disk quota exceeded";
  return Object.assign(new Error(`${code}: ${what}, write '${path}' (injected)`), {
    code,
    syscall: "write",
    path,
  });
}

/**
 * Make this process's writes fail as the write faults in `faults` say (nothing when there are none);
 * `worker`: this is a worker process, whose kill@ fault kills its run (the parent) first.
 */
export function installWriteFaults(faults: readonly InjectedFault[], o: { worker?: boolean } = {}): void {
  const writes = faults.filter((f) => WRITE_FAULTS.has(f.kind));
  if (writes.length === 0) return;
  const seen = new Map<WriteKind, number>();
  setWriteFaultHook((kind, path) => {
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    for (const f of writes) {
      if (f.task !== kind || n < f.step) continue;
      if (f.arg !== undefined && n >= f.step + f.arg) continue;
      if (f.kind === "kill") {
        if (n !== f.step) continue;
        if (o.worker) process.kill(process.ppid, "SIGKILL");
        process.kill(process.pid, "SIGKILL");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); // the signal lands
      }
      throw outOfSpaceError(f.kind === "nospace" ? "ENOSPC" : "EDQUOT", path);
    }
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
