// Which run settings decide a run's answers: one list, read by `ttt solve --resume` (a resumed run
// must keep them) and by `ttt merge` (shards of one run must share them), so the two cannot drift
// apart. A new setting that changes what a task trains or starts from (a prior, a number of copies)
// goes into ANSWER_KEYS and both checks follow.
//
// Not in it, on purpose: --ep (and threads, workers, memory limit, checkpointing). The execution
// provider runs the same graphs from the same seeds; CPU and CUDA kernels round differently, so bits
// of the answers may differ, as between two machines, but the method does not. A shard requeued on a
// node without a GPU, or a resume on another machine, may run on another provider; the merged run.json
// records each shard's --ep and the providers its tasks ran on, and names a mix.
import type { RunSettings } from "./formats/index.ts";

/** The settings that decide the answers: a resume keeps them, the shards of one run share them. */
export const ANSWER_KEYS = [
  "family",
  "seed",
  "steps",
  "chunk",
  "patience",
  "tasks",
  "prior",
  "copies",
  "restarts",
] as const satisfies readonly (keyof RunSettings)[];

/** What `ttt solve --resume` compares: the answer keys (a resume may be given other time settings). */
export const RESUME_KEYS = ANSWER_KEYS;

/**
 * What `ttt merge` compares: the answer keys and the time settings (the shards' partition and each
 * task's share of the time come from them).
 */
export const MERGE_KEYS = [...ANSWER_KEYS, "timePerTask", "timeBudget"] as const;

/** The first of `keys` on which the settings `a` and `b` differ (absent counts as null), both values as JSON. */
export function differingSetting(
  keys: readonly (keyof RunSettings)[],
  a: Readonly<Record<string, unknown>> | undefined,
  b: Readonly<Record<string, unknown>> | undefined,
): { key: string; a: string; b: string } | undefined {
  for (const key of keys) {
    const x = JSON.stringify(a?.[key] ?? null);
    const y = JSON.stringify(b?.[key] ?? null);
    if (x !== y) return { key, a: x, b: y };
  }
  return undefined;
}
