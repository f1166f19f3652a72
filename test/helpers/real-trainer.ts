// The solver's own trainer (src/loop/trainer.ts ortTrainerFactory: src/train's Trainer on ONNX Runtime
// sessions) for tests of the training loop and the run, with three things tests need around it and
// nothing faked inside it:
// - a handle on the src/train Trainer the factory created (getState/setState), to set a start state or
//   to inject a fault into the real state;
// - a pass-through wrapper that counts calls and runs a hook before each step (fault injection) or
//   after it (advancing a clock the test controls);
// - that clock.
import { spyOn } from "bun:test";
import type { ModelSpec } from "../../src/train/spec.ts";
import { Trainer } from "../../src/train/trainer.ts";
import type { TaskModel } from "../../src/models/task-model.ts";
import {
  ortTrainerFactory,
  type EngineOptions,
  type TaskTrainer,
  type TrainerFactory,
} from "../../src/loop/trainer.ts";

/** CPU, one thread: what the tests run on everywhere. */
export const CPU: Omit<EngineOptions, "chunk" | "seed"> = { ep: "cpu", threads: 1 };

/**
 * The real trainer for `model`, exactly as the solver opens it (ortTrainerFactory), and the src/train
 * Trainer inside it (caught by spying on Trainer.create, which calls through).
 */
export async function openRealTrainer(
  model: TaskModel<unknown>,
  o: Pick<EngineOptions, "chunk" | "seed">,
): Promise<{ trainer: TaskTrainer; inner: Trainer }> {
  const spy = spyOn(Trainer, "create");
  try {
    const trainer = await ortTrainerFactory(model as TaskModel<ModelSpec>, { ...CPU, ...o });
    const inner = (await spy.mock.results.at(-1)?.value) as Trainer | undefined;
    if (!(inner instanceof Trainer)) throw new Error("ortTrainerFactory did not create a src/train Trainer");
    return { trainer, inner };
  } finally {
    spy.mockRestore();
  }
}

export interface Hooks {
  /** Before the n-th step() call (1-based) reaches the real trainer: where a test injects a fault. */
  beforeStep?: (n: number) => void | Promise<void>;
  /** After the n-th step() call returned: where a test advances its clock by the chunk's duration. */
  afterStep?: (n: number) => void;
}

/** A pass-through TaskTrainer: every call goes to `real`; calls are counted and the hooks run around step(). */
export function observed(
  real: TaskTrainer,
  hooks: Hooks = {},
): TaskTrainer & { calls: { step: number; infer: number; release: number } } {
  const calls = { step: 0, infer: 0, release: 0 };
  return {
    calls,
    async step(k) {
      const n = ++calls.step;
      await hooks.beforeStep?.(n);
      const losses = await real.step(k);
      hooks.afterStep?.(n);
      return losses;
    },
    infer() {
      calls.infer++;
      return real.infer();
    },
    ...(real.provider ? { provider: () => real.provider!() } : {}),
    release() {
      calls.release++;
      return real.release();
    },
  };
}

/** A clock in seconds that only moves when the test moves it. */
export class TestClock {
  constructor(public t = 0) {}
  readonly now = (): number => this.t;
}

/**
 * The solver's trainer factory, with every chunk taking `secondsPerChunk` on `clock` (the training
 * itself is real; only the time it is said to take is the test's).
 */
export function tickingFactory(clock: TestClock, secondsPerChunk: number): TrainerFactory {
  return async (model, o) =>
    observed(await ortTrainerFactory(model, o), { afterStep: () => (clock.t += secondsPerChunk) });
}
