// Walking a head's fields the way HAProxy's header fetches do: by name
// without allocating (Head.nameIs against the lower-case name's bytes), and
// through the comma-separated elements of a value (req.hdr splits, req.fhdr
// does not), a quoted string being one element, OWS trimmed. Elements are
// reported as offsets so that counting and skipping allocate nothing.
import type { Head } from "../../http/message.ts";

/** Visits [start, end) of an element of `value`; true stops the walk. */
export type ElementVisit = (value: string, start: number, end: number) => boolean;

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/** Calls `visit` for each comma-separated element of `value`; true when a visit stopped. */
export function forEachElement(value: string, visit: ElementVisit): boolean {
  let start = 0;
  let quoted = false;
  const n = value.length;
  for (let k = 0; k < n; k++) {
    const c = value.charCodeAt(k);
    if (quoted) {
      if (c === 92) k++;
      else if (c === 34) quoted = false;
    } else if (c === 34) {
      quoted = true;
    } else if (c === 44) {
      if (visitTrimmed(value, start, k, visit)) return true;
      start = k + 1;
    }
  }
  return visitTrimmed(value, start, n, visit);
}

function visitTrimmed(value: string, start: number, end: number, visit: ElementVisit): boolean {
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return visit(value, start, end);
}

/** The lower-case name's bytes for Head.nameIs; undefined names every field. */
export function nameBytes(name: string | undefined): Uint8Array | undefined {
  if (name === undefined || name === "") return undefined;
  return new TextEncoder().encode(name.toLowerCase());
}

/**
 * Calls `visit` for each value of the fields named `name` (every field when
 * undefined), split into elements when `split`. True when a visit stopped.
 */
export function forEachValue(head: Head, name: Uint8Array | undefined, split: boolean, visit: ElementVisit): boolean {
  const count = head.fieldCount;
  for (let i = 0; i < count; i++) {
    if (name !== undefined && !head.nameIs(i, name)) continue;
    const value = head.value(i);
    if (split) {
      if (forEachElement(value, visit)) return true;
    } else if (visit(value, 0, value.length)) {
      return true;
    }
  }
  return false;
}

/** How many values (elements when `split`) the fields named `name` carry. */
export function countValues(head: Head, name: Uint8Array | undefined, split: boolean): number {
  let n = 0;
  forEachValue(head, name, split, () => {
    n++;
    return false;
  });
  return n;
}

/**
 * The occurrence `occ` of the values: 1 the first, -1 the last, -2 the one
 * before... (HAProxy's <occ>); undefined when there are not that many.
 */
export function valueAt(head: Head, name: Uint8Array | undefined, split: boolean, occ: number): string | undefined {
  let want = occ;
  if (occ < 0) {
    want = countValues(head, name, split) + occ + 1;
    if (want < 1) return undefined;
  }
  let seen = 0;
  let found: string | undefined;
  forEachValue(head, name, split, (v, s, e) => {
    if (++seen !== want) return false;
    found = v.slice(s, e);
    return true;
  });
  return found;
}
