import { describe, expect, test } from "bun:test";
import { DynamicTable } from "../../../src/http2/hpack/dynamic-table.ts";
import { STATIC_NAMES, STATIC_TABLE, staticField } from "../../../src/http2/hpack/static-table.ts";

describe("static table (RFC 7541 Appendix A)", () => {
  test("61 entries, spot checks at both ends and around the values", () => {
    expect(STATIC_TABLE.length).toBe(61);
    expect(staticField(1)).toEqual([":authority", ""]);
    expect(staticField(2)).toEqual([":method", "GET"]);
    expect(staticField(7)).toEqual([":scheme", "https"]);
    expect(staticField(8)).toEqual([":status", "200"]);
    expect(staticField(14)).toEqual([":status", "500"]);
    expect(staticField(16)).toEqual(["accept-encoding", "gzip, deflate"]);
    expect(staticField(19)).toEqual(["accept", ""]);
    expect(staticField(24)).toEqual(["cache-control", ""]);
    expect(staticField(32)).toEqual(["cookie", ""]);
    expect(staticField(33)).toEqual(["date", ""]);
    expect(staticField(38)).toEqual(["host", ""]);
    expect(staticField(46)).toEqual(["location", ""]);
    expect(staticField(55)).toEqual(["set-cookie", ""]);
    expect(staticField(58)).toEqual(["user-agent", ""]);
    expect(staticField(61)).toEqual(["www-authenticate", ""]);
  });

  test("name lookups give the first index of a name and every value's index", () => {
    expect(STATIC_NAMES.get(":status")!.index).toBe(8);
    expect(STATIC_NAMES.get(":status")!.values.get("404")).toBe(13);
    expect(STATIC_NAMES.get(":path")!.values.get("/index.html")).toBe(5);
    expect(STATIC_NAMES.get("www-authenticate")!.index).toBe(61);
    expect(STATIC_NAMES.get("accept")!.values.get("")).toBe(19);
    expect(STATIC_NAMES.get("x-unknown")).toBeUndefined();
    expect(STATIC_NAMES.size).toBe(52);
  });
});

describe("dynamic table (RFC 7541 §2.3.2, §4)", () => {
  test("newest first; size counts name + value + 32", () => {
    const t = new DynamicTable(4096);
    t.add("a", "1");
    t.add("bb", "22");
    expect(t.entries()).toEqual([["bb", "22"], ["a", "1"]]);
    expect(t.name(1)).toBe("bb");
    expect(t.value(2)).toBe("1");
    expect(t.size).toBe(34 + 36);
    expect(t.length).toBe(2);
    expect(t.inserted).toBe(2);
  });

  test("adding evicts from the oldest end until the entry fits (§4.4)", () => {
    const t = new DynamicTable(100);
    t.add("a", "1"); // 34
    t.add("b", "2"); // 68
    t.add("c", "3"); // 102 > 100: a goes
    expect(t.entries()).toEqual([["c", "3"], ["b", "2"]]);
    expect(t.size).toBe(68);
    t.add("dddddddddd", "x".repeat(30)); // 72: b and c go
    expect(t.entries()).toEqual([["dddddddddd", "x".repeat(30)]]);
    expect(t.size).toBe(72);
  });

  test("an entry exactly the table size fits; one larger empties the table and is not added", () => {
    const t = new DynamicTable(40);
    t.add("abcd", "efgh"); // 40
    expect(t.size).toBe(40);
    t.add("abcd", "efghi"); // 41
    expect(t.length).toBe(0);
    expect(t.size).toBe(0);
  });

  test("a smaller maximum evicts (§4.3); size 0 empties", () => {
    const t = new DynamicTable(4096);
    for (let i = 0; i < 10; i++) t.add(`n${i}`, `v${i}`);
    t.setMaxSize(36 * 3);
    expect(t.entries()).toEqual([["n9", "v9"], ["n8", "v8"], ["n7", "v7"]]);
    t.setMaxSize(0);
    expect(t.entries()).toEqual([]);
    t.add("a", "b");
    expect(t.length).toBe(0);
  });

  test("the ring grows and wraps without losing order", () => {
    const t = new DynamicTable(36 * 50);
    for (let i = 0; i < 1000; i++) {
      t.add(`n${i % 10}`, (i % 100).toString().padStart(2, "0")); // 36 each
      const n = Math.min(i + 1, 50);
      expect(t.length).toBe(n);
      expect(t.name(1)).toBe(`n${i % 10}`);
      expect(t.name(n)).toBe(`n${(i - n + 1) % 10}`);
    }
    expect(t.size).toBe(36 * 50);
  });

  test("evictions report each entry's sequence number, oldest first", () => {
    const seen: [string, number][] = [];
    class Watched extends DynamicTable {
      protected override evicted(name: string, _value: string, seq: number): void {
        seen.push([name, seq]);
      }
    }
    const t = new Watched(34 * 2);
    t.add("a", "0");
    t.add("b", "1");
    t.add("c", "2");
    t.add("d", "3");
    t.setMaxSize(0);
    expect(seen).toEqual([["a", 0], ["b", 1], ["c", 2], ["d", 3]]);
  });
});
