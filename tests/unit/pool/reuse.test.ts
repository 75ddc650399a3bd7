import { describe, expect, test } from "bun:test";
import type { HttpReuse } from "../../../src/config/types.ts";
import { type SharedList, sharedLists } from "../../../src/pool/reuse.ts";

// The table of connection-ownership.md, "Reuse modes": which shared lists a
// stream may take from, in order, after the session's own private connections.
const table: [HttpReuse, "first" | "later", SharedList[]][] = [
  ["never", "first", []],
  ["never", "later", []],
  ["safe", "first", []],
  ["safe", "later", ["idle", "safe"]],
  ["aggressive", "first", ["safe"]],
  ["aggressive", "later", ["idle", "safe"]],
  ["always", "first", ["safe", "idle"]],
  ["always", "later", ["idle", "safe"]],
];

describe("sharedLists (http-reuse table)", () => {
  for (const [mode, which, lists] of table) {
    test(`${mode}, ${which} request → [${lists.join(", ")}]`, () => {
      expect([...sharedLists(mode, which === "first")]).toEqual(lists);
    });
  }

  test("never: no shared list at all, whatever the request", () => {
    expect(sharedLists("never", true).length + sharedLists("never", false).length).toBe(0);
  });

  test("a first request never gets an unproven idle connection except under always", () => {
    for (const mode of ["never", "safe", "aggressive"] as const) expect(sharedLists(mode, true)).not.toContain("idle");
    expect(sharedLists("always", true)).toContain("idle");
  });
});
