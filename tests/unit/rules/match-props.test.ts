// Property checks: the indexes behind the matchers (radix trees,
// Aho-Corasick, folded hash, prefix trees, merged intervals) answer what a
// naive scan of the pattern list answers, HAProxy's way (pattern.c), for
// ACLs (any match) and maps (which entry wins). Small alphabets with
// delimiters and both cases make collisions, overlaps and boundaries common.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileLookup, compileMatcher } from "../../../src/rules/match/index.ts";
import type { MatchMethod, Sample } from "../../../src/rules/types.ts";

const RUNS = { numRuns: 400 };

const text = (maxLength: number) => fc.string({ unit: fc.constantFrom("a", "b", "A", "/", ".", ":", "?"), maxLength });
const patternList = fc.array(text(4), { maxLength: 14 });
/** Samples built from pattern pieces, so that matches are frequent. */
const sampleFrom = (patterns: string[]) =>
  fc.array(fc.oneof(fc.constantFrom(...patterns, "", "/", "."), text(3)), { maxLength: 5 }).map((parts) => parts.join(""));

const foldAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

type Naive = (patterns: string[], s: string, ignoreCase: boolean) => number;

/** The first index whose pattern satisfies `ok`, as HAProxy's lists answer. */
function firstWhere(patterns: string[], ok: (p: string) => boolean): number {
  return patterns.findIndex(ok);
}

const naiveStr: Naive = (ps, s, i) => firstWhere(ps, (p) => (i ? foldAscii(p) === foldAscii(s) : p === s));
const naiveBegFirst: Naive = (ps, s, i) => firstWhere(ps, (p) => (i ? foldAscii(s).startsWith(foldAscii(p)) : s.startsWith(p)));
/** HAProxy's prefix tree: the longest prefix, the first loaded of equal ones. */
const naiveBegLongest: Naive = (ps, s) => {
  let best = -1;
  ps.forEach((p, k) => {
    if (s.startsWith(p) && (best < 0 || p.length > ps[best]!.length)) best = k;
  });
  return best;
};
const naiveEnd: Naive = (ps, s, i) => firstWhere(ps, (p) => (i ? foldAscii(s).endsWith(foldAscii(p)) : s.endsWith(p)));
const naiveSub: Naive = (ps, s, i) => firstWhere(ps, (p) => (i ? foldAscii(s).includes(foldAscii(p)) : s.includes(p)));

/** HAProxy's match_word, transcribed loop for loop (the byte after the sample is not a delimiter). */
function matchWord(pattern: string, s: string, delims: string, ignoreCase: boolean): boolean {
  const isDelim = (c: string | undefined) => c !== undefined && delims.includes(c);
  let ps = 0;
  let pl = pattern.length;
  while (pl > 0 && isDelim(pattern[ps])) {
    pl--;
    ps++;
  }
  while (pl > 0 && isDelim(pattern[ps + pl - 1])) pl--;
  if (pl > s.length) return false;
  const word = pattern.slice(ps, ps + pl);
  const eq = (a: string, b: string) => (ignoreCase ? foldAscii(a) === foldAscii(b) : a === b);
  let mayMatch = true;
  const end = s.length - pl;
  for (let c = 0; c <= end; c++) {
    if (isDelim(s[c])) {
      mayMatch = true;
      continue;
    }
    if (!mayMatch) continue;
    if (eq(s.slice(c, c + pl), word) && (c === end || isDelim(s[c + pl]))) return true;
    mayMatch = false;
  }
  return false;
}
const naiveDir: Naive = (ps, s, i) => firstWhere(ps, (p) => matchWord(p, s, "/?", i));
const naiveDom: Naive = (ps, s, i) => firstWhere(ps, (p) => matchWord(p, s, "/?.:", i));

function compiled(method: MatchMethod, patterns: string[], ignoreCase: boolean) {
  const m = compileMatcher(method, patterns, { ignoreCase });
  const l = compileLookup(method, patterns.map((p, k) => [p, k] as const), { ignoreCase });
  if (typeof m === "string") throw new Error(m);
  if (typeof l === "string") throw new Error(l);
  return { m, l };
}

describe("string indexes agree with a scan of the list", () => {
  const cases: [MatchMethod, boolean, Naive][] = [
    ["str", false, naiveStr],
    ["str", true, naiveStr],
    ["beg", false, naiveBegLongest],
    ["beg", true, naiveBegFirst],
    ["end", false, naiveEnd],
    ["end", true, naiveEnd],
    ["sub", false, naiveSub],
    ["sub", true, naiveSub],
    ["dir", false, naiveDir],
    ["dir", true, naiveDir],
    ["dom", false, naiveDom],
    ["dom", true, naiveDom],
  ];
  for (const [method, ignoreCase, naive] of cases) {
    test(`-m ${method}${ignoreCase ? " -i" : ""}: the matcher and the map entry`, () => {
      fc.assert(
        fc.property(
          patternList.chain((ps) => fc.tuple(fc.constant(ps), ps.length ? sampleFrom(ps) : text(6))),
          ([patterns, sample]) => {
            const { m, l } = compiled(method, patterns, ignoreCase);
            const want = naive(patterns, sample, ignoreCase);
            expect(m(sample)).toBe(want >= 0);
            expect(l(sample) ?? -1).toBe(want);
          },
        ),
        RUNS,
      );
    });
  }
});

// ---- addresses ----

interface Net {
  text: string;
  family: 4 | 6;
  /** IPv4: the address and mask; IPv6: 128 bits as a bigint, and the prefix. */
  v4: number;
  mask: number;
  v6: bigint;
  prefix: number;
}

const quad = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const v6Text = (v: bigint) => {
  const groups: string[] = [];
  for (let k = 7; k >= 0; k--) groups.push(((v >> BigInt(16 * k)) & 0xffffn).toString(16));
  return groups.join(":");
};
const prefixMask = (p: number) => (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);
const MAPPED = 0xffffn << 32n;

/** IPv4 addresses from a few /8s, so that networks nest and overlap. */
const v4Address = fc.tuple(fc.constantFrom(10, 192, 0), fc.integer({ min: 0, max: 0xffffff })).map(([a, rest]) => ((a << 24) | rest) >>> 0);
const v4Net = fc.oneof(
  fc.tuple(v4Address, fc.integer({ min: 0, max: 32 })).map(([a, p]): Net => ({
    text: `${quad(a)}/${p}`, family: 4, v4: a, mask: prefixMask(p), v6: 0n, prefix: p,
  })),
  // dotted masks, contiguous or not
  fc.tuple(v4Address, fc.integer({ min: 0, max: 0xffffffff })).map(([a, m]): Net => ({
    text: `${quad(a)}/${quad(m >>> 0)}`, family: 4, v4: a, mask: m >>> 0, v6: 0n, prefix: -1,
  })),
);
const v6Address = fc.oneof(
  v4Address.map((a) => MAPPED | BigInt(a)),
  v4Address.map((a) => BigInt(a)), // ::a.b.c.d
  fc.tuple(v4Address, fc.bigInt({ min: 0n, max: (1n << 80n) - 1n })).map(([a, lo]) => (0x2002n << 112n) | (BigInt(a) << 80n) | lo),
  fc.tuple(fc.constantFrom(0x20010db8n, 0xfe800000n), fc.bigInt({ min: 0n, max: (1n << 96n) - 1n })).map(([hi, lo]) => (hi << 96n) | lo),
);
const v6Net = fc.tuple(v6Address, fc.integer({ min: 0, max: 128 })).map(([a, p]): Net => ({
  text: `${v6Text(a)}/${p}`, family: 6, v4: 0, mask: 0, v6: a, prefix: p,
}));

function inV6(net: Net, a: bigint): boolean {
  const shift = BigInt(128 - net.prefix);
  return (net.v6 >> shift) === (a >> shift);
}
function inV4(net: Net, a: number): boolean {
  return ((a ^ net.v4) & net.mask) >>> 0 === 0;
}

/** pat_match_ip over a list: own family's tree (longest, first of equals), other family's, then odd masks. */
function naiveIp(nets: Net[], sample: { v4?: number; v6?: bigint }): number {
  const longest = (ok: (n: Net) => boolean, prefixOf: (n: Net) => number) => {
    let best = -1;
    nets.forEach((n, k) => {
      if (ok(n) && (best < 0 || prefixOf(n) > prefixOf(nets[best]!))) best = k;
    });
    return best;
  };
  const contiguous4 = (n: Net) => n.family === 4 && (n.prefix >= 0 || isContiguous(n.mask));
  const prefix4 = (n: Net) => (n.prefix >= 0 ? n.prefix : popcount(n.mask));
  const odd = (a: number) => nets.findIndex((n) => n.family === 4 && !contiguous4(n) && inV4(n, a));
  if (sample.v4 !== undefined) {
    const a = sample.v4;
    const e4 = longest((n) => contiguous4(n) && inV4(n, a), prefix4);
    if (e4 >= 0) return e4;
    const e6 = longest((n) => n.family === 6 && inV6(n, MAPPED | BigInt(a)), (n) => n.prefix);
    return e6 >= 0 ? e6 : odd(a);
  }
  const a = sample.v6!;
  const e6 = longest((n) => n.family === 6 && inV6(n, a), (n) => n.prefix);
  if (e6 >= 0) return e6;
  // IPv6 carrying IPv4: ::ffff:a.b.c.d, ::a.b.c.d, 2002:a.b.c.d::/48 (6to4).
  let v4: number;
  if (a >> 32n === 0xffffn || a >> 32n === 0n) v4 = Number(a & 0xffffffffn);
  else if (a >> 112n === 0x2002n) v4 = Number((a >> 80n) & 0xffffffffn);
  else return -1;
  const e4 = longest((n) => contiguous4(n) && inV4(n, v4), prefix4);
  return e4 >= 0 ? e4 : odd(v4);
}
function popcount(m: number): number {
  let c = 0;
  for (let k = 0; k < 32; k++) c += (m >>> k) & 1;
  return c;
}
function isContiguous(m: number): boolean {
  return prefixMask(popcount(m)) === m >>> 0;
}

describe("an ACL of one pattern (compared directly, no index) agrees with a scan", () => {
  for (const [method, naive] of [["str", naiveStr], ["beg", naiveBegFirst], ["end", naiveEnd]] as [MatchMethod, Naive][]) {
    for (const ignoreCase of [false, true]) {
      test(`-m ${method}${ignoreCase ? " -i" : ""}, one pattern`, () => {
        fc.assert(
          fc.property(text(5).chain((p) => fc.tuple(fc.constant(p), sampleFrom([p]))), ([pattern, sample]) => {
            const m = compileMatcher(method, [pattern], { ignoreCase });
            if (typeof m === "string") throw new Error(m);
            expect(m(sample)).toBe(naive([pattern], sample, ignoreCase) >= 0);
          }),
          RUNS,
        );
      });
    }
  }
});

describe("the address prefix trees agree with a scan of the networks", () => {
  test("-m ip and map_ip, IPv4 and IPv6 samples and networks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(v4Net, v6Net), { maxLength: 12 }),
        fc.oneof(
          v4Address.map((v4): { v4?: number; v6?: bigint } => ({ v4 })),
          v6Address.map((v6): { v4?: number; v6?: bigint } => ({ v6 })),
        ),
        (nets, sample) => {
          const text: Sample = sample.v4 !== undefined ? quad(sample.v4) : v6Text(sample.v6!);
          const { m, l } = compiled("ip", nets.map((n) => n.text), false);
          const want = naiveIp(nets, sample);
          expect(m(text)).toBe(want >= 0);
          expect(l(text) ?? -1).toBe(want);
        },
      ),
      RUNS,
    );
  });
});

describe("integer ranges agree with a scan of the list", () => {
  // HAProxy reads '-' as a separator too: only an upper bound can be negative (":-3").
  const bound = fc.integer({ min: -20, max: 20 });
  const natural = fc.integer({ min: 0, max: 20 });
  const range = fc.oneof(
    natural.map((v) => ({ text: String(v), min: v, max: v })),
    bound.map((v) => ({ text: `:${v}`, min: -Infinity, max: v })),
    fc.tuple(natural, natural).map(([a, b]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return { text: `${lo}:${hi}`, min: lo, max: hi };
    }),
    natural.map((v) => ({ text: `${v}:`, min: v, max: Infinity })),
  );
  test("-m int and map_int", () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 10 }), fc.integer({ min: -25, max: 25 }), (ranges, n) => {
        const { m, l } = compiled("int", ranges.map((r) => r.text), false);
        const want = ranges.findIndex((r) => r.min <= n && n <= r.max);
        expect(m(n)).toBe(want >= 0);
        expect(l(n) ?? -1).toBe(want);
        expect(m(String(n))).toBe(want >= 0);
      }),
      RUNS,
    );
  });
});

describe("regex alternations agree with the patterns one by one", () => {
  // Literal runs with optional anchors: the runtime's RegExp reads them the same way, safely.
  const regex = fc.tuple(fc.boolean(), fc.string({ unit: fc.constantFrom("a", "b", "A", "."), minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([start, body, end]) => `${start ? "^" : ""}${body}${end ? "$" : ""}`);
  for (const ignoreCase of [false, true]) {
    test(`-m reg${ignoreCase ? " -i" : ""} and map_reg, up to 50 patterns (chunked)`, () => {
      fc.assert(
        fc.property(
          fc.array(regex, { maxLength: 50 }),
          fc.string({ unit: fc.constantFrom("a", "b", "A", "x"), maxLength: 6 }),
          (patterns, sample) => {
            const { m, l } = compiled("reg", patterns, ignoreCase);
            const want = patterns.findIndex((p) => new RegExp(p, ignoreCase ? "i" : "").test(sample));
            expect(m(sample)).toBe(want >= 0);
            expect(l(sample) ?? -1).toBe(want);
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});
