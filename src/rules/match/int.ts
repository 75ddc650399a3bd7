// Integer matching (`-m int`, `-m len`, `map_int`): values and ranges as
// HAProxy 2.6 parses them (pattern.c pat_parse_int, acl.c's operators).
// Pure.
//
//   5        exactly 5
//   1:10     1 to 10 (HAProxy also takes 1-10; so "-5" is ":5", not minus five)
//   :10  10: at most 10, at least 10
//   lt 5     an operator word (eq ge gt le lt) applies to the values after it,
//            until the next operator: "lt 5" is ":4", "gt 5" is "6:"; a value
//            holding ':' or '-' stays a range whatever the operator
//
// Exact values are looked up in a Map, ranges in a sorted list of merged
// intervals (binary search), so a lookup never scans the patterns. When
// several entries match, the first loaded wins (HAProxy keeps them in a
// list). Values are kept exactly within ±2^53 (JavaScript's safe integers);
// a pattern beyond is refused.

const OPERATORS = ["eq", "ge", "gt", "le", "lt"] as const;
type Operator = (typeof OPERATORS)[number];

/** One integer pattern: the values from min to max, inclusive (±Infinity: open). */
export interface IntRange {
  readonly min: number;
  readonly max: number;
  /** The position of its word among the patterns (the entry, for maps). */
  readonly index: number;
}

/**
 * The ranges `words` write, or what is wrong with the first bad one.
 * `operators`: ACL patterns, where eq/ge/gt/le/lt are words of their own;
 * map keys take none.
 */
export function parseIntPatterns(words: readonly string[], operators: boolean): IntRange[] | string {
  const out: IntRange[] = [];
  let op: Operator = "eq";
  let pendingOperator: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (operators && (OPERATORS as readonly string[]).includes(word)) {
      op = word as Operator;
      pendingOperator = word;
      continue;
    }
    pendingOperator = undefined;
    if (op !== "eq" && !word.includes(":") && !word.includes("-")) {
      const value = parseInteger(word);
      if (typeof value === "string") return `'${word}' is neither a number nor a supported operator (eq ge gt le lt)`;
      if (op === "gt") out.push({ min: value + 1, max: Infinity, index: i });
      else if (op === "ge") out.push({ min: value, max: Infinity, index: i });
      else if (op === "lt") out.push({ min: -Infinity, max: value - 1, index: i });
      else out.push({ min: -Infinity, max: value, index: i });
      continue;
    }
    const range = parseRange(word, i);
    if (typeof range === "string") return range;
    out.push(range);
  }
  if (pendingOperator !== undefined) return `operator '${pendingOperator}' is not followed by a value`;
  return out;
}

/** A value, "min:max", ":max" or "min:" ('-' may stand for ':'). */
function parseRange(word: string, index: number): IntRange | string {
  const invalid = `'${word}' is not a valid number or range (expected 5, 1:10, :10 or 10:)`;
  let sep = 0;
  while (sep < word.length && word[sep] !== ":" && word[sep] !== "-") sep++;
  if (sep === word.length) {
    const value = parseInteger(word);
    return typeof value === "string" ? invalid : { min: value, max: value, index };
  }
  if (word.length === 1) return invalid;
  if (sep === 0) {
    const max = parseInteger(word.slice(1));
    return typeof max === "string" ? invalid : { min: -Infinity, max, index };
  }
  if (sep === word.length - 1) {
    const min = parseInteger(word.slice(0, sep));
    return typeof min === "string" ? invalid : { min, max: Infinity, index };
  }
  const min = parseInteger(word.slice(0, sep));
  const max = parseInteger(word.slice(sep + 1));
  if (typeof min === "string" || typeof max === "string" || min > max) return invalid;
  return { min, max, index };
}

/** An optional '-' and decimal digits, within the safe integers; else what is wrong. */
function parseInteger(text: string): number | string {
  if (!/^-?\d+$/.test(text)) return "not a number";
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return "beyond ±2^53";
  return value;
}

export class IntIndex {
  /** Single values: the first entry of each. */
  private readonly exact = new Map<number, number>();
  /** Other ranges in load order (to find the first that matches). */
  private readonly ranges: IntRange[] = [];
  /** The union of `ranges`, sorted and merged: [min0, max0, min1, max1, ...]. */
  private readonly union: number[] = [];

  constructor(ranges: readonly IntRange[]) {
    for (const r of ranges) {
      if (r.min === r.max) {
        if (!this.exact.has(r.min)) this.exact.set(r.min, r.index);
      } else {
        this.ranges.push(r);
      }
    }
    const sorted = [...this.ranges].sort((a, b) => a.min - b.min);
    for (const r of sorted) {
      const last = this.union.length - 1;
      if (last > 0 && r.min <= this.union[last]! + 1) {
        this.union[last] = Math.max(this.union[last]!, r.max);
      } else {
        this.union.push(r.min, r.max);
      }
    }
  }

  /** Does any pattern hold `n`? */
  test(n: number): boolean {
    if (this.exact.has(n)) return true;
    // The last interval starting at or below n.
    const union = this.union;
    let lo = 0;
    let hi = union.length / 2 - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (union[2 * mid]! <= n) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return at >= 0 && n <= union[2 * at + 1]!;
  }

  /** The first entry (in load order) that holds `n`, or -1. */
  find(n: number): number {
    const e = this.exact.get(n) ?? -1;
    for (const r of this.ranges) {
      if (e >= 0 && r.index > e) break;
      if (r.min <= n && n <= r.max) return r.index;
    }
    return e;
  }
}
