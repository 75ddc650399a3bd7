// Field names and values as strings, made once for the same bytes: a server
// sends the same fields in every response (Server, Content-Type, Connection:
// keep-alive...), and each answer relayed to an HTTP/2 client needs them as
// strings (HPACK works on strings). A direct-mapped cache keyed by a hash of
// the bytes hands back the string made last time when the bytes match, so
// that no string is built char by char per field and per response, and the
// string's own hash (which JSC and V8 cache on it) serves every Map lookup
// that follows (the HPACK tables). A miss costs the hash and one compare more
// than building the string outright. Long values (cookies, tokens) are not
// cached: they seldom repeat.
import { latin1, LOWER, lowerLatin1 } from "./chars.ts";

const SLOTS = 1024;
const MASK = SLOTS - 1;
/** Longer strings are built each time (and not cached). */
const MAX_CACHED = 64;

const names: (string | undefined)[] = new Array(SLOTS).fill(undefined);
const values: (string | undefined)[] = new Array(SLOTS).fill(undefined);

/** b[start..end) lower-cased (ASCII letters only), as a string: the same string as last time for the same bytes. */
export function internLower(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > MAX_CACHED) return lowerLatin1(b, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ LOWER[b[i]!]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & MASK;
  const cached = names[slot];
  if (cached !== undefined && cached.length === n) {
    let k = 0;
    while (k < n && cached.charCodeAt(k) === LOWER[b[start + k]!]) k++;
    if (k === n) return cached;
  }
  const s = lowerLatin1(b, start, end);
  names[slot] = s;
  return s;
}

/** b[start..end) as a string, one char per byte: the same string as last time for the same bytes. */
export function intern(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > MAX_CACHED) return latin1(b, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & MASK;
  const cached = values[slot];
  if (cached !== undefined && cached.length === n) {
    let k = 0;
    while (k < n && cached.charCodeAt(k) === b[start + k]) k++;
    if (k === n) return cached;
  }
  const s = latin1(b, start, end);
  values[slot] = s;
  return s;
}
