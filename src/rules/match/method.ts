// `method` ACLs as HAProxy 2.6 matches them (pattern.c pat_match_meth): a
// pattern that is one of HTTP's eight methods as written (GET, HEAD, POST,
// PUT, DELETE, OPTIONS, TRACE, CONNECT) matches that method; any other
// pattern is a method of its own, compared as text (-i folds case) with
// requests whose method is not one of the eight. So `method -i get` does not
// match GET (the lowercase word is another method), as in HAProxy.
import { asText } from "./cast.ts";
import type { Matcher } from "../types.ts";

const KNOWN: ReadonlySet<string> = new Set(["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"]);

/**
 * Why a `method` ACL's pattern will not match what it seems to name
 * (`get` is not GET, -i or not), for a warning at load; undefined: none.
 */
export function methodPatternWarning(patterns: readonly string[]): string | undefined {
  const odd = patterns.find((p) => !KNOWN.has(p) && KNOWN.has(p.toUpperCase()));
  if (odd === undefined) return undefined;
  return `method pattern '${odd}' is not the method ${odd.toUpperCase()}: the eight HTTP methods match only as written in upper case (-i applies to other methods), as in HAProxy; write '${odd.toUpperCase()}'`;
}

export function methodMatcher(patterns: readonly string[], ignoreCase: boolean): Matcher {
  const known = new Set(patterns.filter((p) => KNOWN.has(p)));
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  const others = new Set(patterns.filter((p) => !KNOWN.has(p)).map(fold));
  return (s) => {
    const method = asText(s);
    return KNOWN.has(method) ? known.has(method) : others.has(fold(method));
  };
}
