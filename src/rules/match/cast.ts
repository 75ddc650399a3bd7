// How a sample reaches a match method, as HAProxy 2.6 casts it (sample.c's
// cast matrix), and the case folding of `-i`. Pure.
//
// `-i` folds ASCII letters only: HAProxy compares bytes with strncasecmp in
// the C locale, so "É" and "é" (two different UTF-8 or Latin-1 byte
// sequences) stay different. Folding is done per char code while comparing,
// never by lower-casing the sample, so a miss allocates nothing.

import type { Sample } from "../types.ts";

/** The char code with A-Z folded to a-z; everything else as is. */
export function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** `text` with A-Z folded to a-z (patterns, once, at load). */
export function foldText(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += String.fromCharCode(fold(text.charCodeAt(i)));
  return out;
}

/**
 * A sample as text for the string methods (str, beg, end, sub, dir, dom,
 * reg, len): integers in decimal, booleans as "1"/"0" (HAProxy's c_int2str).
 */
export function asText(s: Sample): string {
  if (typeof s === "string") return s;
  if (typeof s === "number") return intText(s);
  return s ? "1" : "0";
}

/** An integer in decimal; the saturated 64-bit bounds as HAProxy writes them (a double would print 9223372036854776000). */
export function intText(n: number): string {
  if (n >= 9223372036854775807) return "9223372036854775807";
  if (n <= -9223372036854775808) return "-9223372036854775808";
  return String(n);
}

/** Beyond ±2^63 HAProxy saturates; so does this, in doubles. */
const INT64_MAX = 9223372036854775807;

/**
 * A sample as an integer for int and bool, or NaN when HAProxy's cast fails.
 * Booleans are 1/0. Strings follow c_str2int (read_int64): an optional sign,
 * then the leading digits, stopping at the first other character, so "12ab"
 * is 12 and "abc" is 0; only the empty string fails.
 */
export function asInt(s: Sample): number {
  if (typeof s === "number") return s;
  if (typeof s === "boolean") return s ? 1 : 0;
  const len = s.length;
  if (len === 0) return NaN;
  let i = 0;
  let negative = false;
  const first = s.charCodeAt(0);
  if (first === 45) {
    negative = true;
    i = 1;
  } else if (first === 43) {
    i = 1;
  }
  let value = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  if (value > INT64_MAX) value = INT64_MAX;
  return negative ? -value : value;
}
