// Exact string matching (`-m str`, `map_str`): a hash lookup, whatever the
// number of patterns. Case-sensitive sets use the runtime's Map; with -i, a
// table hashed and compared on folded char codes, so that the sample is
// never lower-cased (no string made per lookup). Duplicate keys keep their
// first entry, as HAProxy's tree and list both do. Pure.

import { fold, foldText } from "./cast.ts";

export interface ExactIndex {
  /** The entry whose pattern equals `s`, or -1. */
  find(s: string): number;
}

export function exactIndex(patterns: readonly string[], ignoreCase: boolean): ExactIndex {
  return ignoreCase ? new FoldedTable(patterns) : new CaseSensitive(patterns);
}

class CaseSensitive implements ExactIndex {
  private readonly entries = new Map<string, number>();

  constructor(patterns: readonly string[]) {
    for (let i = 0; i < patterns.length; i++) {
      if (!this.entries.has(patterns[i]!)) this.entries.set(patterns[i]!, i);
    }
  }

  find(s: string): number {
    return this.entries.get(s) ?? -1;
  }
}

/** FNV-1a over the folded codes of s. */
function foldedHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ fold(s.charCodeAt(i)), 0x01000193);
  return h >>> 0;
}

class FoldedTable implements ExactIndex {
  /** Folded keys, by entry. */
  private readonly keys: string[] = [];
  /** Entry index of each key. */
  private readonly entryOf: number[] = [];
  /** First key of each bucket, then the chain through `chain`; -1 ends. */
  private readonly heads: Int32Array;
  private readonly chain: Int32Array;
  private readonly mask: number;

  constructor(patterns: readonly string[]) {
    let size = 8;
    while (size < patterns.length * 2) size *= 2;
    this.mask = size - 1;
    this.heads = new Int32Array(size).fill(-1);
    this.chain = new Int32Array(patterns.length).fill(-1);
    for (let i = 0; i < patterns.length; i++) {
      const key = foldText(patterns[i]!);
      if (this.find(key) >= 0) continue;
      const slot = this.keys.length;
      this.keys.push(key);
      this.entryOf.push(i);
      const bucket = foldedHash(key) & this.mask;
      this.chain[slot] = this.heads[bucket]!;
      this.heads[bucket] = slot;
    }
  }

  find(s: string): number {
    const keys = this.keys;
    for (let slot = this.heads[foldedHash(s) & this.mask]!; slot >= 0; slot = this.chain[slot]!) {
      const key = keys[slot]!;
      if (key.length !== s.length) continue;
      let k = 0;
      while (k < key.length && fold(s.charCodeAt(k)) === key.charCodeAt(k)) k++;
      if (k === key.length) return this.entryOf[slot]!;
    }
    return -1;
  }
}
