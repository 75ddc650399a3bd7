// Keys per table type, as HAProxy 2.6 turns samples into stick-table keys:
// (input, expected key) rows; undefined means "no key" (never a throw).
import { describe, expect, test } from "bun:test";
import { normalizeKey } from "../../src/stick/keys.ts";
import type { StickKey, StickKeyInput, StickKeyType } from "../../src/stick/types.ts";
import { MemoryStickTable } from "../../src/stick/table.ts";

function rows(type: StickKeyType, len: number, table: [StickKeyInput, StickKey | undefined][]) {
  for (const [input, expected] of table) {
    test(`${type}: ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      expect(normalizeKey(type, len, input)).toBe(expected as StickKey);
    });
  }
}

describe("type ip (IPv4 only)", () => {
  rows("ip", 32, [
    ["192.0.2.1", "192.0.2.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    // An IPv4-mapped IPv6 address is its IPv4 address, however it is written.
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:192.0.2.1", "192.0.2.1"],
    ["::ffff:c000:201", "192.0.2.1"],
    ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
    // Other IPv6 addresses have no IPv4 key (IPv4-compatible ::a.b.c.d included, as HAProxy's v6tov4).
    ["2001:db8::1", undefined],
    ["::1", undefined],
    ["::192.0.2.1", undefined],
    // Not addresses.
    ["256.0.0.1", undefined],
    ["1.2.3", undefined],
    ["1.2.3.4.5", undefined],
    ["01.2.3.4", undefined],
    ["1.2.3.4 ", undefined],
    ["", undefined],
    ["example.com", undefined],
    // An integer is an address (HAProxy's int-to-ip cast); a boolean is not.
    [0xc0000201, "192.0.2.1"],
    [-1, "255.255.255.255"],
    [1.5, undefined],
    [true, undefined],
  ]);
});

describe("type ipv6 (IPv4 stored mapped)", () => {
  rows("ipv6", 32, [
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::", "fe80::"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["192.0.2.1", "::ffff:192.0.2.1"],
    ["::ffff:c000:201", "::ffff:192.0.2.1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
    [0xc0000201, "::ffff:192.0.2.1"],
    // Not addresses.
    ["1::2::3", undefined],
    [":::1", undefined],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1:2:3:4:5:6:7", undefined],
    ["12345::1", undefined],
    ["g::1", undefined],
    ["fe80::1%eth0", undefined],
    ["[::1]", undefined],
    ["::1.2.3.4:5", undefined],
    ["1:", undefined],
    [":1", undefined],
    [false, undefined],
  ]);
});

describe("type integer (unsigned 32 bits)", () => {
  rows("integer", 32, [
    [42, 42],
    [0, 0],
    [2 ** 32 + 5, 5],
    [-1, 4294967295],
    ["42", 42],
    ["+7", 7],
    ["-1", 4294967295],
    ["18446744073709551617", 1], // 2^64 + 1: the low 32 bits, exact past a double's precision
    [true, 1],
    [false, 0],
    ["12abc", undefined],
    ["", undefined],
    [" 1", undefined],
    [1.5, undefined],
  ]);
});

describe("type string (at most len bytes)", () => {
  rows("string", 4, [
    ["abc", "abc"],
    ["abcd", "abcd"],
    ["abcdef", "abcd"],
    ["ab\0cd", "ab"],
    ["", ""],
    [12345, "1234"],
    [true, "1"],
    // Text above latin1 counts by its UTF-8 bytes (é is 2 bytes, € is 3).
    ["é€", "\xc3\xa9\xe2\x82"],
    ["\xe9t\xe9s", "\xe9t\xe9s"],
  ]);
});

describe("type binary (exactly len bytes)", () => {
  rows("binary", 4, [
    ["ab", "ab\0\0"],
    ["abcdef", "abcd"],
    ["a\0b", "a\0b\0"],
  ]);
  rows("binary", 8, [
    [258, "\0\0\0\0\0\0\x01\x02"],
    [-1, "\xff\xff\xff\xff\xff\xff\xff\xff"],
    [true, "\0\0\0\0\0\0\0\x01"],
    [0.5, undefined],
  ]);
});

describe("tables use their type and len", () => {
  test("the same client through two spellings is one entry", () => {
    const t = new MemoryStickTable({ name: "t", type: "ip", len: 32, size: 10, expireMs: 1000, store: [{ counter: "gpc0" }] });
    const a = t.track("::ffff:10.1.2.3", 0)!;
    a.add("gpc0", 0);
    expect(t.track("10.1.2.3", 1)).toBe(a);
    expect(t.lookup("0:0:0:0:0:ffff:a01:203", 2)!.read("gpc0", 2)).toBe(1);
    expect(t.size).toBe(1);
  });

  test("a key of the wrong kind gives undefined from every method, and nothing is created", () => {
    const t = new MemoryStickTable({ name: "t", type: "integer", len: 32, size: 10, expireMs: 1000, store: [] });
    expect(t.track("not a number", 0)).toBeUndefined();
    expect(t.lookup("not a number", 0)).toBeUndefined();
    expect(t.remove("not a number")).toBe(false);
    expect(t.normalize("not a number")).toBeUndefined();
    expect(t.size).toBe(0);
  });

  test("string tables cut keys at their len: longer keys sharing those bytes are one entry", () => {
    const t = new MemoryStickTable({ name: "t", type: "string", len: 16, size: 10, expireMs: 1000, store: [] });
    expect(t.track("x".repeat(40), 0)!.key).toBe("x".repeat(16));
    expect(t.track("x".repeat(17), 0)).toBe(t.lookup("x".repeat(16), 0)!);
    expect(t.size).toBe(1);
  });
});
