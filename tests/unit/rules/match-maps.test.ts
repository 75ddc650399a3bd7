// Map lookups (compileLookup): which entry wins when several match, per
// method, as HAProxy 2.6's pattern.c decides it (trees: the longest or the
// equal key; lists: the first loaded).
import { describe, expect, test } from "bun:test";
import { compileLookup, compileMatcher } from "../../../src/rules/match/index.ts";
import type { Lookup, MatchMethod, Sample } from "../../../src/rules/types.ts";

function lookup(method: MatchMethod, entries: [string, string][], ignoreCase = false): Lookup<string> {
  const l = compileLookup(method, entries, { ignoreCase });
  if (typeof l === "string") throw new Error(l);
  return l;
}

type Row = [method: MatchMethod, ignoreCase: boolean, entries: [string, string][], sample: Sample, expected: string | undefined];

const ROWS: Row[] = [
  // str: the equal key; duplicates keep the first
  ["str", false, [["a", "1"], ["b", "2"]], "b", "2"],
  ["str", false, [["a", "1"], ["a", "2"]], "a", "1"],
  ["str", false, [["a", "1"]], "A", undefined],
  ["str", true, [["A", "1"], ["a", "2"]], "a", "1"],
  ["str", false, [["200", "ok"]], 200, "ok"],
  // beg: the longest prefix, whatever the order
  ["beg", false, [["/api", "short"], ["/api/v2", "long"]], "/api/v2/x", "long"],
  ["beg", false, [["/api/v2", "long"], ["/api", "short"]], "/api/v2/x", "long"],
  ["beg", false, [["/api/v2", "long"], ["/api", "short"]], "/api/v3", "short"],
  ["beg", false, [["/api", "first"], ["/api", "second"]], "/api/x", "first"],
  ["beg", false, [["", "default"], ["/a", "a"]], "/b", "default"],
  ["beg", false, [["", "default"], ["/a", "a"]], "/a", "a"],
  ["beg", false, [["/a", "a"]], "/b", undefined],
  // beg -i: HAProxy keeps -i prefixes in a list: the first loaded that matches
  ["beg", true, [["/API", "first"], ["/api/v2", "second"]], "/api/v2/x", "first"],
  ["beg", true, [["/api/v2", "first"], ["/API", "second"]], "/API/V2/x", "first"],
  // end: a list: the first loaded, not the longest
  ["end", false, [[".com", "com"], [".example.com", "example"]], "www.example.com", "com"],
  ["end", false, [[".example.com", "example"], [".com", "com"]], "www.example.com", "example"],
  ["end", false, [[".com", "com"]], "www.example.org", undefined],
  // sub: the first loaded that is found, wherever it is in the sample
  ["sub", false, [["b", "1"], ["a", "2"]], "ab", "1"],
  ["sub", false, [["z", "1"], ["a", "2"]], "ab", "2"],
  ["sub", true, [["B", "1"], ["a", "2"]], "ab", "1"],
  [
    "sub",
    false,
    [["x1", "0"], ["x2", "0"], ["x3", "0"], ["x4", "0"], ["x5", "0"], ["x6", "0"], ["x7", "0"], ["late", "late"], ["ate", "ate"]],
    "plate",
    "late",
  ],
  [
    "sub",
    false,
    [["x1", "0"], ["x2", "0"], ["x3", "0"], ["x4", "0"], ["x5", "0"], ["x6", "0"], ["x7", "0"], ["ate", "ate"], ["late", "late"]],
    "plate",
    "ate",
  ],
  // dom, dir: the first loaded
  ["dom", false, [["com", "c"], ["example.com", "e"]], "www.example.com", "c"],
  ["dom", false, [["example.com", "e"], ["com", "c"]], "www.example.com", "e"],
  ["dir", false, [["/b", "b"], ["/a", "a"]], "/a/b", "b"],
  // reg: the first loaded that matches
  ["reg", false, [["^/a", "1"], ["^/a/b", "2"]], "/a/b", "1"],
  ["reg", false, [["^/a/b", "2"], ["^/a", "1"]], "/a/b", "2"],
  ["reg", true, [["^/A/B$", "2"]], "/a/b", "2"],
  // ip: the most specific network
  ["ip", false, [["10.0.0.0/8", "wide"], ["10.1.0.0/16", "narrow"]], "10.1.2.3", "narrow"],
  ["ip", false, [["10.1.0.0/16", "narrow"], ["10.0.0.0/8", "wide"]], "10.1.2.3", "narrow"],
  ["ip", false, [["10.0.0.0/8", "wide"], ["10.1.0.0/16", "narrow"]], "10.2.0.1", "wide"],
  ["ip", false, [["10.0.0.0/8", "wide"], ["10.1.0.0/16", "narrow"]], "::ffff:10.1.2.3", "narrow"],
  ["ip", false, [["10.0.0.0/8", "first"], ["10.0.0.0/8", "second"]], "10.0.0.1", "first"],
  ["ip", false, [["0.0.0.0/0", "any"], ["10.1.2.3", "host"]], "10.1.2.3", "host"],
  ["ip", false, [["0.0.0.0/0", "any"], ["10.1.2.3", "host"]], "10.1.2.4", "any"],
  ["ip", false, [["2001:db8::/32", "wide"], ["2001:db8:1::/48", "narrow"]], "2001:db8:1::9", "narrow"],
  // ... of the sample's own family first, even against a longer one of the other
  ["ip", false, [["::ffff:10.1.2.0/120", "v6"], ["10.0.0.0/8", "v4"]], "10.1.2.3", "v4"],
  ["ip", false, [["::ffff:10.1.2.0/120", "v6"], ["10.0.0.0/8", "v4"]], "::ffff:10.1.2.3", "v6"],
  ["ip", false, [["::ffff:10.1.2.0/120", "v6"], ["10.0.0.0/8", "v4"]], "11.0.0.1", undefined],
  ["ip", false, [["::ffff:10.1.2.0/120", "v6"]], "10.1.2.3", "v6"],
  // ... and non-contiguous masks last, in load order
  ["ip", false, [["0.0.0.3/0.0.0.255", "odd"], ["10.0.0.0/8", "net"]], "10.0.0.3", "net"],
  ["ip", false, [["0.0.0.3/0.0.0.255", "odd"], ["10.0.0.0/8", "net"]], "11.0.0.3", "odd"],
  ["ip", false, [["0.0.0.3/0.0.0.255", "odd"], ["0.0.0.0/0.0.0.3", "odd2"]], "11.0.0.4", "odd2"],
  // int: the first loaded
  ["int", false, [["1:10", "range"], ["5", "exact"]], 5, "range"],
  ["int", false, [["5", "exact"], ["1:10", "range"]], 5, "exact"],
  ["int", false, [["5", "a"], ["1:10", "b"]], 7, "b"],
  ["int", false, [["5", "a"], ["1:10", "b"]], "7", "b"],
  ["int", false, [["5", "a"], ["1:10", "b"]], 11, undefined],
  ["int", false, [["100:", "big"], [":0", "small"], ["7", "seven"]], 7, "seven"],
  ["int", false, [["100:", "big"], [":0", "small"], ["7", "seven"]], -3, "small"],
  ["len", false, [["3", "three"], ["1:5", "short"]], "ab", "short"],
];

describe("compileLookup", () => {
  for (const [method, ignoreCase, entries, sample, expected] of ROWS) {
    test(`map_${method}${ignoreCase ? " -i" : ""} ${JSON.stringify(entries.map((e) => e[0]))} ${JSON.stringify(sample)} → ${expected}`, () => {
      expect(lookup(method, entries, ignoreCase)(sample)).toBe(expected);
    });
  }

  test("values are returned as given (any type)", () => {
    const l = compileLookup("str", [["a", { backend: "x" }]], { ignoreCase: false });
    if (typeof l === "string") throw new Error(l);
    expect(l("a")).toEqual({ backend: "x" });
  });

  test("bad keys are refused, naming them; map keys take no operators", () => {
    expect(compileLookup("ip", [["10.0.0.0/8", 1], ["nope", 2]], { ignoreCase: false })).toContain("'nope'");
    expect(compileLookup("int", [["lt", 1]], { ignoreCase: false })).toContain("'lt'");
    expect(compileLookup("reg", [["(?<=a)b", 1]], { ignoreCase: false })).toContain("(?<=a)b");
    expect(compileLookup("found", [["x", 1]], { ignoreCase: false })).toContain("no map form");
  });

  test("map_reg with hundreds of patterns: the first loaded that matches, across its groups of alternations", () => {
    const entries: [string, string][] = Array.from({ length: 200 }, (_, i) => [`^k${i}x`, `e${i}`]);
    entries.push(["k15", "late"], ["^k199x$", "exact"]);
    const l = lookup("reg", entries);
    expect(l("k150x")).toBe("e150");
    expect(l("k15x")).toBe("e15");
    expect(l("ak15")).toBe("late");
    expect(l("k199x")).toBe("e199");
    expect(l("k200x")).toBeUndefined();
    const m = compileMatcher("reg", entries.map((e) => e[0]), { ignoreCase: true });
    if (typeof m === "string") throw new Error(m);
    expect(m("K199X")).toBe(true);
    expect(m("AK15")).toBe(true);
    expect(m("k200x")).toBe(false);
  });

  test("an empty map finds nothing", () => {
    for (const m of ["str", "beg", "end", "sub", "dom", "dir", "reg", "ip", "int"] as MatchMethod[]) {
      const l = compileLookup(m, [], { ignoreCase: false });
      if (typeof l === "string") throw new Error(l);
      expect(l("10.0.0.1")).toBeUndefined();
    }
  });
});
