// The names of a run directory's files and the format versions written and read.

export const RUN_FILE = "run.json";
export const JOURNAL_FILE = "journal.jsonl";
export const REPORT_FILE = "report.json";
export const TASKS_DIR = "tasks";
export const CHECKPOINTS_DIR = "checkpoints";
export const LOCK_FILE = "lock";
/** In each checkpoint version's folder. */
export const MANIFEST_FILE = "manifest.json";
export const STATE_FILE = "state.bin";
export const LOOP_FILE = "loop.json";

/** run.json's format: 2 numbers retries as `try` in the records (1 said `attempt`). */
export const RUN_DIR_FORMAT = 2;
export const RUN_DIR_FORMATS_READ = [1, 2] as const;
/** A checkpoint manifest's format: 2 says `try` (1 said `attempt`). */
export const CHECKPOINT_FORMAT = 2;
export const CHECKPOINT_FORMATS_READ = [1, 2] as const;

/** A prior file (`ttt pretrain -o`): "TTTP", this format number, a JSON header, float32 weights. */
export const PRIOR_FORMAT = 1;
export const PRIOR_FORMATS_READ = [1] as const;
/** pretrain.json's format. */
export const PRETRAIN_FORMAT = 1;
export const PRETRAIN_FORMATS_READ = [1] as const;
/** In a pretraining run directory: the run's settings and progress, each round's line, the prior so far. */
export const PRETRAIN_FILE = "pretrain.json";
export const ROUNDS_FILE = "rounds.jsonl";
export const PRIOR_SO_FAR_FILE = "prior.ttt";
export const ROUNDS_DIR = "rounds";
