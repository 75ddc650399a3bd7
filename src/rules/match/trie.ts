// A radix tree of strings, walked along a sample by char codes: the index
// behind prefix (`beg`), suffix (`end`, keys reversed and walked from the
// sample's end) and word (`dom`, `dir`) matching. A lookup costs the length
// of the matched path, whatever the number of patterns, and allocates
// nothing. Pure.

import { fold, foldText } from "./cast.ts";

/** Which entry a walk answers, among the patterns found along the path. */
export const Pick = {
  /** Any one: the walk stops at the first (ACLs only ask whether one matches). */
  any: 0,
  /** The longest pattern: HAProxy's prefix tree (map_beg without -i). */
  longest: 1,
  /** The first loaded (lowest entry index): HAProxy's pattern lists. */
  first: 2,
} as const;
export type PickMode = (typeof Pick)[keyof typeof Pick];

class TrieNode {
  /** The entry of the pattern ending here (the first loaded, for duplicates), or -1. */
  entry = -1;
  /** Children by the first code of their label. */
  kids: Map<number, TrieNode> | undefined = undefined;
  /** The codes on the edge into this node (never empty, except at the root). */
  constructor(public label: string) {}
}

/**
 * Delimiters that end a word (`dir`: / ?; `dom`: / ? . :), as a table by
 * char code; a pattern counts only where the sample ends or a delimiter
 * follows it.
 */
export type Delimiters = Uint8Array;

export function delimiters(chars: string): Delimiters {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

export function isDelimiter(table: Delimiters, c: number): boolean {
  return c < 128 && table[c] === 1;
}

export class Trie {
  private readonly root = new TrieNode("");

  /** With `ignoreCase`, keys are stored folded and sample codes folded as walked. */
  constructor(private readonly ignoreCase: boolean) {}

  /**
   * Adds `key`, in walking order (reversed for suffixes), for entry `index`.
   * Entries are added in load order: a duplicate key keeps its first entry.
   */
  insert(key: string, index: number): void {
    if (this.ignoreCase) key = foldText(key);
    let node = this.root;
    let i = 0;
    while (i < key.length) {
      const c = key.charCodeAt(i);
      const kids = (node.kids ??= new Map());
      let child = kids.get(c);
      if (child === undefined) {
        child = new TrieNode(key.slice(i));
        kids.set(c, child);
        node = child;
        break;
      }
      const label = child.label;
      let k = 1;
      while (k < label.length && i + k < key.length && label.charCodeAt(k) === key.charCodeAt(i + k)) k++;
      if (k < label.length) {
        // The key leaves (or ends inside) this edge: split it where it does.
        const middle = new TrieNode(label.slice(0, k));
        child.label = label.slice(k);
        middle.kids = new Map([[child.label.charCodeAt(0), child]]);
        kids.set(c, middle);
        child = middle;
      }
      node = child;
      i += k;
    }
    if (node.entry < 0) node.entry = index;
  }

  /**
   * Walks `s` from `pos` (step 1) or backwards from `pos` (step -1) and
   * returns the entry `pick` chooses among the keys found along the way, or
   * -1. With `words`, a key counts only where the walk is at the sample's
   * end or a delimiter comes next (forward walks only).
   */
  walk(s: string, pos: number, step: 1 | -1, pick: PickMode, words?: Delimiters): number {
    const foldCase = this.ignoreCase;
    const length = s.length;
    let node = this.root;
    let found = -1;
    for (;;) {
      const e = node.entry;
      if (e >= 0 && (words === undefined || pos === length || isDelimiter(words, s.charCodeAt(pos)))) {
        if (pick === Pick.any) return e;
        if (pick === Pick.longest || found < 0 || e < found) found = e;
      }
      const kids = node.kids;
      if (kids === undefined) return found;
      const left = step > 0 ? length - pos : pos + 1;
      if (left <= 0) return found;
      let c = s.charCodeAt(pos);
      if (foldCase) c = fold(c);
      const child = kids.get(c);
      if (child === undefined) return found;
      const label = child.label;
      const n = label.length;
      if (left < n) return found;
      for (let k = 1; k < n; k++) {
        let d = s.charCodeAt(pos + k * step);
        if (foldCase) d = fold(d);
        if (d !== label.charCodeAt(k)) return found;
      }
      pos += n * step;
      node = child;
    }
  }
}
