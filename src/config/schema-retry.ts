// `retry-on`: the failures after which a request is sent again. haproxy.cfg
// writes them as words on one line (`retry-on conn-failure 503`); YAML as
// that string or a list (`retry-on: [conn-failure, 503]`). As in HAProxy, a
// line replaces what came before (defaults included), `none` stands alone,
// and `all-retryable-errors` is shorthand for its list.

import * as v from "valibot";
import { describe } from "./schema-values.ts";
import type { RetryCondition, RetryStatus } from "./types.ts";

const KEYWORDS = ["conn-failure", "empty-response", "junk-response", "response-timeout", "0rtt-rejected"] as const;
const STATUSES: readonly RetryStatus[] = [401, 403, 404, 408, 425, 500, 501, 502, 503, 504];
/** HAProxy's `all-retryable-errors`. */
const ALL_RETRYABLE: readonly RetryCondition[] = [
  "conn-failure",
  "empty-response",
  "junk-response",
  "response-timeout",
  "0rtt-rejected",
  500,
  502,
  503,
  504,
];
const USAGE = `usage: retry-on none | <condition>... (conditions: ${KEYWORDS.join(", ")}, all-retryable-errors, or a status among ${STATUSES.join(", ")})`;

function parseRetryOn(words: string[]): RetryCondition[] | string {
  if (words.length === 0) return `retry-on needs at least one condition (${USAGE})`;
  const out = new Set<RetryCondition>();
  for (const word of words) {
    if (word === "none") {
      if (words.length > 1) return `retry-on: 'none' must stand alone (${USAGE})`;
      return [];
    }
    if (word === "all-retryable-errors") {
      for (const c of ALL_RETRYABLE) out.add(c);
    } else if ((KEYWORDS as readonly string[]).includes(word)) {
      out.add(word as RetryCondition);
    } else if (/^\d{3}$/.test(word) && (STATUSES as readonly number[]).includes(Number(word))) {
      out.add(Number(word) as RetryStatus);
    } else {
      return `retry-on: unknown condition '${word}' (${USAGE})`;
    }
  }
  return [...out];
}

/** A string of words, or a list of words and status numbers. */
function wordsOf(x: unknown): string[] | undefined {
  if (typeof x === "string") return x.trim() === "" ? [] : x.trim().split(/\s+/);
  if (typeof x === "number") return [String(x)];
  if (!Array.isArray(x)) return undefined;
  const words: string[] = [];
  for (const item of x) {
    if (typeof item === "number") words.push(String(item));
    else if (typeof item === "string" && item.trim() !== "") words.push(...item.trim().split(/\s+/));
    else return undefined;
  }
  return words;
}

export const RetryOnSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): RetryCondition[] => {
    const words = wordsOf(dataset.value);
    const r = words === undefined
      ? `invalid retry-on ${describe(dataset.value)} (expected a string such as 'conn-failure 503' or a list of conditions)`
      : parseRetryOn(words);
    if (typeof r === "string") {
      addIssue({ message: r });
      return NEVER;
    }
    return r;
  }),
);

/** The conditions a tcp stream can meet: HAProxy ignores `retry-on` outside mode http. */
export const TCP_RETRY_ON: readonly RetryCondition[] = ["conn-failure"];
