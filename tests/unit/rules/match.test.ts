// ACL matching per method and flag (src/rules/match), against rows of
// (method, -i, patterns, sample, expected) written from HAProxy 2.6's
// configuration manual (7.1) and pattern.c.
import { describe, expect, test } from "bun:test";
import { compileMatcher } from "../../../src/rules/match/index.ts";
import type { Matcher, MatchMethod, Sample } from "../../../src/rules/types.ts";

type Row = [method: MatchMethod, ignoreCase: boolean, patterns: string[], sample: Sample, expected: boolean];

const PNG_PATH = "/images/png/logo/32x32.png";
const DOM_URL = "http://www1.dc-eu.example.com:80/blah";

const ROWS: Row[] = [
  // found: any sample, patterns ignored
  ["found", false, [], "", true],
  ["found", false, [], 0, true],
  ["found", false, ["x"], "anything", true],
  // bool: true or non-zero; strings cast to int as HAProxy does
  ["bool", false, [], true, true],
  ["bool", false, [], false, false],
  ["bool", false, [], 0, false],
  ["bool", false, [], 7, true],
  ["bool", false, [], "1", true],
  ["bool", false, [], "0", false],
  ["bool", false, [], "", false],
  ["bool", false, [], "5x", true],
  // int: values, ranges, operators, casts
  ["int", false, ["5"], 5, true],
  ["int", false, ["5"], 6, false],
  ["int", false, ["5"], "5", true],
  ["int", false, ["5"], "5abc", true],
  ["int", false, ["5"], "+5", true],
  ["int", false, ["0"], "abc", true],
  ["int", false, ["0"], "", false],
  ["int", false, ["1"], true, true],
  ["int", false, ["0"], false, true],
  ["int", false, ["1"], false, false],
  ["int", false, ["1", "3", "5"], 3, true],
  ["int", false, ["1", "3", "5"], 4, false],
  ["int", false, ["1:10"], 1, true],
  ["int", false, ["1:10"], 10, true],
  ["int", false, ["1:10"], 0, false],
  ["int", false, ["1:10"], 11, false],
  ["int", false, ["1-10"], 5, true],
  ["int", false, [":10"], -5, true],
  ["int", false, [":10"], 11, false],
  ["int", false, ["10:"], 10, true],
  ["int", false, ["10:"], 9, false],
  ["int", false, ["-5"], 5, true], // '-' is a range separator: "-5" is ":5"
  ["int", false, ["-5"], -100, true],
  ["int", false, ["-5"], 6, false],
  ["int", false, [":-3"], "-7", true],
  ["int", false, [":-3"], -2, false],
  ["int", false, ["1:3", "7:9"], 8, true],
  ["int", false, ["1:3", "7:9"], 5, false],
  ["int", false, ["1:3", "2:9"], 9, true],
  ["int", false, ["1:3", "4:9"], 4, true],
  ["int", false, ["lt", "5"], 4, true],
  ["int", false, ["lt", "5"], 5, false],
  ["int", false, ["le", "5"], 5, true],
  ["int", false, ["le", "5"], 6, false],
  ["int", false, ["gt", "5"], 6, true],
  ["int", false, ["gt", "5"], 5, false],
  ["int", false, ["ge", "5"], 5, true],
  ["int", false, ["ge", "5"], 4, false],
  ["int", false, ["eq", "5"], 5, true],
  ["int", false, ["eq", "5"], 4, false],
  ["int", false, ["lt", "0"], -1, true],
  ["int", false, ["lt", "0"], 0, false],
  ["int", false, ["gt", "5", "lt", "2"], 1, true],
  ["int", false, ["gt", "5", "lt", "2"], 3, false],
  ["int", false, ["gt", "5", "lt", "2"], 6, true],
  ["int", false, ["gt", "1:3"], 2, true], // a range stays a range under an operator
  ["int", false, ["gt", "1:3"], 5, false],
  ["int", false, [], 0, false],
  // len: the sample's length as an integer
  ["len", false, ["3"], "abc", true],
  ["len", false, ["3"], "ab", false],
  ["len", false, ["gt", "2"], "abc", true],
  ["len", false, ["gt", "2"], "ab", false],
  ["len", false, ["0"], "", true],
  ["len", false, ["5"], 12345, true],
  ["len", false, ["1"], true, true],
  ["len", false, ["1:4"], "\u00e9t\u00e9", true],
  // str: exact
  ["str", false, ["abc"], "abc", true],
  ["str", false, ["abc"], "ABC", false],
  ["str", false, ["abc"], "abcd", false],
  ["str", false, ["abc"], "ab", false],
  ["str", true, ["abc"], "ABC", true],
  ["str", true, ["ABC"], "aBc", true],
  ["str", true, ["abc"], "abd", false],
  ["str", true, ["\u00e9cole"], "\u00c9COLE", false], // -i folds ASCII only, as HAProxy's strncasecmp
  ["str", true, ["\u00e9cole"], "\u00e9COLE", true],
  ["str", true, ["stra\u00dfe"], "STRASSE", false],
  ["str", false, [""], "", true],
  ["str", false, [""], "x", false],
  ["str", true, [""], "", true],
  ["str", false, ["42"], 42, true],
  ["str", false, ["1"], true, true],
  ["str", false, ["0"], false, true],
  ["str", false, ["GET", "HEAD"], "HEAD", true],
  ["str", false, [], "", false],
  // beg: prefix
  ["beg", false, ["/api"], "/api/v1", true],
  ["beg", false, ["/api"], "/api", true],
  ["beg", false, ["/api"], "/ap", false],
  ["beg", false, ["/api"], "/API/v1", false],
  ["beg", true, ["/api"], "/API/v1", true],
  ["beg", true, ["/API"], "/api", true],
  ["beg", false, ["/a", "/b"], "/b/c", true],
  ["beg", false, ["/a", "/b"], "/c/b", false],
  ["beg", false, ["/ab", "/ac"], "/a", false],
  ["beg", false, [""], "anything", true],
  ["beg", false, [""], "", true],
  ["beg", false, ["abc"], "", false],
  ["beg", false, ["www."], 0, false],
  ["beg", false, ["12"], 123, true],
  // end: suffix
  ["end", false, [".png", ".jpg"], "/x.png", true],
  ["end", false, [".png", ".jpg"], "/x.gif", false],
  ["end", false, [".png"], ".png", true],
  ["end", false, [".png"], "png", false],
  ["end", false, [".png"], "/x.PNG", false],
  ["end", true, [".PNG"], "/X.png", true],
  ["end", false, [""], "x", true],
  ["end", false, ["x"], "", false],
  // sub: substring
  ["sub", false, ["curl", "wget"], "Mozilla curl/8", true],
  ["sub", false, ["curl", "wget"], "Mozilla", false],
  ["sub", false, ["curl"], "CURL", false],
  ["sub", true, ["CURL"], "my-curl", true],
  ["sub", false, [""], "x", true],
  ["sub", false, [""], "", true],
  ["sub", false, ["abcd", "bc"], "abc", true],
  ["sub", false, ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "needle"], "hay with needle", true],
  ["sub", false, ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "needle"], "haystack", false],
  ["sub", false, ["abcd", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "bcx"], "abcx", true],
  ["sub", false, ["abcd", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "bcx"], "abcbc", false],
  ["sub", true, ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "NeEdLe"], "HAY NEEDLE", true],
  // dir: slash-delimited words (manual 7.1.3)
  ["dir", false, ["/images"], PNG_PATH, true],
  ["dir", false, ["/images/png"], PNG_PATH, true],
  ["dir", false, ["images/png"], PNG_PATH, true],
  ["dir", false, ["/png/logo"], PNG_PATH, true],
  ["dir", false, ["logo/32x32.png"], PNG_PATH, true],
  ["dir", false, ["32x32.png"], PNG_PATH, true],
  ["dir", false, ["png"], PNG_PATH, true], // the manual says no; pattern.c and HAProxy 2.6 itself say yes
  ["dir", false, ["32x32"], PNG_PATH, false],
  ["dir", false, ["api"], "/api?x=1", true],
  ["dir", false, ["api"], "/apis", false],
  ["dir", false, ["api"], "/my-api/x", false],
  ["dir", false, ["/api/"], "api", true],
  ["dir", true, ["API"], "/api/x", true],
  ["dir", false, ["/"], "/a/", true], // only delimiters: an empty word, as HAProxy
  ["dir", false, ["/"], "/a", false],
  ["dir", false, [""], "", true],
  // dom: words delimited by . : / ? (manual 7.1.3)
  ...["http", "www1", ".www1", "dc-eu", "example", "com", "80", "dc-eu.example", "blah", ":www1:", "example.com:80"]
    .map((p): Row => ["dom", false, [p], DOM_URL, true]),
  // The manual lists "dc-eu.example:80" as a match; the sample has no such
  // run of words, and pattern.c and HAProxy 2.6 itself say no.
  ["dom", false, ["dc-eu.example:80"], DOM_URL, false],
  ["dom", false, ["eu"], DOM_URL, false],
  ["dom", false, ["dc"], DOM_URL, false],
  ["dom", false, [".example.com"], "www.example.com", true],
  ["dom", false, [".example.com"], "example.com", true],
  ["dom", false, [".example.com"], "www.example.com:8080", true],
  ["dom", false, [".example.com"], "myexample.com", false],
  ["dom", false, [".example.com"], "example.community", false],
  ["dom", false, [".example.com"], "example.com.evil.net", true], // why the manual warns against dom for routing
  ["dom", false, ["example.com"], "www.EXAMPLE.com", false],
  ["dom", true, ["Example.COM"], "WWW.EXAMPLE.com", true],
  ["dom", false, ["a", "b", "example.com"], "x.example.com", true],
  // reg: RE2 via re2js, unanchored unless anchored
  ["reg", false, ["^/api/v[0-9]+/"], "/api/v2/x", true],
  ["reg", false, ["^/api/v[0-9]+/"], "/x/api/v2/", false],
  ["reg", false, ["abc"], "xxabcxx", true],
  ["reg", false, ["^abc$"], "ABC", false],
  ["reg", true, ["^abc$"], "ABC", true],
  ["reg", false, ["a|b", "^z"], "zz", true],
  ["reg", false, ["a|b", "^z"], "yz", false],
  ["reg", false, ["^[0-9]+$"], 1234, true],
  ["reg", false, ["(a+)+$"], "a".repeat(5000) + "!", false], // exponential for a backtracking engine
  ["reg", false, ["(x+x+)+y"], "x".repeat(5000), false],
  ["reg", false, ["\\Qa.b", "^x"], "a.b", true], // \Q quotes to the end: never joined with others
  ["reg", false, ["\\Qa.b", "^x"], "axb", false],
  ["reg", false, ["\\Qa.b", "^x"], "xy", true],
  ["reg", false, ["(?i)abc", "^x"], "ABC", true], // a flag stays inside its pattern
  ["reg", false, ["(?i)abc", "^x"], "X", false],
  // ip: networks, both families, v4-mapped
  ["ip", false, ["10.0.0.0/8"], "10.1.2.3", true],
  ["ip", false, ["10.0.0.0/8"], "11.0.0.1", false],
  ["ip", false, ["10.0.0.0/8"], "::ffff:10.1.2.3", true],
  ["ip", false, ["10.0.0.0/8"], "::FFFF:10.1.2.3", true],
  ["ip", false, ["10.0.0.0/8"], "0:0:0:0:0:ffff:a01:203", true],
  ["ip", false, ["10.0.0.0/8"], "::10.1.2.3", true], // IPv4-compatible, as HAProxy 2.6 reads it
  ["ip", false, ["10.0.0.0/8"], "2002:a01:203::", true], // 6to4: 10.1.2.3 in bits 16-47
  ["ip", false, ["10.0.0.0/8"], "2002:a01:203:ffff::1", true],
  ["ip", false, ["10.0.0.0/8"], "2003:a01:203::", false],
  ["ip", false, ["10.0.0.0/8"], "::1:10.1.2.3", false],
  ["ip", false, ["0.0.0.1"], "::1", true],
  ["ip", false, ["10.1.2.3/8"], "10.200.0.1", true], // host bits ignored
  ["ip", false, ["1.2.3.4"], "1.2.3.4", true],
  ["ip", false, ["1.2.3.4"], "1.2.3.5", false],
  ["ip", false, ["0.0.0.0/0"], "1.2.3.4", true],
  ["ip", false, ["0.0.0.0/0"], "::ffff:1.2.3.4", true],
  ["ip", false, ["0.0.0.0/0"], "2001:db8::1", false],
  ["ip", false, ["::/0"], "2001:db8::1", true],
  ["ip", false, ["::/0"], "1.2.3.4", true], // tried as ::ffff:1.2.3.4
  ["ip", false, ["2001:db8::/32"], "2001:db8:1::5", true],
  ["ip", false, ["2001:db8::/32"], "2001:DB8::1", true],
  ["ip", false, ["2001:db8::/32"], "2001:db9::1", false],
  ["ip", false, ["2001:db8::/32"], "10.0.0.1", false],
  ["ip", false, ["::1"], "::1", true],
  ["ip", false, ["::1"], "::2", false],
  ["ip", false, ["::ffff:10.0.0.0/104"], "10.1.1.1", true],
  ["ip", false, ["::ffff:10.0.0.0/104"], "11.1.1.1", false],
  ["ip", false, ["fe80::/10"], "fe80::1%eth0", true],
  ["ip", false, ["192.168.1"], "192.168.0.1", true], // HAProxy's short form: 192.168.0.1
  ["ip", false, ["192.168.1"], "192.168.1.0", false],
  ["ip", false, ["10.12/8"], "10.9.9.9", true],
  ["ip", false, ["127.1"], "127.0.0.1", true],
  ["ip", false, ["10.0.0.0/255.0.0.0"], "10.3.3.3", true],
  ["ip", false, ["10.0.0.0/255.0.0.0"], "11.3.3.3", false],
  ["ip", false, ["0.0.0.1/0.0.0.255"], "5.6.7.1", true], // a mask that is not contiguous
  ["ip", false, ["0.0.0.1/0.0.0.255"], "5.6.7.2", false],
  ["ip", false, ["0.0.0.1/0.0.0.255"], "::ffff:5.6.7.1", true],
  ["ip", false, ["127.0.0.1"], 2130706433, true], // an integer sample is an IPv4 address
  ["ip", false, ["10.0.0.0/8"], "not an address", false],
  ["ip", false, ["10.0.0.0/8"], "", false],
  ["ip", false, ["10.0.0.0/8"], "10.1.2", false], // samples are full addresses
  ["ip", false, ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"], "192.168.7.7", true],
];

function matcher(method: MatchMethod, ignoreCase: boolean, patterns: string[]): Matcher {
  const m = compileMatcher(method, patterns, { ignoreCase });
  if (typeof m === "string") throw new Error(m);
  return m;
}

describe("compileMatcher", () => {
  for (const [method, ignoreCase, patterns, sample, expected] of ROWS) {
    const shown = typeof sample === "string" && sample.length > 40 ? `${sample.slice(0, 20)}...(${sample.length})` : sample;
    test(`-m ${method}${ignoreCase ? " -i" : ""} ${JSON.stringify(patterns)} ${JSON.stringify(shown)} → ${expected}`, () => {
      expect(matcher(method, ignoreCase, patterns)(sample)).toBe(expected);
    });
  }

  test("every method has rows, with and without -i for the string methods", () => {
    const methods: MatchMethod[] = ["str", "beg", "end", "sub", "reg", "dom", "dir", "found", "len", "ip", "int", "bool"];
    for (const m of methods) expect(ROWS.some((r) => r[0] === m)).toBe(true);
    for (const m of ["str", "beg", "end", "sub", "reg", "dom", "dir"]) {
      expect(ROWS.some((r) => r[0] === m && r[1])).toBe(true);
      expect(ROWS.some((r) => r[0] === m && !r[1])).toBe(true);
    }
  });

  test("a regex that backtracks exponentially in PCRE runs in linear time", () => {
    const m = matcher("reg", false, ["(a+)+$"]);
    const sample = "a".repeat(20_000) + "!";
    const started = performance.now();
    expect(m(sample)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("compileMatcher refuses bad patterns, naming them", () => {
  test.each([
    ["ip", "10.0.0.0/33"],
    ["ip", "example.com"],
    ["ip", "2001:db8::/129"],
    ["ip", "1.2.3.4.5"],
    ["ip", "010.0.0.1"],
    ["ip", "256.1.1.1"],
    ["ip", "10.0.0.0/255.0.0.256"],
    ["ip", "fe80::1%eth0"],
    ["int", "abc"],
    ["int", "5:1"],
    ["int", "1:2:3"],
    ["int", ":"],
    ["int", "1.5"],
    ["int", "99999999999999999999"],
    ["len", "x"],
    ["reg", "(?=x)"],
    ["reg", "(a)\\1"],
    ["reg", "["],
  ] as [MatchMethod, string][])("-m %s %s", (method, pattern) => {
    // After a good pattern, so the message must name the bad one.
    const good = method === "ip" ? "1.2.3.4" : method === "reg" ? "^ok$" : "7";
    const r = compileMatcher(method, [good, pattern], { ignoreCase: false });
    expect(typeof r).toBe("string");
    expect(r as string).toContain(pattern);
  });

  test("an operator must be followed by a value", () => {
    expect(compileMatcher("int", ["lt"], { ignoreCase: false })).toBe("operator 'lt' is not followed by a value");
    expect(compileMatcher("int", ["lt", "x"], { ignoreCase: false })).toContain("'x' is neither a number nor a supported operator");
  });

  test("operators are plain strings for the string methods", () => {
    expect(matcher("str", false, ["lt", "5"])("lt")).toBe(true);
  });
});
