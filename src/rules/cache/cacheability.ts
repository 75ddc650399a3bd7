// What HAProxy 2.6's cache decides from the messages (cache.c, http_ana.c):
// whether a request may be answered from the cache or its response stored,
// how long a response stays fresh, and the secondary key of the fields a
// response varies on. Pure over heads.
import type { Head } from "../../http/message.ts";

/** Request Cache-Control / Pragma: whether a stored answer may be used, and whether the answer may be stored. */
export function requestCacheability(request: Head): { use: boolean; store: boolean } {
  // HAProxy: GET stores and uses, HEAD uses what a GET stored; HTTP/1.1 and later, without Authorization.
  const method = request.method;
  if ((method !== "GET" && method !== "HEAD") || request.versionMinor < 1 || request.get("authorization") !== undefined) return { use: false, store: false };
  let use = true;
  let store = true;
  for (let i = 0; i < request.fieldCount; i++) {
    const name = request.name(i);
    if (name === "pragma" && /(^|[\s,])no-cache($|[\s,])/i.test(request.value(i))) use = false;
    if (name !== "cache-control") continue;
    for (const d of directives(request.value(i))) {
      if (d.name === "no-cache" || (d.name === "max-age" && d.value === "0")) use = false;
      if (d.name === "no-store") store = false;
    }
  }
  return { use, store: store && method === "GET" };
}

/** Methods that change what the server holds (RFC 9110 §9.2.1: not safe): their URI's stored answers are dropped (RFC 9111 §4.4, as HAProxy). */
export function invalidates(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && method !== "TRACE";
}

interface Directive {
  name: string;
  value: string | undefined;
}

function directives(value: string): Directive[] {
  const out: Directive[] = [];
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === "") continue;
    out.push({ name, value: eq < 0 ? undefined : part.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1") });
  }
  return out;
}

/** The fields HAProxy 2.6 can vary on (the others make a response uncacheable). */
const VARY_MANAGED = new Set(["accept-encoding", "referer"]);

/**
 * How long a 200 response may be served from the cache, in seconds, or
 * undefined when it may not be stored: no-store/private/no-cache, a max-age
 * or s-maxage of 0 (either: HAProxy's), Set-Cookie, a Vary it cannot follow,
 * or no expiry and no validator. `wallNow` (ms since the epoch) stands for
 * a missing Date when Expires is compared.
 */
export function responseLifetime(response: Head, maxAge: number, processVary: boolean, wallNow = NaN): { seconds: number; vary: string[] } | undefined {
  if (response.status !== 200) return undefined;
  let sMaxAge: number | undefined;
  let ccMaxAge: number | undefined;
  let expires: string | undefined;
  let date: string | undefined;
  let validator = false;
  const vary: string[] = [];
  for (let i = 0; i < response.fieldCount; i++) {
    const name = response.name(i);
    const value = response.value(i);
    if (name === "set-cookie") return undefined;
    if (name === "etag" || name === "last-modified") validator = true;
    else if (name === "expires") expires = value;
    else if (name === "date") date = value;
    else if (name === "vary") {
      for (const f of value.split(",")) {
        const field = f.trim().toLowerCase();
        if (field === "") continue;
        if (!processVary || !VARY_MANAGED.has(field)) return undefined;
        if (!vary.includes(field)) vary.push(field);
      }
    } else if (name === "cache-control") {
      for (const d of directives(value)) {
        if (d.name === "no-store" || d.name === "private" || d.name === "no-cache") return undefined;
        const n = d.value !== undefined && /^\d+$/.test(d.value) ? Number(d.value) : undefined;
        if (d.name === "s-maxage" && n !== undefined) sMaxAge = n;
        if (d.name === "max-age" && n !== undefined) ccMaxAge = n;
      }
    }
  }
  if (sMaxAge === 0 || ccMaxAge === 0) return undefined;
  let seconds: number | undefined = sMaxAge ?? ccMaxAge;
  if (seconds === undefined && expires !== undefined) {
    const at = Date.parse(expires);
    const now = date === undefined ? wallNow : Date.parse(date);
    // An invalid Expires (0, a past date) means already expired.
    seconds = Number.isNaN(at) || Number.isNaN(now) ? 0 : Math.max(0, Math.floor((at - now) / 1000));
  }
  if (seconds === undefined) {
    if (!validator) return undefined;
    seconds = maxAge;
  }
  seconds = Math.min(seconds, maxAge);
  return seconds > 0 ? { seconds, vary } : undefined;
}

/** The secondary key: the request's values of the fields a response varies on (accept-encoding normalised as a sorted token list). */
export function secondaryKey(request: Head, vary: readonly string[]): string {
  if (vary.length === 0) return "";
  return vary.map((field) => {
    const v = request.get(field) ?? "";
    if (field !== "accept-encoding") return `${field}=${v}`;
    const tokens = v.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== "" && !/;\s*q=0(\.0*)?$/.test(t)).map((t) => t.split(";")[0]!.trim());
    return `${field}=${[...new Set(tokens)].sort().join(",")}`;
  }).join("\n");
}

/** A stored field's value by lower-case name. */
function storedField(fields: readonly (readonly [string, string])[], name: string): string | undefined {
  for (const [n, v] of fields) if (n.toLowerCase() === name) return v;
  return undefined;
}

/**
 * A conditional GET or HEAD the stored answer satisfies (RFC 9110 §13.1.2,
 * §13.1.3): If-None-Match naming its ETag (weak comparison) or `*`; else
 * If-Modified-Since at or after its Last-Modified. HAProxy answers those 304
 * from the cache.
 */
export function notModified(request: Head, fields: readonly (readonly [string, string])[]): boolean {
  const match = request.get("if-none-match");
  if (match !== undefined) {
    const etag = storedField(fields, "etag");
    if (match.trim() === "*") return true;
    if (etag === undefined) return false;
    const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
    return match.split(",").some((tag) => opaque(tag) === opaque(etag));
  }
  const since = request.get("if-modified-since");
  const modified = storedField(fields, "last-modified");
  if (since === undefined || modified === undefined) return false;
  const a = Date.parse(since);
  const b = Date.parse(modified);
  return a === a && b === b && b <= a;
}
