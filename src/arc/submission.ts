// Submissions in the ARC Prize format: {task id: [{attempt_1: grid, attempt_2: grid} per test input]}.
// Building one (every id present, both attempts, [[0]] where there is no answer), writing it atomically,
// and reading one back with validation.
import { readFileSync } from "node:fs";
import { gridFromRows, gridToRows, type Grid } from "./grid.ts";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { parseJson } from "./json-syntax.ts";
import { LoadError } from "./load-error.ts";
import { AttemptsListSchema, describeValue, validate } from "./schema.ts";
import type { GridRows } from "./task.ts";

/** The two attempts for one test input. */
export interface Attempts {
  readonly attempt_1: Grid;
  readonly attempt_2: Grid;
}

/** A submission in memory: per task id, one Attempts per test input. */
export type Submission = Map<string, Attempts[]>;

/** A submission as JSON. */
export type SubmissionJson = Record<string, { attempt_1: GridRows; attempt_2: GridRows }[]>;

/** Up to two answers per test input, best first; undefined or empty when there is none yet. */
export type TaskAnswers = readonly (readonly Grid[] | undefined)[];

/** The grid written where there is no answer. */
export const NO_ANSWER: GridRows = [[0]];

/**
 * A complete submission: every task id, one entry per test input, both attempt keys; any missing
 * answer is [[0]]. `answers` may be a Map or a plain object keyed by task id.
 */
export function buildSubmission(
  tasks: readonly { readonly id: string; readonly test: readonly unknown[] }[],
  answers: ReadonlyMap<string, TaskAnswers> | Readonly<Record<string, TaskAnswers>> = new Map(),
): SubmissionJson {
  const get = (id: string): TaskAnswers | undefined =>
    answers instanceof Map
      ? answers.get(id)
      : Object.hasOwn(answers, id)
        ? (answers as Record<string, TaskAnswers>)[id]
        : undefined;
  const out: SubmissionJson = {};
  for (const task of tasks) {
    const mine = get(task.id);
    const entries = task.test.map((_, i) => {
      const grids = mine?.[i] ?? [];
      const rows = (g: Grid | undefined) => (g ? gridToRows(g) : NO_ANSWER.map((r) => r.slice()));
      return { attempt_1: rows(grids[0]), attempt_2: rows(grids[1]) };
    });
    // defineProperty: an id such as "__proto__" must become a key, not a prototype.
    Object.defineProperty(out, task.id, {
      value: entries,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Write a submission atomically (temp file in the same folder, fsync, rename). */
export function writeSubmission(path: string, submission: SubmissionJson): void {
  writeFileAtomic(path, JSON.stringify(submission), "submission");
}

/** Validate a parsed submission. Each task with a problem gives one error and is left out. */
export function parseSubmission(
  value: unknown,
  file: string,
): { submission: Submission; errors: LoadError[] } {
  const submission: Submission = new Map();
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const message = `expected an object of {attempt_1, attempt_2} lists by task id, got ${describeValue(value)}`;
    return { submission, errors: [new LoadError({ file, message })] };
  }
  const errors: LoadError[] = [];
  for (const [id, entry] of Object.entries(value)) {
    const mapKeys = ([i, ...rest]: (string | number)[]) => (i === undefined ? [] : ["test", i, ...rest]);
    const result = validate(AttemptsListSchema, entry, { file, taskId: id, mapKeys });
    if (!result.ok) {
      errors.push(result.error);
      continue;
    }
    submission.set(
      id,
      result.value.map((a) => ({
        attempt_1: gridFromRows(a.attempt_1),
        attempt_2: gridFromRows(a.attempt_2),
      })),
    );
  }
  return { submission, errors };
}

/** Read and validate a submission file. Never throws for bad content. */
export function readSubmission(file: string): { submission: Submission; errors: LoadError[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a folder" : err.message;
    return { submission: new Map(), errors: [new LoadError({ file, message: `cannot read: ${why}` })] };
  }
  const parsed = parseJson(text, file);
  if ("error" in parsed) return { submission: new Map(), errors: [parsed.error] };
  return parseSubmission(parsed.value, file);
}

/** Problems that keep a submission from being scored against these solutions: missing ids, wrong entry counts. */
export function checkSubmissionCovers(
  submission: ReadonlyMap<string, readonly Attempts[]>,
  solutions: ReadonlyMap<string, readonly Grid[]>,
  file: string,
): LoadError[] {
  const errors: LoadError[] = [];
  for (const [id, outputs] of solutions) {
    const entry = submission.get(id);
    if (entry === undefined) {
      errors.push(
        new LoadError({
          file,
          taskId: id,
          message: `missing (the solutions have ${outputs.length} test output${outputs.length === 1 ? "" : "s"})`,
        }),
      );
    } else if (entry.length !== outputs.length) {
      errors.push(
        new LoadError({
          file,
          taskId: id,
          message: `${entry.length} entries, expected ${outputs.length} (one per test input)`,
        }),
      );
    }
  }
  return errors;
}
