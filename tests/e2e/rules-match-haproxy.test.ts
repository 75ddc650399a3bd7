// Differential test of the pattern matchers and maps (src/rules/match)
// against HAProxy 2.6 (Debian's), the reference: the same patterns, maps and
// pattern files in a haproxy.cfg, the same samples sent as a request header
// (url-encoded, decoded by url_dec, so every byte arrives as written), and
// HAProxy's answer compared with compileMatcher's and compileLookup's. The
// rows are the cases where the manual is vague or wrong, or where a port
// could easily differ: word boundaries, casts of strings to integers,
// operators, IPv6 samples against IPv4 networks, -i beyond ASCII, which map
// entry wins, how pattern files are read.
//
// Sluice's samples and patterns are byte strings (one char per byte, as its
// HTTP layer keeps header values), so the UTF-8 text here is given to the
// matchers as its Latin-1 reading.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileLookup, compileMatcher, parseMapFile, parsePatternFile } from "../../src/rules/match/index.ts";
import type { MatchMethod } from "../../src/rules/types.ts";
import { freePort, tempDir } from "./harness.ts";
import { haproxy, type RunningProxy } from "./reference-proxy.ts";

interface AclCase {
  method: MatchMethod;
  ignoreCase?: boolean;
  patterns: string[];
  samples: string[];
}

const PNG_PATH = "/images/png/logo/32x32.png";
const DOM_URL = "http://www1.dc-eu.example.com:80/blah";

const ACLS: AclCase[] = [
  { method: "dir", patterns: ["png"], samples: [PNG_PATH, "/pngs/x"] },
  { method: "dir", patterns: ["/images/png", "32x32"], samples: [PNG_PATH, "/images/pngs", "/a/32x32", "/a/32x32?x=1"] },
  { method: "dir", patterns: ["/"], samples: ["/a/", "/a", ""] },
  { method: "dom", patterns: ["dc-eu.example:80"], samples: [DOM_URL] },
  { method: "dom", patterns: ["eu", "dc"], samples: [DOM_URL] },
  { method: "dom", patterns: ["example.com:80"], samples: [DOM_URL] },
  {
    method: "dom",
    patterns: [".example.com"],
    samples: ["www.example.com", "example.com", "myexample.com", "example.com.evil.net", "www.example.com:8080", "example.community"],
  },
  { method: "dom", ignoreCase: true, patterns: ["Example.COM"], samples: ["WWW.EXAMPLE.com", "example.org"] },
  { method: "int", patterns: ["0"], samples: ["abc", "", "0", "00"] },
  { method: "int", patterns: ["5"], samples: ["5abc", "+5", "-5", " 5", "5"] },
  { method: "int", patterns: ["-5"], samples: ["3", "-100", "6"] },
  { method: "int", patterns: ["lt", "5", "gt", "10"], samples: ["4", "5", "10", "11"] },
  { method: "int", patterns: ["gt", "1:3"], samples: ["2", "5"] },
  { method: "int", patterns: ["le", "0"], samples: ["-3", "0", "1"] },
  { method: "int", patterns: ["1-10", "20:"], samples: ["10", "15", "25"] },
  { method: "len", patterns: ["gt", "3"], samples: ["abc", "abcd", "h\u00e9l"] },
  { method: "bool", patterns: [], samples: ["5x", "abc", "0", "", "-1"] },
  { method: "str", patterns: ["abc"], samples: ["abc", "ABC", "abcd", ""] },
  { method: "str", ignoreCase: true, patterns: ["\u00e9cole", "abc"], samples: ["\u00c9COLE", "\u00e9COLE", "ABC"] },
  { method: "beg", patterns: ["/api", "/static/"], samples: ["/api/x", "/ap", "/static", "/API"] },
  { method: "beg", ignoreCase: true, patterns: ["/API"], samples: ["/api/v1", "/ap"] },
  { method: "end", patterns: [".png", ".JPG"], samples: ["/a.png", "/a.jpg", "/a.JPG"] },
  { method: "end", ignoreCase: true, patterns: [".JPG"], samples: ["/a.jpg"] },
  { method: "sub", patterns: ["curl", "wget"], samples: ["Mozilla curl/8", "Wget/1.21"] },
  { method: "sub", ignoreCase: true, patterns: ["WGET", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"], samples: ["Wget/1.21", "Mozilla"] },
  { method: "reg", patterns: ["^/api/v[0-9]+/", "admin$"], samples: ["/api/v2/x", "/x/admin", "/x/admins", "/api/x/"] },
  { method: "reg", ignoreCase: true, patterns: ["^abc$"], samples: ["ABC", "xABC"] },
  {
    method: "ip",
    patterns: ["10.0.0.0/8"],
    samples: ["10.1.2.3", "::ffff:10.1.2.3", "2002:a01:203::", "::10.1.2.3", "2003:a01:203::", "::1:10.1.2.3", "10.1.2", "11.0.0.1", "garbage"],
  },
  { method: "ip", patterns: ["::/0"], samples: ["1.2.3.4"] },
  { method: "ip", patterns: ["0.0.0.1"], samples: ["::1", "::2"] },
  {
    method: "ip",
    patterns: ["192.168.1", "10.12/8", "0.0.0.1/0.0.0.255"],
    samples: ["192.168.0.1", "192.168.1.0", "10.9.9.9", "5.6.7.1", "::ffff:5.6.7.1", "5.6.7.2"],
  },
  { method: "ip", patterns: ["2001:db8::/32"], samples: ["2001:DB8:1::5", "2001:db9::1", "10.0.0.1"] },
];

interface MapCase {
  method: MatchMethod;
  file: string;
  samples: string[];
}

const MAPS: MapCase[] = [
  { method: "end", file: ".com com\n.example.com example\n", samples: ["www.example.com", "x.org"] },
  { method: "sub", file: "b first\na second\n", samples: ["ab", "a", "c"] },
  { method: "int", file: "1:10 range\n5 exact\n", samples: ["5", "7", "11", "abc"] },
  { method: "beg", file: "/api short\n/api/v2 long\n/api dup\n", samples: ["/api/v2/x", "/api/x", "/x"] },
  {
    method: "ip",
    file: "::ffff:10.1.2.0/120 v6\n10.0.0.0/8 v4\n0.0.0.3/0.0.0.255 odd\n",
    samples: ["10.1.2.3", "::ffff:10.1.2.3", "11.0.0.3", "12.0.0.4", "2002:a01:203::"],
  },
  { method: "dom", file: "com c\nexample.com e\n", samples: ["www.example.com", "example.org"] },
  { method: "dir", file: "/b b\n/a a\n", samples: ["/a/b", "/c"] },
  { method: "str", file: "# hosts\na 1\na 2\n  B   3 4 \n", samples: ["a", "b", "B"] },
  { method: "reg", file: "^/a first\n^/a/b second\n", samples: ["/a/b", "/b"] },
];

const PATTERN_FILE = "foo  \n #bar\n# comment\n   baz\n\tqux\t\n\n";
const PATTERN_FILE_SAMPLES = ["foo", "foo  ", "#bar", "baz", "# comment", "qux\t", "qux"];

/** UTF-8 text as the byte string sluice's matchers see. */
const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

let proxy: RunningProxy;
let port = 0;
const dir = tempDir();

beforeAll(async () => {
  port = await freePort();
  const lines = [
    "defaults",
    "  mode http",
    "  timeout client 5s",
    "  timeout server 5s",
    "  timeout connect 5s",
    "frontend fe",
    `  bind 127.0.0.1:${port}`,
  ];
  ACLS.forEach((c, i) => {
    const flags = `-m ${c.method}${c.ignoreCase ? " -i" : ""}`;
    lines.push(`  acl a${i} req.hdr(x),url_dec ${flags} -- ${c.patterns.join(" ")}`);
    lines.push(`  http-request return status 200 content-type text/plain string yes if { req.hdr(case) -m str a${i} } a${i}`);
  });
  writeFileSync(join(dir, "patterns.lst"), PATTERN_FILE);
  lines.push(`  acl f req.hdr(x),url_dec -m str -f ${join(dir, "patterns.lst")}`);
  lines.push("  http-request return status 200 content-type text/plain string yes if { req.hdr(case) -m str f } f");
  MAPS.forEach((m, i) => {
    const file = join(dir, `m${i}.map`);
    writeFileSync(file, m.file);
    lines.push(
      `  http-request return status 200 content-type text/plain lf-string "%[req.hdr(x),url_dec,map_${m.method}(${file},NONE)]" if { req.hdr(case) -m str m${i} }`,
    );
  });
  lines.push("  http-request return status 200 content-type text/plain string no");
  const config = `${lines.join("\n")}\n`;
  const problem = haproxy.loads(config);
  if (problem !== undefined) throw new Error(`haproxy refuses the test config: ${problem}`);
  proxy = await haproxy.start(config, [port]);
});

afterAll(async () => {
  await proxy?.stop();
});

/** HAProxy's answers that were a match or a value, so that agreement on "no" alone cannot pass. */
let positives = 0;

async function ask(caseName: string, sample: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { case: caseName, x: encodeURIComponent(sample) } });
  const text = await res.text();
  if (text !== "no" && text !== "NONE") positives++;
  return text;
}

describe("ACL matching agrees with HAProxy 2.6", () => {
  ACLS.forEach((c, i) => {
    test(`-m ${c.method}${c.ignoreCase ? " -i" : ""} ${JSON.stringify(c.patterns)}`, async () => {
      const m = compileMatcher(c.method, c.patterns.map(bytes), { ignoreCase: c.ignoreCase ?? false });
      if (typeof m === "string") throw new Error(m);
      for (const sample of c.samples) {
        const theirs = (await ask(`a${i}`, sample)) === "yes";
        expect({ sample, match: m(bytes(sample)) }).toEqual({ sample, match: theirs });
      }
    });
  });

  test("-f pattern file", async () => {
    const m = compileMatcher("str", parsePatternFile(PATTERN_FILE).map((p) => p.pattern), { ignoreCase: false });
    if (typeof m === "string") throw new Error(m);
    for (const sample of PATTERN_FILE_SAMPLES) {
      const theirs = (await ask("f", sample)) === "yes";
      expect({ sample, match: m(bytes(sample)) }).toEqual({ sample, match: theirs });
    }
  });
});

describe("map lookups agree with HAProxy 2.6", () => {
  MAPS.forEach((c, i) => {
    test(`map_${c.method} ${JSON.stringify(c.file)}`, async () => {
      const entries = parseMapFile(c.file);
      if (typeof entries === "string") throw new Error(entries);
      const l = compileLookup(c.method, entries.map((e) => [bytes(e.key), e.value] as const), { ignoreCase: false });
      if (typeof l === "string") throw new Error(l);
      for (const sample of c.samples) {
        const theirs = await ask(`m${i}`, sample);
        expect({ sample, value: l(bytes(sample)) ?? "NONE" }).toEqual({ sample, value: theirs });
      }
    });
  });
});

test("the rows exercise matches, not only misses", () => {
  expect(positives).toBeGreaterThan(60);
});
