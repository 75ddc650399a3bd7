// HAProxy's pattern matching (configuration.txt 7.1, pattern.c), compiled
// once at load into closures the rules call per request: ACL matchers (does
// the sample match any pattern?) and map lookups (which entry's value?).
// Pure. Per call, a miss allocates nothing, with two exceptions: numbers
// given to string methods are written out in decimal first (HAProxy's cast),
// and re2js wraps each sample it tests in a small input object.
//
// Each method has its own index (see its file): str a hash, beg/end a radix
// tree, sub Aho-Corasick, dom/dir a radix tree walked from each word start,
// ip binary prefix trees, int/len a hash and sorted intervals, reg re2js
// (many patterns joined into alternations of 64).
//
// Which entry a map answers when several match is HAProxy 2.6's:
//   str      the equal key (duplicate keys: the first loaded)
//   beg      the longest matching prefix (its prefix tree); with -i, which
//            HAProxy keeps in a list, the first loaded that matches
//   ip       the most specific network of the sample's family, then of the
//            other (the address as ::ffff:a.b.c.d, or the IPv4 address an
//            IPv6 one carries), then non-contiguous IPv4 masks in load order
//   end, sub, dom, dir, reg, int, len
//            the first loaded that matches (HAProxy's pattern lists): a
//            map_end with ".com" before ".example.com" answers ".com"

import type { Lookup, Matcher, MatchMethod, Sample } from "../types.ts";
import { asInt, asText, fold, foldText } from "./cast.ts";
import { exactIndex } from "./exact.ts";
import { IntIndex, parseIntPatterns } from "./int.ts";
import { IpIndex } from "./ip.ts";
import { RegexIndex } from "./regex.ts";
import { substringIndex } from "./substring.ts";
import { Pick, type PickMode, Trie } from "./trie.ts";
import { DIR_DELIMITERS, DOM_DELIMITERS, WordIndex } from "./words.ts";

export { type MapLine, parseMapFile, parsePatternFile, type PatternLine } from "./files.ts";

export interface MatchOptions {
  /** `-i`: ASCII letters compare without case (string methods; reg folds case as RE2 does). */
  readonly ignoreCase: boolean;
}

/** The entry `pick` chooses for a sample, or -1 (no match, or no sample of the needed kind). */
type Finder = (s: Sample, pick: PickMode) => number;

/**
 * An ACL's patterns compiled for one match method, or what is wrong (naming
 * the bad pattern). `found` matches any sample and `bool` a true or
 * non-zero one; both ignore patterns, as HAProxy does. For int and len,
 * the operators eq/ge/gt/le/lt are words among the patterns ("lt", "5").
 */
export function compileMatcher(method: MatchMethod, patterns: readonly string[], opts: MatchOptions): Matcher | string {
  if (method === "found") return () => true;
  if (method === "bool") {
    return (s) => {
      const n = asInt(s);
      return n === n && n !== 0;
    };
  }
  if (patterns.length === 1 && (method === "str" || method === "beg" || method === "end")) {
    return onePattern(method, patterns[0]!, opts.ignoreCase);
  }
  const finder = compileFinder(method, patterns, opts.ignoreCase, true);
  if (typeof finder === "string") return finder;
  if (finder === EMPTY) return () => false;
  return (s) => finder(s, Pick.any) >= 0;
}

/**
 * An ACL of one string pattern (`path_beg /api/`, `hdr(host) -i a.test`, the
 * usual case): the comparison itself, where an index would hash the sample
 * or walk a tree for one key.
 */
function onePattern(method: "str" | "beg" | "end", pattern: string, ignoreCase: boolean): Matcher {
  if (!ignoreCase) {
    if (method === "str") return (s) => asText(s) === pattern;
    if (method === "beg") return (s) => asText(s).startsWith(pattern);
    return (s) => asText(s).endsWith(pattern);
  }
  const key = foldText(pattern);
  const n = key.length;
  /** The sample's codes from `at` equal the folded key's, A-Z folded. */
  const sameAt = (text: string, at: number) => {
    for (let k = 0; k < n; k++) if (fold(text.charCodeAt(at + k)) !== key.charCodeAt(k)) return false;
    return true;
  };
  if (method === "str") {
    return (s) => {
      const text = asText(s);
      return text.length === n && sameAt(text, 0);
    };
  }
  if (method === "beg") {
    return (s) => {
      const text = asText(s);
      return text.length >= n && sameAt(text, 0);
    };
  }
  return (s) => {
    const text = asText(s);
    return text.length >= n && sameAt(text, text.length - n);
  };
}

/**
 * A map (`map_str`, `map_beg`, ...): its entries compiled for one match
 * method, the value of the winning entry for a sample (see above for which
 * wins), or what is wrong with a key. Keys follow the method's pattern
 * syntax (ranges for int, networks for ip), without operators.
 */
export function compileLookup<V>(
  method: MatchMethod,
  entries: readonly (readonly [pattern: string, value: V])[],
  opts: MatchOptions,
): Lookup<V> | string {
  if (method === "found" || method === "bool") return `-m ${method} compares no patterns, so it has no map form`;
  const keys = entries.map((e) => e[0]);
  const values = entries.map((e) => e[1]);
  const finder = compileFinder(method, keys, opts.ignoreCase, false);
  if (typeof finder === "string") return finder;
  const pick = method === "beg" && !opts.ignoreCase ? Pick.longest : method === "ip" ? Pick.longest : Pick.first;
  return (s) => {
    const e = finder(s, pick);
    return e >= 0 ? values[e] : undefined;
  };
}

/** A finder that never finds (no patterns). */
const EMPTY: Finder = () => -1;

function compileFinder(method: MatchMethod, patterns: readonly string[], ignoreCase: boolean, acl: boolean): Finder | string {
  switch (method) {
    case "str": {
      if (patterns.length === 0) return EMPTY;
      const index = exactIndex(patterns, ignoreCase);
      return (s) => index.find(asText(s));
    }
    case "beg": {
      if (patterns.length === 0) return EMPTY;
      const trie = new Trie(ignoreCase);
      for (let i = 0; i < patterns.length; i++) trie.insert(patterns[i]!, i);
      return (s, pick) => trie.walk(asText(s), 0, 1, pick);
    }
    case "end": {
      if (patterns.length === 0) return EMPTY;
      const trie = new Trie(ignoreCase);
      for (let i = 0; i < patterns.length; i++) trie.insert(reverse(patterns[i]!), i);
      return (s, pick) => {
        const text = asText(s);
        return trie.walk(text, text.length - 1, -1, pick);
      };
    }
    case "sub": {
      if (patterns.length === 0) return EMPTY;
      const index = substringIndex(patterns, ignoreCase);
      return (s, pick) => index.find(asText(s), pick);
    }
    case "dir":
    case "dom": {
      if (patterns.length === 0) return EMPTY;
      const index = new WordIndex(patterns, method === "dir" ? DIR_DELIMITERS : DOM_DELIMITERS, ignoreCase);
      return (s, pick) => index.find(asText(s), pick);
    }
    case "reg": {
      const index = RegexIndex.build(patterns, ignoreCase, !acl);
      if (typeof index === "string") return index;
      if (patterns.length === 0) return EMPTY;
      return (s, pick) => (pick === Pick.any ? (index.test(asText(s)) ? 0 : -1) : index.first(asText(s)));
    }
    case "ip": {
      const index = IpIndex.build(patterns);
      if (typeof index === "string") return index;
      if (patterns.length === 0) return EMPTY;
      return (s, pick) => index.find(s, pick === Pick.any);
    }
    case "int":
    case "len": {
      const ranges = parseIntPatterns(patterns, acl);
      if (typeof ranges === "string") return ranges;
      if (ranges.length === 0) return EMPTY;
      const index = new IntIndex(ranges);
      const valueOf = method === "int" ? asInt : lengthOf;
      return (s, pick) => {
        const n = valueOf(s);
        if (n !== n) return -1;
        if (pick === Pick.any) return index.test(n) ? 0 : -1;
        return index.find(n);
      };
    }
    default:
      return `unknown match method '${String(method)}'`;
  }
}

/** `-m len`: the length of the sample as text (bytes, for the Latin-1 strings sluice's samples are). */
function lengthOf(s: Sample): number {
  return typeof s === "string" ? s.length : asText(s).length;
}

function reverse(text: string): string {
  let out = "";
  for (let i = text.length - 1; i >= 0; i--) out += text[i];
  return out;
}
