// Re-exports. Every file of a run directory, its name and its format, and the readers that check a file against its
// format. A run directory:
//   run.json                    what was asked: format, version, source, settings, each task's record file
//   journal.jsonl               one line per finished task, appended in finishing order (--resume reads it)
//   tasks/<stem>.json           a task's record (stop reason, steps, loss curve, answers, faults, ...)
//   report.json                 the run report, rewritten after every task
//   checkpoints/<stem>/v000001/ a task's checkpoint versions: manifest.json, state.bin, loop.json
//   lock                        the process working in the directory
// Each format is a TypeScript type (what the writers write) and a valibot schema (what the readers
// accept). A file that does not match gets a RunFileError naming the file and the field:
//   runs/x/run.json: settings.seed: expected number, got "a"
// Formats read besides the current one: run.json format 1 and checkpoint manifests of format 1 (before
// retries were numbered as `try`: records' faults and manifests said `attempt`); their old keys are
// mapped on read, so runs written then still resume.
export * from "./errors.ts";
export * from "./names.ts";
export * from "./schemas.ts";
export type * from "./types.ts";
