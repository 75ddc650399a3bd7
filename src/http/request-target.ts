// The parts of a request-target that rules rewrite (set-path, set-query,
// set-uri, redirect prefix...), found the way HAProxy finds them: the path
// of an origin-form target is all of it up to "?"; an absolute-form target
// ("http://host/p?q") keeps its scheme and authority in front of the path;
// "*" and CONNECT's authority-form have no path. Pure string functions.

const SLASH = 0x2f;
const QUESTION = 0x3f;
const STAR = 0x2a;
const COLON = 0x3a;
const AT = 0x40;

/** Where the authority of an absolute-form target starts (after "scheme://"), or -1 if it is not one. */
function afterScheme(target: string): number {
  const first = target.charCodeAt(0);
  if (!isAlpha(first)) return -1;
  let i = 1;
  while (i < target.length) {
    const c = target.charCodeAt(i);
    if (isAlpha(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) i++;
    else break;
  }
  if (target.charCodeAt(i) !== COLON || target.charCodeAt(i + 1) !== SLASH || target.charCodeAt(i + 2) !== SLASH) return -1;
  return i + 3;
}

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** The end of the authority that starts at `from`: the first "/" or "?" (or the end). */
function authorityEnd(target: string, from: number): number {
  let i = from;
  while (i < target.length) {
    const c = target.charCodeAt(i);
    if (c === SLASH || c === QUESTION) break;
    i++;
  }
  return i;
}

/**
 * Where the path starts: 0 for origin-form ("/a?b"); just after the
 * authority for absolute-form ("http://h/a" → 8; "http://h" → its length,
 * an empty path); -1 when the target has none ("*", "host:443").
 */
export function pathStart(target: string): number {
  const first = target.charCodeAt(0);
  if (first === SLASH) return 0;
  if (first === STAR) return -1;
  const authority = afterScheme(target);
  return authority < 0 ? -1 : authorityEnd(target, authority);
}

/** Where the path that starts at `start` ends: its "?" or the end. */
export function pathEnd(target: string, start: number): number {
  const q = target.indexOf("?", start);
  return q < 0 ? target.length : q;
}

/** The path and query ("/a?b") of a target, "" when it has none. */
export function pathAndQuery(target: string): string {
  const start = pathStart(target);
  return start < 0 ? "" : target.slice(start);
}

/**
 * `target` with its path replaced, the scheme, authority and query kept
 * (set-path). A target without a path ("*", authority-form) is replaced up
 * to its "?", as HAProxy does.
 */
export function withPath(target: string, path: string): string {
  const start = Math.max(pathStart(target), 0);
  return target.slice(0, start) + path + target.slice(pathEnd(target, start));
}

/** `target` with its path and query replaced by `pathQuery`, the scheme and authority kept (set-pathq). */
export function withPathAndQuery(target: string, pathQuery: string): string {
  return target.slice(0, Math.max(pathStart(target), 0)) + pathQuery;
}

/**
 * `target` with the query after its first "?" replaced (set-query). Without
 * a "?", one is added only for a non-empty query; an existing "?" is never
 * removed, even for an empty query (HAProxy: set-pathq removes it).
 */
export function withQuery(target: string, query: string): string {
  const q = target.indexOf("?");
  if (q >= 0) return target.slice(0, q + 1) + query;
  return query.length === 0 ? target : `${target}?${query}`;
}

/**
 * The authority a target carries: absolute-form's (without userinfo), or
 * all of a CONNECT target; undefined for origin-form and "*".
 */
export function authorityOf(target: string, isConnect: boolean): string | undefined {
  const range = authorityRange(target, isConnect);
  return range === undefined ? undefined : target.slice(range[0], range[1]);
}

/** `target` with its authority replaced by `host`; `target` itself when it carries none. */
export function withAuthority(target: string, isConnect: boolean, host: string): string {
  const range = authorityRange(target, isConnect);
  return range === undefined ? target : target.slice(0, range[0]) + host + target.slice(range[1]);
}

function authorityRange(target: string, isConnect: boolean): [number, number] | undefined {
  const first = target.charCodeAt(0);
  if (target.length === 0 || first === SLASH || first === STAR) return undefined;
  if (isConnect) return [0, target.length];
  let start = afterScheme(target);
  if (start < 0) return undefined;
  const end = authorityEnd(target, start);
  for (let i = start; i < end; i++) if (target.charCodeAt(i) === AT) start = i + 1;
  return [start, end];
}

/** A request-target sluice may write on a request line: visible ASCII, not empty (no space or control could split the line). */
export function isWritableTarget(target: string): boolean {
  if (target.length === 0) return false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
