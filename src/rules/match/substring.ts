// Substring matching (`-m sub`, `map_sub`). HAProxy scans its pattern list
// with one search per pattern; here a few patterns are searched one by one
// too (the runtime's native indexOf, or a scan comparing folded char codes
// with -i), and more through an Aho-Corasick automaton, one pass over the
// sample whatever the number of patterns.
// Which entry wins is HAProxy's: the first loaded among those found. An
// empty pattern is found in every sample. Pure; a lookup allocates nothing.

import { fold, foldText } from "./cast.ts";
import { Pick, type PickMode } from "./trie.ts";

/** Up to this many patterns, searching them one by one beats the automaton. */
const DIRECT_SEARCH_MAX = 8;

export interface SubstringIndex {
  find(s: string, pick: PickMode): number;
}

export function substringIndex(patterns: readonly string[], ignoreCase: boolean): SubstringIndex {
  if (patterns.length <= DIRECT_SEARCH_MAX) return ignoreCase ? new FoldedSearch(patterns) : new NativeSearch(patterns);
  return new Automaton(patterns, ignoreCase);
}

class NativeSearch implements SubstringIndex {
  constructor(private readonly patterns: readonly string[]) {}

  find(s: string): number {
    // In load order, so the first found is the answer for every pick.
    const patterns = this.patterns;
    for (let i = 0; i < patterns.length; i++) if (s.indexOf(patterns[i]!) >= 0) return i;
    return -1;
  }
}

class FoldedSearch implements SubstringIndex {
  private readonly patterns: readonly string[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map(foldText);
  }

  find(s: string): number {
    const patterns = this.patterns;
    for (let i = 0; i < patterns.length; i++) if (containsFolded(s, patterns[i]!)) return i;
    return -1;
  }
}

/** Whether `s` holds `folded` (already folded), comparing s's codes folded. */
function containsFolded(s: string, folded: string): boolean {
  const n = folded.length;
  if (n === 0) return true;
  const head = folded.charCodeAt(0);
  for (let i = 0; i + n <= s.length; i++) {
    if (fold(s.charCodeAt(i)) !== head) continue;
    let k = 1;
    while (k < n && fold(s.charCodeAt(i + k)) === folded.charCodeAt(k)) k++;
    if (k === n) return true;
  }
  return false;
}

class Automaton implements SubstringIndex {
  /** Transitions of each state by char code; state 0 is the root. */
  private readonly next: Map<number, number>[] = [new Map()];
  /** The longest proper suffix of each state's string that is also a state. */
  private readonly failure: Int32Array;
  /** The lowest entry among the patterns ending at each state, its suffixes included; -1: none. */
  private readonly best: Int32Array;

  constructor(patterns: readonly string[], private readonly ignoreCase: boolean) {
    const own: number[] = [-1];
    for (let i = 0; i < patterns.length; i++) {
      const key = ignoreCase ? foldText(patterns[i]!) : patterns[i]!;
      let state = 0;
      for (let k = 0; k < key.length; k++) {
        const c = key.charCodeAt(k);
        let to = this.next[state]!.get(c);
        if (to === undefined) {
          to = this.next.length;
          this.next.push(new Map());
          own.push(-1);
          this.next[state]!.set(c, to);
        }
        state = to;
      }
      if (own[state]! < 0) own[state] = i;
    }

    // Failure links breadth first, so a state's suffixes are done before it.
    const count = this.next.length;
    this.failure = new Int32Array(count);
    this.best = new Int32Array(count);
    this.best[0] = own[0]!;
    const queue: number[] = [];
    for (const to of this.next[0]!.values()) {
      this.failure[to] = 0;
      queue.push(to);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      const f = this.failure[state]!;
      const mine = own[state]!;
      const inherited = this.best[f]!;
      this.best[state] = mine < 0 ? inherited : inherited < 0 ? mine : Math.min(mine, inherited);
      for (const [c, to] of this.next[state]!) {
        let g = f;
        let target = this.next[g]!.get(c);
        while (target === undefined && g !== 0) {
          g = this.failure[g]!;
          target = this.next[g]!.get(c);
        }
        this.failure[to] = target ?? 0;
        queue.push(to);
      }
    }
  }

  find(s: string, pick: PickMode): number {
    const next = this.next;
    const failure = this.failure;
    const best = this.best;
    const foldCase = this.ignoreCase;
    let found = best[0]!;
    if (found >= 0 && pick === Pick.any) return found;
    let state = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (foldCase) c = fold(c);
      let to = next[state]!.get(c);
      while (to === undefined && state !== 0) {
        state = failure[state]!;
        to = next[state]!.get(c);
      }
      state = to ?? 0;
      const b = best[state]!;
      if (b >= 0) {
        if (pick === Pick.any || b === 0) return b;
        if (found < 0 || b < found) found = b;
      }
    }
    return found;
  }
}
