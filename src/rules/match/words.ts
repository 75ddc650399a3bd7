// Word matching: `-m dir` (words between "/" or "?") and `-m dom` (between
// "/", "?", "." or ":"), as HAProxy's match_word: delimiters at either end of
// a pattern are ignored, and a pattern matches where it starts the sample or
// follows a delimiter, and ends the sample or is followed by one. So
// ".example.com" matches "www.example.com" and "example.com:8080" but not
// "myexample.com"; "images/png" matches "/images/png/logo.png" but not
// "/images/pngs". Pure.
//
// HAProxy tries each pattern at each word start; here the patterns share a
// radix tree walked once from each word start, so the cost follows the
// sample's length, not the number of patterns. A pattern made only of
// delimiters (or empty) matches, as in HAProxy, a sample that is empty or
// ends with a delimiter.

import { type Delimiters, delimiters, isDelimiter, Pick, type PickMode, Trie } from "./trie.ts";

export const DIR_DELIMITERS: Delimiters = delimiters("/?");
export const DOM_DELIMITERS: Delimiters = delimiters("/?.:");

export class WordIndex {
  private readonly trie: Trie;

  constructor(patterns: readonly string[], private readonly delims: Delimiters, ignoreCase: boolean) {
    this.trie = new Trie(ignoreCase);
    for (let i = 0; i < patterns.length; i++) this.trie.insert(strip(patterns[i]!, delims), i);
  }

  /** The entry `pick` chooses among the patterns found in `s` (Pick.first: HAProxy's list order), or -1. */
  find(s: string, pick: PickMode): number {
    const delims = this.delims;
    let found = -1;
    // Word starts: the sample's start and every position after a delimiter,
    // up to and including the end (where only an empty pattern can match).
    for (let pos = 0; pos <= s.length; pos++) {
      if (pos > 0 && !isDelimiter(delims, s.charCodeAt(pos - 1))) continue;
      if (pos < s.length && isDelimiter(delims, s.charCodeAt(pos))) continue;
      const e = this.trie.walk(s, pos, 1, pick === Pick.any ? Pick.any : Pick.first, delims);
      if (e >= 0) {
        if (pick === Pick.any) return e;
        if (found < 0 || e < found) found = e;
      }
    }
    return found;
  }
}

/** `pattern` without its leading and trailing delimiters. */
function strip(pattern: string, delims: Delimiters): string {
  let start = 0;
  let end = pattern.length;
  while (start < end && isDelimiter(delims, pattern.charCodeAt(start))) start++;
  while (end > start && isDelimiter(delims, pattern.charCodeAt(end - 1))) end--;
  return pattern.slice(start, end);
}
