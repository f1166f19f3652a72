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
