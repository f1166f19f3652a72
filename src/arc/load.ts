// Loading ARC tasks from every common layout: a Kaggle challenges file (with an optional solutions
// file), a single task file, a folder of task files, or "-" for standard input. Never throws for bad
// content: the result carries the good tasks and one LoadError per problem.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { Grid } from "./grid.ts";
import { parseJson } from "./json-syntax.ts";
import { LoadError } from "./load-error.ts";
import {
  attachSolutions,
  detectJsonLayout,
  solutionsFromJson,
  tasksFromJson,
  type JsonLayout,
} from "./parse-tasks.ts";
import type { Task } from "./task.ts";

/** The name used for standard input in messages. */
export const STDIN_NAME = "<stdin>";

/** How a source was laid out: one JSON file of the given kind, a folder of files, or unreadable. */
export type SourceLayout = JsonLayout | "folder" | "unreadable";

/** Loaded tasks (test outputs filled in where known), the problems found, and the detected layout. */
export interface LoadResult {
  tasks: Task[];
  errors: LoadError[];
  layout: SourceLayout;
}

export interface LoadOptions {
  /**
   * Solutions for a Kaggle challenges file: a path to a solutions file, or "auto" to use the
   * `*_solutions.json` beside a `*_challenges.json` when it exists. Default: none.
   */
  solutions?: string;
  /** Reads standard input for "-" (tests replace it). */
  readStdin?: () => Promise<string>;
}

/** The solutions file name that belongs to a Kaggle challenges file, or undefined when the name does not fit. */
export function solutionsPathFor(challengesPath: string): string | undefined {
  const m = /^(.*)_challenges\.json$/.exec(challengesPath);
  return m ? `${m[1]}_solutions.json` : undefined;
}

/** The solutions file beside a Kaggle challenges file, when it exists. */
export function findSolutionsFile(challengesPath: string): string | undefined {
  const path = solutionsPathFor(challengesPath);
  return path !== undefined && existsSync(path) ? path : undefined;
}

/** Load tasks from a file, a folder, or "-" (standard input); the layout is detected from the content. */
export async function loadTasks(source: string, options: LoadOptions = {}): Promise<LoadResult> {
  if (source !== "-" && isDirectory(source)) return loadFolder(source, options);
  const text = await readSource(source, options);
  if ("error" in text) return { tasks: [], errors: [text.error], layout: "unreadable" };
  return loadText(text.text, source === "-" ? STDIN_NAME : source, options);
}

/** Load tasks from the text of one JSON file named `file` (its stem is the id of a single task). */
export function loadText(
  text: string,
  file: string,
  options: Pick<LoadOptions, "solutions"> = {},
): LoadResult {
  const parsed = parseJson(text, file);
  if ("error" in parsed) return { tasks: [], errors: [parsed.error], layout: "unreadable" };
  const set = tasksFromJson(parsed.value, file, taskIdFromFile(file), text);
  const layout = set.layout ?? "unreadable";
  if (layout !== "challenges" || options.solutions === undefined)
    return { tasks: set.tasks, errors: set.errors, layout };
  const solutionsFile = options.solutions === "auto" ? findSolutionsFile(file) : options.solutions;
  if (solutionsFile === undefined) return { tasks: set.tasks, errors: set.errors, layout };
  const sol = readSolutionsFile(solutionsFile);
  const ids = new Set([
    ...set.tasks.map((t) => t.id),
    ...set.errors.flatMap((e) => (e.taskId === undefined ? [] : [e.taskId])),
  ]);
  const attached = attachSolutions(set.tasks, sol.solutions, solutionsFile, ids);
  return { tasks: attached.tasks, errors: [...set.errors, ...sol.errors, ...attached.errors], layout };
}

/**
 * Solutions by task id, from a Kaggle solutions file or from any task layout whose test pairs carry
 * outputs (a challenges file gets the solutions file beside it).
 */
export async function loadSolutions(
  source: string,
  options: Pick<LoadOptions, "readStdin"> = {},
): Promise<{
  solutions: Map<string, Grid[]>;
  errors: LoadError[];
}> {
  if (source === "-" || !isDirectory(source)) {
    const text = await readSource(source, options);
    if ("error" in text) return { solutions: new Map(), errors: [text.error] };
    const file = source === "-" ? STDIN_NAME : source;
    const parsed = parseJson(text.text, file);
    if ("error" in parsed) return { solutions: new Map(), errors: [parsed.error] };
    if (detectJsonLayout(parsed.value) === "solutions")
      return solutionsFromJson(parsed.value, file, text.text);
  }
  const loaded = await loadTasks(source, { ...options, solutions: "auto" });
  const solutions = new Map<string, Grid[]>();
  const errors = [...loaded.errors];
  for (const task of loaded.tasks) {
    const missing = task.test.findIndex((t) => t.output === undefined);
    if (missing < 0)
      solutions.set(
        task.id,
        task.test.map((t) => t.output!),
      );
    else
      errors.push(
        new LoadError({
          file: source,
          taskId: task.id,
          path: `test[${missing}].output`,
          message: "unknown (no solution given)",
        }),
      );
  }
  return { solutions, errors };
}

/** The task id a single-task file gets: its name without folder and ".json". */
export function taskIdFromFile(file: string): string {
  if (file === STDIN_NAME) return "stdin";
  return basename(file).replace(/\.json$/i, "");
}

function loadFolder(folder: string, options: LoadOptions): LoadResult {
  let files: string[];
  try {
    files = listJsonFiles(folder);
  } catch (e) {
    return {
      tasks: [],
      errors: [new LoadError({ file: folder, message: `cannot list: ${(e as Error).message}` })],
      layout: "folder",
    };
  }
  const fileSet = new Set(files);
  const result: LoadResult = { tasks: [], errors: [], layout: "folder" };
  const firstFile = new Map<string, string>();
  for (const file of files) {
    // A solutions file beside its challenges file is read with it, not as tasks.
    const challenges = /^(.*)_solutions\.json$/.exec(file);
    if (challenges && fileSet.has(`${challenges[1]}_challenges.json`)) continue;
    const text = readFileText(file);
    const one =
      "error" in text
        ? { tasks: [], errors: [text.error] }
        : loadText(text.text, file, { solutions: options.solutions === undefined ? undefined : "auto" });
    result.errors.push(...one.errors);
    for (const task of one.tasks) {
      const first = firstFile.get(task.id);
      if (first !== undefined) {
        result.errors.push(
          new LoadError({
            file,
            taskId: task.id,
            message: `duplicate task id (already loaded from ${first})`,
          }),
        );
        continue;
      }
      firstFile.set(task.id, file);
      result.tasks.push(task);
    }
  }
  if (files.length === 0)
    result.errors.push(new LoadError({ file: folder, message: "no .json files in the folder" }));
  return result;
}

function listJsonFiles(folder: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listJsonFiles(path));
    else if (entry.name.toLowerCase().endsWith(".json")) out.push(path);
  }
  return out;
}

function readSolutionsFile(file: string): { solutions: Map<string, Grid[]>; errors: LoadError[] } {
  const text = readFileText(file);
  if ("error" in text) return { solutions: new Map(), errors: [text.error] };
  const parsed = parseJson(text.text, file);
  if ("error" in parsed) return { solutions: new Map(), errors: [parsed.error] };
  return solutionsFromJson(parsed.value, file, text.text);
}

async function readSource(
  source: string,
  options: LoadOptions,
): Promise<{ text: string } | { error: LoadError }> {
  if (source !== "-") return readFileText(source);
  try {
    return { text: await (options.readStdin ?? (() => Bun.stdin.text()))() };
  } catch (e) {
    return { error: new LoadError({ file: STDIN_NAME, message: `cannot read: ${(e as Error).message}` }) };
  }
}

function readFileText(file: string): { text: string } | { error: LoadError } {
  try {
    return { text: readFileSync(file, "utf8") };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT" ? "no such file or folder" : err.code === "EISDIR" ? "is a folder" : err.message;
    return { error: new LoadError({ file, message: `cannot read: ${why}` }) };
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
