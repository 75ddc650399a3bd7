// Regular expressions (`-m reg`, `map_reg`) on re2js, the JavaScript port of
// Google's RE2: matching time is linear in the sample's length whatever the
// pattern, so no request can make a rule backtrack for seconds. Each
// pattern is compiled once, at load. Pure.
//
// HAProxy compiles its patterns with PCRE; RE2's syntax is PCRE's without
// what needs backtracking (look-around, back-references, possessive or
// atomic groups, \Z...): such a pattern is refused at load, naming it. As in
// HAProxy, a regex matches anywhere in the sample unless anchored, and `-i`
// ignores case. One difference: RE2 folds case by Unicode rules, so with -i
// "é" also matches "É" (HAProxy's PCRE, in byte mode, folds ASCII only).
//
// A test costs re2js about 0.2-2 µs for a header-sized sample, so a long
// list is not tried pattern by pattern: consecutive patterns are also
// compiled together as alternations (?:p1)|(?:p2)|..., which RE2 runs in a
// single pass, in groups of 64 (an ACL asks these in turn) split into groups
// of 8 (a map, which must answer the first pattern loaded that matches,
// HAProxy's list order, narrows down from the first group of 64 that
// matches, to its first group of 8, to its first pattern). Larger groups
// would mean fewer tests, but RE2's DFA then has too many states to cache
// when samples vary, and falls back to a slow simulation: with 1,000
// patterns in one alternation a matching request cost about 1 ms.

import type { RE2JS } from "re2js";
import { re2Package } from "../../runtime/packages.ts";

/** Patterns per alternation: what ACLs test, then what maps narrow down to. */
const GROUP = 64;
const SUBGROUP = 8;

export class RegexIndex {
  private constructor(
    private readonly single: readonly RE2JS[],
    /** Alternations of GROUP consecutive patterns; empty when patterns cannot be joined. */
    private readonly groups: readonly RE2JS[],
    /** Alternations of SUBGROUP consecutive patterns (maps only); empty: none. */
    private readonly subgroups: readonly RE2JS[],
  ) {}

  /**
   * The compiled patterns, or what is wrong with the first that RE2 refuses.
   * `forMap`: also compiles the subgroups that `first` narrows down with.
   */
  static build(patterns: readonly string[], ignoreCase: boolean, forMap: boolean): RegexIndex | string {
    const { RE2JS } = re2Package();
    const flags = ignoreCase ? RE2JS.CASE_INSENSITIVE : 0;
    const single: RE2JS[] = [];
    for (const p of patterns) {
      try {
        single.push(RE2JS.compile(p, flags));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return `invalid regex '${p}': ${why} (sluice uses RE2 syntax, which has no look-around or back-references)`;
      }
    }
    if (patterns.length < 2) return new RegexIndex(single, [], []);
    const groups = alternations(patterns, GROUP, flags);
    if (groups === undefined) return new RegexIndex(single, [], []);
    const subgroups = forMap && patterns.length > SUBGROUP ? alternations(patterns, SUBGROUP, flags) ?? [] : [];
    return new RegexIndex(single, groups, subgroups);
  }

  /** Does any pattern match `s`? */
  test(s: string): boolean {
    const tests = this.groups.length > 0 ? this.groups : this.single;
    for (let i = 0; i < tests.length; i++) if (tests[i]!.test(s)) return true;
    return false;
  }

  /** The first pattern loaded that matches `s`, or -1. */
  first(s: string): number {
    let from = 0;
    let to = this.single.length;
    if (this.groups.length > 0) {
      const g = firstMatching(this.groups, 0, this.groups.length, s);
      if (g < 0) return -1;
      from = g * GROUP;
      to = Math.min(from + GROUP, to);
    }
    if (this.subgroups.length > 0) {
      const g = firstMatching(this.subgroups, from / SUBGROUP, Math.ceil(to / SUBGROUP), s);
      if (g < 0) return -1;
      from = g * SUBGROUP;
      to = Math.min(from + SUBGROUP, to);
    }
    return firstMatching(this.single, from, to, s);
  }
}

function firstMatching(list: readonly RE2JS[], from: number, to: number, s: string): number {
  for (let i = from; i < to; i++) if (list[i]!.test(s)) return i;
  return -1;
}

/**
 * `patterns` joined `size` at a time into regexes that match where any of
 * theirs does, or undefined when joining could change a pattern's meaning
 * (\Q without \E quotes up to the end of the whole regex) or RE2 refuses a
 * result (its size limit). Flags set inside a pattern, (?i), end with its
 * group.
 */
function alternations(patterns: readonly string[], size: number, flags: number): RE2JS[] | undefined {
  if (patterns.some((p) => p.includes("\\Q"))) return undefined;
  const { RE2JS } = re2Package();
  const out: RE2JS[] = [];
  try {
    for (let start = 0; start < patterns.length; start += size) {
      out.push(RE2JS.compile(patterns.slice(start, start + size).map((p) => `(?:${p})`).join("|"), flags));
    }
  } catch {
    return undefined;
  }
  return out;
}
