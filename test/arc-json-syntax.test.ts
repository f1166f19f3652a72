import { describe, expect, test } from "bun:test";
import {
  entriesInTextOrder,
  findJsonSyntaxProblem,
  lineColumn,
  parseJson,
  topLevelKeys,
} from "../src/arc/index.ts";

describe("JSON syntax positions", () => {
  test.each([
    [
      "trailing comma in a list",
      '{"a": [1, 2,]}',
      "invalid JSON at line 1 column 13: unexpected ']', expected a value",
    ],
    [
      "missing comma",
      '{"a": [1, 2]\n "b": 3}',
      "invalid JSON at line 2 column 2: unexpected '\"', expected ',' or '}'",
    ],
    [
      "unclosed list",
      '{\n  "a": [1, 2\n',
      "invalid JSON at line 3 column 1: unexpected end of text, expected ',' or ']'",
    ],
    ["empty text", "", "invalid JSON at line 1 column 1: empty text, expected a JSON value"],
    ["only spaces", "  \n ", "invalid JSON at line 2 column 2: empty text, expected a JSON value"],
    [
      "garbage after the value",
      "[1] x",
      "invalid JSON at line 1 column 5: unexpected 'x' after the JSON value",
    ],
    [
      "unquoted key",
      "{a: 1}",
      "invalid JSON at line 1 column 2: unexpected 'a', expected a property name in double quotes or '}'",
    ],
    ["single quotes", "['a']", "invalid JSON at line 1 column 2: unexpected ''', expected a value"],
    ["bad literal", '{"a": tru}', "invalid JSON at line 1 column 7: unexpected 'tru', expected a value"],
    ["NaN", "[NaN]", "invalid JSON at line 1 column 2: unexpected 'NaN', expected a value"],
    ["leading zero", "[01]", "invalid JSON at line 1 column 2: invalid number"],
    [
      "missing colon",
      '{"a" 1}',
      "invalid JSON at line 1 column 6: unexpected '1', expected ':' after a property name",
    ],
    ["unterminated string", '{"a": "abc', "invalid JSON at line 1 column 7: unterminated string"],
    ["newline in a string", '["a\nb"]', "invalid JSON at line 1 column 4: control character inside a string"],
    ["bad escape", '["\\x"]', "invalid JSON at line 1 column 3: bad escape in a string"],
    [
      "trailing comma in an object",
      '{"a": 1,}',
      "invalid JSON at line 1 column 9: unexpected '}', expected a property name in double quotes",
    ],
    [
      "CRLF lines",
      '{\r\n"a": [1,\r\n,2]}',
      "invalid JSON at line 3 column 1: unexpected ',', expected a value",
    ],
    ["tab", "[\t@]", "invalid JSON at line 1 column 3: unexpected '@', expected a value"],
    [
      "control byte",
      "[\u0001]",
      "invalid JSON at line 1 column 2: unexpected character U+0001, expected a value",
    ],
  ])("%s", (_, text, message) => {
    const result = parseJson(text, "f.json");
    expect("error" in result).toBe(true);
    if (!("error" in result)) return;
    expect(result.error.message).toBe(message);
    expect(result.error.toString()).toBe(`f.json: ${message}`);
    expect(result.error.line).toBeGreaterThanOrEqual(1);
    expect(result.error.column).toBeGreaterThanOrEqual(1);
  });

  test.each([
    ['{"a": [1, 2.5e-3, -0, true, false, null, "x\\u00e9\\n"]}'],
    ["  [ ]  "],
    ['{"": {}}'],
    ["\uFEFF[1]"],
  ])("valid JSON parses: %s", (text) => {
    expect("value" in parseJson(text, "f.json")).toBe(true);
    expect(findJsonSyntaxProblem(text.replace(/^\uFEFF/, ""))).toBeUndefined();
  });

  test("deep nesting does not overflow the scanner", () => {
    const text = "[".repeat(100000) + "]".repeat(99999);
    expect(findJsonSyntaxProblem(text)?.reason).toBe("unexpected end of text, expected ',' or ']'");
  });

  test("lineColumn", () => {
    expect(lineColumn("ab\ncd\n", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("ab", 0)).toEqual({ line: 1, column: 1 });
  });
});

describe("text order of top-level keys", () => {
  test("topLevelKeys skips nested keys and unescapes", () => {
    expect(topLevelKeys('{"b": {"x": [1, {"y": 2}]}, "a\\"q": "s,{", "9": []}')).toEqual(["b", 'a"q', "9"]);
  });

  test("all-digit ids keep the file's order", () => {
    const text = '{"zz": 1, "13713586": 2, "00576224": 3, "12": 4}';
    expect(Object.keys(JSON.parse(text))).toEqual(["12", "13713586", "zz", "00576224"]);
    expect(entriesInTextOrder(JSON.parse(text), text).map(([k]) => k)).toEqual([
      "zz",
      "13713586",
      "00576224",
      "12",
    ]);
  });
});
