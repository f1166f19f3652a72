// valibot schemas for ARC JSON, and the translation of valibot issues into LoadErrors whose text names
// the pair, field, row and column: "train[1].output row 3: 5 cells, expected 6".
import * as v from "valibot";
import { MAX_GRID_SIDE } from "./grid.ts";
import { LoadError } from "./load-error.ts";

/** A short description of a JSON value for messages: `"abc"`, `1.5`, `null`, `a list`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string")
    return JSON.stringify(value.length > 24 ? `${value.slice(0, 24)}...` : value);
  return String(value);
}

type Issue = v.BaseIssue<unknown>;
const missing = (issue: Issue) => issue.input === undefined && (issue.path?.length ?? 0) > 0;
const got = (what: string) => (issue: Issue) =>
  missing(issue) ? "missing" : `expected ${what}, got ${describeValue(issue.input)}`;
const count = (noun: string) => (issue: Issue) =>
  `${(issue.input as unknown[]).length} ${noun}, expected 1..${MAX_GRID_SIDE}`;

const cellMessage = (issue: Issue) => `${describeValue(issue.input)} is not a colour 0..9`;
const CellSchema = v.pipe(
  v.number(cellMessage),
  v.integer(cellMessage),
  v.minValue(0, cellMessage),
  v.maxValue(9, cellMessage),
);

const RowSchema = v.pipe(
  v.array(CellSchema, got("a row (a list of colours)")),
  v.minLength(1, count("cells")),
  v.maxLength(MAX_GRID_SIDE, count("cells")),
);

/** A grid in its JSON form: 1..30 rows of 1..30 colours 0..9, all rows the same length. */
export const GridRowsSchema = v.pipe(
  v.array(RowSchema, got("a grid (a list of rows)")),
  v.minLength(1, count("rows")),
  v.maxLength(MAX_GRID_SIDE, count("rows")),
  v.rawCheck<number[][]>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const rows = dataset.value;
    if (rows.length === 0) return;
    const width = rows[0]!.length;
    for (let r = 1; r < rows.length; r++) {
      if (rows[r]!.length !== width) {
        addIssue({
          message: `${rows[r]!.length} cells, expected ${width}`,
          path: [{ type: "array", origin: "value", input: rows, key: r, value: rows[r] }],
        });
        return;
      }
    }
  }),
);

const isRecord = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
/** An object (not a list) with the given entries; other keys are tolerated. */
const record = <E extends v.ObjectEntries>(entries: E, what: string) =>
  v.pipe(v.custom<Record<string, unknown>>(isRecord, got(what)), v.looseObject(entries, got(what)));

const PairSchema = record(
  { input: GridRowsSchema, output: GridRowsSchema },
  "an object with input and output",
);
const TestPairSchema = record(
  { input: GridRowsSchema, output: v.optional(GridRowsSchema) },
  "an object with an input",
);

/** One task: at least one train pair with input and output, at least one test input. Extra keys are tolerated. */
export const TaskSchema = record(
  {
    train: v.pipe(
      v.array(PairSchema, got("a list of pairs")),
      v.minLength(1, "empty, expected at least 1 pair"),
    ),
    test: v.pipe(
      v.array(TestPairSchema, got("a list of test inputs")),
      v.minLength(1, "empty, expected at least 1 test input"),
    ),
  },
  "an object with train and test",
);

/** The solutions of one task in a Kaggle solutions file: one grid per test input. */
export const SolutionListSchema = v.pipe(
  v.array(GridRowsSchema, got("a list of output grids, one per test input")),
  v.minLength(1, "empty, expected one output grid per test input"),
);

/** A submission entry for one task: one {attempt_1, attempt_2} per test input. */
export const AttemptsListSchema = v.pipe(
  v.array(
    record(
      { attempt_1: GridRowsSchema, attempt_2: GridRowsSchema },
      "an object with attempt_1 and attempt_2",
    ),
    got("a list with one {attempt_1, attempt_2} per test input"),
  ),
  v.minLength(1, "empty, expected one {attempt_1, attempt_2} per test input"),
);

/** Keys whose value is a grid: numbers after them in a path are row and column. */
const GRID_FIELDS = new Set(["input", "output", "attempt_1", "attempt_2"]);

/** A readable path: ["train", 1, "output", 3, 2] -> "train[1].output row 3 col 2". */
export function formatPath(keys: readonly unknown[]): string {
  let out = "";
  let gridDepth = -1;
  for (const key of keys) {
    if (gridDepth >= 0) {
      out += gridDepth === 0 ? ` row ${String(key)}` : ` col ${String(key)}`;
      gridDepth++;
      continue;
    }
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
    if (typeof key === "string" && GRID_FIELDS.has(key)) gridDepth = 0;
  }
  return out;
}

/** Where a value sits: which file and task, and the path prefix its issues are reported under. */
export interface Place {
  file: string;
  taskId?: string;
  /** Keys put before every issue path (e.g. ["test"] for a list of test outputs). */
  prefix?: readonly (string | number)[];
  /** Rewrite of each issue's keys before formatting (e.g. [i, ...] -> ["test", i, "output", ...]). */
  mapKeys?: (keys: (string | number)[]) => (string | number)[];
}

/** Validate a value; on failure one LoadError for the first problem (counting the other places with problems). */
export function validate<T extends v.GenericSchema>(
  schema: T,
  value: unknown,
  place: Place,
): { ok: true; value: v.InferOutput<T> } | { ok: false; error: LoadError } {
  const result = v.safeParse(schema, value);
  if (result.success) return { ok: true, value: result.output };
  const issues = result.issues as unknown as Issue[];
  const first = issues[0]!;
  let keys = (first.path ?? []).map((p) => p.key as string | number);
  if (place.mapKeys) keys = place.mapKeys(keys);
  // Count other problem places, not issues: a cell like 9.5 fails both "integer" and "at most 9".
  const places = new Set(issues.map((issue) => JSON.stringify((issue.path ?? []).map((p) => p.key))));
  const more = places.size - 1;
  const message =
    more > 0 ? `${first.message} (and ${more} more problem${more === 1 ? "" : "s"})` : first.message;
  const path = formatPath([...(place.prefix ?? []), ...keys]);
  return { ok: false, error: new LoadError({ file: place.file, taskId: place.taskId, path, message }) };
}
