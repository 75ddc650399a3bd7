// Pattern files (-f) and map files, read as HAProxy 2.6 reads them.
import { describe, expect, test } from "bun:test";
import { parseMapFile, parsePatternFile } from "../../../src/rules/match/index.ts";

describe("parsePatternFile", () => {
  test("one pattern a line; comments, blank lines and leading blanks skipped; lines numbered from 1", () => {
    const text = "# admin networks\n  10.0.0.0/8\n\n\t\n192.168.0.0/16\r\n\t/static\n";
    expect(parsePatternFile(text)).toEqual([
      { pattern: "10.0.0.0/8", line: 2 },
      { pattern: "192.168.0.0/16", line: 5 },
      { pattern: "/static", line: 6 },
    ]);
  });

  test("a '#' after leading blanks is a pattern (HAProxy's way to write one), inner blanks stay", () => {
    expect(parsePatternFile(" #anchor\nMozilla/5.0 (X11)\n")).toEqual([
      { pattern: "#anchor", line: 1 },
      { pattern: "Mozilla/5.0 (X11)", line: 2 },
    ]);
  });

  test("trailing blanks belong to the pattern, as in HAProxy; CR ends the line", () => {
    expect(parsePatternFile("abc  \nd\te\t\r\n")).toEqual([
      { pattern: "abc  ", line: 1 },
      { pattern: "d\te\t", line: 2 },
    ]);
  });

  test("an empty file, or one of comments only, has no patterns; the last line needs no newline", () => {
    expect(parsePatternFile("")).toEqual([]);
    expect(parsePatternFile("# a\n#b\n\n")).toEqual([]);
    expect(parsePatternFile("x\ny")).toEqual([{ pattern: "x", line: 1 }, { pattern: "y", line: 2 }]);
  });
});

describe("parseMapFile", () => {
  test("key, blanks, value to the end of the line (trailing blanks trimmed)", () => {
    const text = "# host to backend\nexample.com  web \n\n  api.example.com\tapi  pool\t\r\n";
    expect(parseMapFile(text)).toEqual([
      { key: "example.com", value: "web", line: 2 },
      { key: "api.example.com", value: "api  pool", line: 4 },
    ]);
  });

  test("a '#' inside a value or after leading blanks is data", () => {
    expect(parseMapFile("/a x#y\n #k v\n")).toEqual([
      { key: "/a", value: "x#y", line: 1 },
      { key: "#k", value: "v", line: 2 },
    ]);
  });

  test("a key without a value is an error naming the line", () => {
    expect(parseMapFile("a 1\nb\nc 3\n")).toBe("line 2: key 'b' has no value (a map line is a key, blanks, then the value)");
    expect(parseMapFile("a 1\n\nb \t \r\n")).toBe("line 3: key 'b' has no value (a map line is a key, blanks, then the value)");
  });
});
