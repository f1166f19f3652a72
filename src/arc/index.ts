// The ARC task layer: grids, tasks, loading and validation, augmentations, scoring and
// submissions. Re-exports only.
export * from "./grid.ts";
export * from "./task.ts";
export * from "./load-error.ts";
export {
  parseJson,
  findJsonSyntaxProblem,
  lineColumn,
  entriesInTextOrder,
  topLevelKeys,
  type JsonSyntaxProblem,
} from "./json-syntax.ts";
export {
  GridRowsSchema,
  TaskSchema,
  SolutionListSchema,
  AttemptsListSchema,
  formatPath,
  describeValue,
} from "./schema.ts";
export * from "./parse-tasks.ts";
export * from "./load.ts";
export * from "./random.ts";
export * from "./dihedral.ts";
export * from "./augment.ts";
export * from "./submission.ts";
export * from "./score.ts";
export * from "./stats.ts";
