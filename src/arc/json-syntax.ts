// JSON parsing that reports where malformed text goes wrong. JSON.parse does the work; when it fails,
// a small strict scanner walks the text to find the first offending character and its line and column
// (Bun's JSON.parse message carries no position).
import { LoadError } from "./load-error.ts";

/** Where and why a JSON text is malformed. Line and column are 1-based. */
export interface JsonSyntaxProblem {
  offset: number;
  line: number;
  column: number;
  reason: string;
}

/** Parse JSON text; on failure return a LoadError naming the file, line and column. */
export function parseJson(text: string, file: string): { value: unknown } | { error: LoadError } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body) };
  } catch (cause) {
    const p = findJsonSyntaxProblem(body) ?? {
      line: 1,
      column: 1,
      reason: String((cause as Error)?.message ?? cause),
    };
    return {
      error: new LoadError({
        file,
        message: `invalid JSON at line ${p.line} column ${p.column}: ${p.reason}`,
        line: p.line,
        column: p.column,
      }),
    };
  }
}

/** The first syntax problem in a JSON text, or undefined when the text is valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const at = (offset: number, reason: string): JsonSyntaxProblem => ({
    offset,
    ...lineColumn(text, offset),
    reason,
  });
  const stack: number[] = []; // 0x7b '{' or 0x5b '['
  type State = "value" | "value-or-close" | "after" | "key" | "key-or-close" | "colon";
  let state: State = "value";
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (state === "after" && stack.length === 0)
      return i < n ? at(i, `unexpected ${show(text, i)} after the JSON value`) : undefined;
    if (i >= n) {
      if (n === 0 || text.trim() === "") return at(i, "empty text, expected a JSON value");
      return at(i, `unexpected end of text, ${expectation(state, stack)}`);
    }
    const ch = text.charCodeAt(i);
    if (state === "value" || state === "value-or-close") {
      if (state === "value-or-close" && ch === 0x5d) {
        stack.pop();
        i++;
        state = "after";
        continue;
      }
      if (ch === 0x7b) {
        stack.push(ch);
        i++;
        state = "key-or-close";
        continue;
      }
      if (ch === 0x5b) {
        stack.push(ch);
        i++;
        state = "value-or-close";
        continue;
      }
      const end =
        ch === 0x22
          ? scanString(text, i)
          : ch === 0x2d || isDigit(ch)
            ? scanNumber(text, i)
            : scanLiteral(text, i);
      if (typeof end !== "number") return at(end.offset, end.reason);
      i = end;
      state = "after";
    } else if (state === "after") {
      const top = stack[stack.length - 1];
      const close = top === 0x7b ? 0x7d : 0x5d;
      if (ch === 0x2c) state = top === 0x7b ? "key" : "value";
      else if (ch === close) stack.pop();
      else return at(i, `unexpected ${show(text, i)}, ${expectation(state, stack)}`);
      i++;
    } else if (state === "key" || state === "key-or-close") {
      if (state === "key-or-close" && ch === 0x7d) {
        stack.pop();
        i++;
        state = "after";
        continue;
      }
      if (ch !== 0x22) return at(i, `unexpected ${show(text, i)}, ${expectation(state, stack)}`);
      const end = scanString(text, i);
      if (typeof end !== "number") return at(end.offset, end.reason);
      i = end;
      state = "colon";
    } else {
      if (ch !== 0x3a) return at(i, `unexpected ${show(text, i)}, expected ':' after a property name`);
      i++;
      state = "value";
    }
  }
}

/** 1-based line and column of an offset (columns count UTF-16 code units). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function expectation(state: string, stack: number[]): string {
  const inObject = stack[stack.length - 1] === 0x7b;
  switch (state) {
    case "value":
      return "expected a value";
    case "value-or-close":
      return "expected a value or ']'";
    case "key":
      return "expected a property name in double quotes";
    case "key-or-close":
      return "expected a property name in double quotes or '}'";
    case "colon":
      return "expected ':'";
    default:
      return inObject ? "expected ',' or '}'" : "expected ',' or ']'";
  }
}

type Scan = number | { offset: number; reason: string };

function scanString(text: string, start: number): Scan {
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) return i + 1;
    if (ch < 0x20) return { offset: i, reason: "control character inside a string" };
    if (ch === 0x5c) {
      const e = text[i + 1];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
          return { offset: i, reason: "bad \\u escape in a string" };
        i += 6;
        continue;
      }
      if (e === undefined || !'"\\/bfnrt'.includes(e)) return { offset: i, reason: "bad escape in a string" };
      i += 2;
      continue;
    }
    i++;
  }
  return { offset: start, reason: "unterminated string" };
}

function scanNumber(text: string, start: number): Scan {
  const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(start, start + 400));
  if (!m || m[0] === "-") return { offset: start, reason: "invalid number" };
  const end = start + m[0].length;
  const next = text.charCodeAt(end);
  if (isDigit(next) || next === 0x2e || next === 0x65 || next === 0x45)
    return { offset: start, reason: "invalid number" };
  return end;
}

function scanLiteral(text: string, start: number): Scan {
  for (const word of ["true", "false", "null"]) if (text.startsWith(word, start)) return start + word.length;
  return { offset: start, reason: `unexpected ${show(text, start)}, expected a value` };
}

function show(text: string, i: number): string {
  const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 40));
  if (word) return `'${word[0]}'`;
  const code = text.charCodeAt(i);
  return code >= 0x20 && code < 0x7f
    ? `'${text[i]}'`
    : `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The entries of a parsed top-level JSON object in the order the text gives them. JavaScript objects
 * list integer-like keys ("13713586") first, which would reorder ARC ids; the text order is kept here.
 */
export function entriesInTextOrder(object: Record<string, unknown>, text: string): [string, unknown][] {
  const entries = Object.entries(object);
  if (!entries.some(([key]) => /^(0|[1-9][0-9]*)$/.test(key))) return entries;
  const order = topLevelKeys(text).filter((key) => Object.hasOwn(object, key));
  const unique = [...new Set(order)];
  if (unique.length !== entries.length) return entries;
  return unique.map((key) => [key, object[key]]);
}

/** The keys of a top-level JSON object, in text order (the text must be valid JSON). */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      expectKey = false;
    } else if (ch === 0x7b || ch === 0x5b) {
      depth++;
      expectKey = depth === 1 && ch === 0x7b;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    } else if (ch === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
