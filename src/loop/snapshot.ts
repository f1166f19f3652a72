// Everything the training loop needs to go on exactly where it was: the trainer's state (parameters,
// optimizer moments, step), the answer selection, the output EMA, the stability tracker, the loss
// history, the restarts and counters (written as checkpoint files by src/rundir/snapshot-files.ts).
import type { TrainerState } from "../train/trainer.ts";
import { OutputEma } from "./ema.ts";
import { AnswerSelector } from "./select.ts";
import type { StopReason } from "./task-loop.ts";
import { StabilityTracker } from "./stability.ts";

export interface LoopSnapshot {
  /** Optimizer steps done (the trainer's step). */
  step: number;
  chunks: number;
  /** Every step's loss so far. */
  losses: number[];
  lastChunkSeconds: number;
  /** Seconds spent in the loop and in set-up, over every session of this task so far. */
  loopSeconds: number;
  setupSeconds: number;
  trainer: TrainerState;
  selector: ReturnType<AnswerSelector["toState"]>;
  ema: ReturnType<OutputEma["toState"]>;
  stability: ReturnType<StabilityTracker["toState"]>;
  /** Set in a final snapshot: why training stopped. */
  stop: StopReason | null;
  /** Restarts so far: the copies training now are numbered from restarts x copies (absent: 0). */
  restarts?: number;
  /** The loop step at which the copies training now started (the trainer's step counts from it). */
  restartStep?: number;
}

/** The live objects of a loop, rebuilt from a snapshot. */
export function restoreParts(s: LoopSnapshot): {
  selector: AnswerSelector;
  ema: OutputEma;
  stability: StabilityTracker;
} {
  return {
    selector: AnswerSelector.fromState(s.selector),
    ema: OutputEma.fromState(s.ema),
    stability: StabilityTracker.fromState(s.stability),
  };
}
