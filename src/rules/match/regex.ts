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
// Precedence: the first pattern loaded that matches (HAProxy's list).

import { RE2JS } from "re2js";

export class RegexIndex {
  private constructor(private readonly compiled: readonly RE2JS[]) {}

  /** The compiled patterns, or what is wrong with the first that RE2 refuses. */
  static build(patterns: readonly string[], ignoreCase: boolean): RegexIndex | string {
    const compiled: RE2JS[] = [];
    for (const p of patterns) {
      try {
        compiled.push(RE2JS.compile(p, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return `invalid regex '${p}': ${why} (sluice uses RE2 syntax, which has no look-around or back-references)`;
      }
    }
    return new RegexIndex(compiled);
  }

  /** The first pattern found in `s`, or -1. */
  find(s: string): number {
    const compiled = this.compiled;
    for (let i = 0; i < compiled.length; i++) if (compiled[i]!.test(s)) return i;
    return -1;
  }
}
