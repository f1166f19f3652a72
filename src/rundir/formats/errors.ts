// A run-directory file that does not match its format: the error naming file and field, and the
// helpers that read a file's text and JSON and check a value against a schema.
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { describeValue } from "../../arc/index.ts";

/** A run-directory file that is missing, not JSON, or not of its format: `<file>: <field>: <problem>`. */
export class RunFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${problem}`);
    this.name = "RunFileError";
  }
}

type Issue = v.BaseIssue<unknown>;

/** ["settings", "seed"] -> "settings.seed"; ["tasks", 3, "id"] -> "tasks[3].id". */
function fieldName(keys: readonly unknown[]): string {
  let out = "";
  for (const key of keys) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

const EXPECTED: Record<string, string> = { Object: "an object", Array: "a list" };

/**
 * What is wrong, in words: the schema's own message where it has one (valibot's defaults begin
 * "Invalid "), else "missing" or "expected X, got Y".
 */
function problemOf(issue: Issue): string {
  if (!issue.message.startsWith("Invalid ")) return issue.message;
  if (issue.input === undefined && (issue.path?.length ?? 0) > 0) return "missing";
  if (issue.kind === "schema") {
    const expected = issue.expected ?? issue.type;
    return `expected ${EXPECTED[expected] ?? expected}, got ${describeValue(issue.input)}`;
  }
  return `${describeValue(issue.input)}: ${issue.message}`;
}

/** Check a parsed value against a schema; the value as it is, or a RunFileError for the first problem. */
export function checkFormat<T>(schema: v.GenericSchema, value: unknown, file: string): T {
  const result = v.safeParse(schema, value);
  if (result.success) return value as T;
  const issue = result.issues[0] as Issue;
  const problem = problemOf(issue);
  const more = result.issues.length - 1;
  return fail(
    file,
    fieldName((issue.path ?? []).map((p) => p.key)),
    more > 0 ? `${problem} (and ${more} more problem${more === 1 ? "" : "s"})` : problem,
  );
}

export function fail(file: string, field: string, problem: string): never {
  throw new RunFileError(file, field, problem);
}

/** JSON text to a value; a RunFileError when it is not JSON. */
export function parseFileJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(
      file,
      "",
      `not valid JSON (${(e as Error).message}; ${text.length} bytes, cut short or damaged?)`,
    );
  }
}

/** A file's text; a RunFileError naming it when it cannot be read. */
export function readFileText(path: string, file = path): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(file, "", code === "ENOENT" ? "missing" : `cannot be read (${code ?? (e as Error).message})`);
  }
}
