// Persistence by a cookie (issue 15, cookie), as HAProxy 2.6 does it
// (configuration.txt, "cookie <name>"; its http_manage_client_side_cookies,
// http_manage_server_side_cookies and the insertion in
// http_process_res_common): pure functions of the backend's settings, the
// heads and the servers, so that tables of cases test them.
//
// The request side finds the cookie among the Cookie fields, reads the
// server it names (and in insert mode its dates: `VALUE|last|first`, each
// date HAProxy's 30-bit count of 4-second steps since the epoch in 5
// base64 characters), decides whether that server takes the request, and
// takes the cookie off the request (insert + indirect) or its `VALUE~`
// prefix (prefix). The response side deletes, rewrites or prefixes the
// server's own Set-Cookie, then inserts one when the client did not have
// the right value (or its date needs refreshing), with Cache-control:
// private under `nocache` when the response could be cached.
import type { CookiePersistence } from "../config/types.ts";
import type { Field } from "../http/fields-head.ts";
import type { Head } from "../http/message.ts";
import { cookieItemAt, cookieItems, fieldsOf, nameIs, ReplacedFieldsHead } from "./cookie-fields.ts";

/** HAProxy's third %tsc character: what the client's cookie said. */
export const ClientCookie = {
  none: "N",
  invalid: "I",
  down: "D",
  valid: "V",
  expired: "E",
  old: "O",
  unused: "U",
} as const;
export type ClientCookieCode = (typeof ClientCookie)[keyof typeof ClientCookie];

/** HAProxy's fourth %tsc character: what was done with the response's cookie. */
export const ServerCookie = {
  none: "N",
  provided: "P",
  deleted: "D",
  inserted: "I",
  rewritten: "R",
  updated: "U",
} as const;
export type ServerCookieCode = (typeof ServerCookie)[keyof typeof ServerCookie];

/** What the cookie logic reads of a server. */
export interface CookieServer {
  /** Its `cookie VALUE`, or undefined. */
  readonly cookie: string | undefined;
  /** Takes the clients that name it now: UP, not in maintenance (draining or at weight 0 too, as HAProxy). */
  readonly running: boolean;
}

/** What the request side decided. */
export interface RequestCookie<S> {
  /** The server the cookie names, when it can take the request (HAProxy's SF_DIRECT). */
  readonly server: S | undefined;
  readonly flag: ClientCookieCode;
  /** The dates the cookie carried (seconds since the epoch, a multiple of 4; 0: none, or the cookie was ignored). */
  readonly lastDate: number;
  readonly firstDate: number;
  /** The request to send to the server: `head` itself when nothing changed. */
  readonly head: Head;
}

/** What the response side decided. */
export interface ResponseCookie {
  readonly flag: ServerCookieCode;
  /** The response to send to the client: `head` itself when nothing changed. */
  readonly head: Head;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A 30-bit number as HAProxy writes it in a cookie: 5 base64 characters, most significant first, no padding. */
export function encodeDate30(n: number): string {
  let out = "";
  for (let shift = 24; shift >= 0; shift -= 6) out += BASE64[(n >>> shift) & 0x3f];
  return out;
}

/** The number `encodeDate30` wrote at `at` in `text`; -1 when a character is not base64 (or there are fewer than 5). */
export function decodeDate30(text: string, at: number): number {
  if (text.length - at < 5) return -1;
  let n = 0;
  for (let i = at; i < at + 5; i++) {
    const d = BASE64.indexOf(text[i]!);
    if (d < 0) return -1;
    n = n * 64 + d;
  }
  return n;
}

/** The date HAProxy writes for `nowSec`: the 4-second step at or after it. */
function stampOf(nowSec: number): number {
  return ((nowSec + 3) >>> 2) & 0x3fffffff;
}

/** One day: a date further in the future than this is not believed (a clock fixed since). */
const FUTURE_SLACK = 86400;

/** Lower-case field names as bytes, for Head.nameIs (no string per field). */
function bytesOf(name: string): Uint8Array {
  return Uint8Array.from(name, (ch) => ch.charCodeAt(0));
}
const COOKIE = bytesOf("cookie");

/**
 * The request side. `assigned`: another rule chose the server already
 * (use-server, a connection-auth server): the cookie is read but not used.
 * @param nowSec wall-clock seconds since the epoch
 */
export function readRequestCookie<S extends CookieServer>(
  c: CookiePersistence,
  head: Head,
  servers: readonly S[],
  nowSec: number,
  assigned: boolean,
  /** `force-persist` matched: the named server is taken even when it is not running. */
  force = false,
): RequestCookie<S> {
  let flag: ClientCookieCode = ClientCookie.none;
  let server: S | undefined;
  let lastDate = 0;
  let firstDate = 0;
  let fields: Field[] | undefined;
  const n = head.fieldCount;
  for (let i = 0; i < n; i++) {
    if (!head.nameIs(i, COOKIE)) continue;
    const text = head.value(i);
    // Cheap test first: most Cookie fields do not hold ours.
    if (!text.includes(c.name)) continue;
    const kept: string[] = [];
    let changed = false;
    // A `$Path`-like attribute belongs to the cookie before it and goes with it.
    let dropping = false;
    for (const item of cookieItems(text)) {
      const whole = text.slice(item.nameStart, item.valueStart < 0 ? item.nameEnd : item.valueEnd);
      if (text.charCodeAt(item.nameStart) === 0x24) {
        if (dropping) changed = true;
        else kept.push(whole);
        continue;
      }
      dropping = false;
      if (item.valueStart < 0 || !nameIs(text, item, c.name)) {
        kept.push(whole);
        continue;
      }
      const value = text.slice(item.valueStart, item.valueEnd);
      // The server's part of the value: before '~' in prefix mode, before the first '|' (the dates) otherwise.
      let id = value;
      let rest: string | undefined;
      if (c.mode === "prefix") {
        const tilde = value.indexOf("~");
        if (tilde >= 0) {
          id = value.slice(0, tilde);
          rest = value.slice(tilde + 1);
        }
      } else {
        const bar = value.indexOf("|");
        if (bar >= 0) {
          id = value.slice(0, bar);
          const last = decodeDate30(value, bar + 1);
          if (last > 0) lastDate = last * 4;
          const bar2 = value.indexOf("|", bar + 1);
          if (bar2 >= 0 && value.length - bar2 > 5) {
            const first = decodeDate30(value, bar2 + 1);
            if (first > 0) firstDate = first * 4;
          }
        }
      }
      let ignored = false;
      if (firstDate !== 0 && c.maxlife > 0 && (nowSec - firstDate > c.maxlife || firstDate - nowSec > FUTURE_SLACK)) {
        flag = ClientCookie.old;
        ignored = true;
      } else if (lastDate !== 0 && c.maxidle > 0 && (nowSec - lastDate > c.maxidle || lastDate - nowSec > FUTURE_SLACK)) {
        flag = ClientCookie.expired;
        ignored = true;
      }
      if (ignored) firstDate = lastDate = 0;
      // An empty id never matches: a client must not stick to a server without a cookie.
      // A second occurrence of the cookie, once one chose the server, is unused (as HAProxy's SF_ASSIGNED makes it).
      let matched = false;
      if (!ignored && id !== "" && !assigned && server === undefined) {
        for (const s of servers) {
          if (s.cookie !== id) continue;
          if (s.running || force) {
            server = s;
            matched = true;
            flag = ClientCookie.valid;
            break;
          }
          flag = ClientCookie.down;
        }
      }
      if (!matched && flag !== ClientCookie.down && flag !== ClientCookie.expired && flag !== ClientCookie.old) {
        flag = assigned || server !== undefined ? ClientCookie.unused : ClientCookie.invalid;
      }
      if (rest !== undefined) {
        kept.push(`${c.name}=${rest}`);
        changed = true;
      } else if (c.mode === "insert" && c.indirect) {
        dropping = true;
        changed = true;
      } else {
        kept.push(whole);
      }
    }
    if (!changed) continue;
    fields ??= fieldsOf(head);
    // An emptied field is dropped (marked here, filtered below).
    fields[i] = kept.length === 0 ? ["", ""] : [fields[i]![0], kept.join("; ")];
  }
  const out = fields === undefined ? head : new ReplacedFieldsHead(head, fields.filter((f) => f[0] !== ""));
  return { server, flag, lastDate, firstDate, head: out };
}

/** What the response side needs to know of the request. */
export interface CookieExchange {
  /** The server that answered, and its cookie value. */
  readonly server: CookieServer;
  /** The cookie chose that server (or another rule did): HAProxy's SF_DIRECT. */
  readonly direct: boolean;
  readonly method: string;
  /** The request side's dates. */
  readonly lastDate: number;
  readonly firstDate: number;
}

/** A removal for a client that must forget the cookie (its server has none). */
const EXPIRED = "=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/";

/** The Set-Cookie value sluice inserts. */
export function setCookieValue(c: CookiePersistence, serverCookie: string | undefined, nowSec: number, firstDate: number): string {
  let out: string;
  if (serverCookie === undefined) out = c.name + EXPIRED;
  else {
    out = `${c.name}=${serverCookie}`;
    if (c.maxidle > 0 || c.maxlife > 0) {
      out += "|" + encodeDate30(stampOf(nowSec));
      if (c.maxlife > 0) out += "|" + encodeDate30(firstDate !== 0 ? (firstDate >>> 2) & 0x3fffffff : stampOf(nowSec));
    }
    out += "; path=/";
  }
  for (const d of c.domains) out += `; domain=${d}`;
  if (c.httponly) out += "; HttpOnly";
  if (c.secure) out += "; Secure";
  for (const a of c.attrs) out += `; ${a}`;
  return out;
}

const SET_COOKIE = bytesOf("set-cookie");
const CACHE_CONTROL = bytesOf("cache-control");
const CACHEABLE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * The response side, for a final response (status ≥ 200) from `x.server`.
 * @param nowSec wall-clock seconds since the epoch
 */
export function writeResponseCookie(c: CookiePersistence, head: Head, x: CookieExchange, nowSec: number): ResponseCookie {
  let flag: ServerCookieCode = ServerCookie.none;
  let found = false;
  let fields: Field[] | undefined;
  const n = head.fieldCount;
  for (let i = 0; i < n; i++) {
    if (!head.nameIs(i, SET_COOKIE)) continue;
    const text = head.value(i);
    const item = cookieItemAt(text, 0);
    if (item.valueStart < 0 || !nameIs(text, item, c.name)) continue;
    found = true;
    flag = ServerCookie.provided;
    if (c.preserve) continue;
    const own = x.server.cookie;
    if (c.mode === "insert" || (x.direct && c.indirect)) {
      // Insert mode puts its own instead (below); indirect: the client has the right one already.
      (fields ??= fieldsOf(head))[i] = ["", ""];
      flag = ServerCookie.deleted;
    } else if (own !== undefined && (c.mode === "rewrite" || c.mode === "prefix")) {
      const value = c.mode === "rewrite" ? own : `${own}~${text.slice(item.valueStart, item.valueEnd)}`;
      (fields ??= fieldsOf(head))[i] = [head.originalName(i), `${c.name}=${value}${text.slice(item.valueEnd)}`];
      flag = ServerCookie.rewritten;
    }
  }
  if (c.mode === "insert" && !(found && c.preserve) && needsInsert(c, x, nowSec) && (!c.postonly || x.method === "POST")) {
    fields ??= fieldsOf(head);
    fields.push(["Set-Cookie", setCookieValue(c, x.server.cookie, nowSec, x.firstDate)]);
    flag = x.server.cookie !== undefined && x.direct ? ServerCookie.updated : ServerCookie.inserted;
    // A cache before the client must not keep a response that carries one client's persistence cookie.
    if (c.nocache && cacheable(head, x.method)) fields.push(["Cache-control", "private"]);
  }
  if (fields === undefined) return { flag, head };
  return { flag, head: new ReplacedFieldsHead(head, fields.filter((f) => f[0] !== "")) };
}

/** The client lacks the right cookie, or its dates need writing (HAProxy's conditions, in its order). */
function needsInsert(c: CookiePersistence, x: CookieExchange, nowSec: number): boolean {
  if (!x.direct) return true;
  if ((c.maxidle > 0 || x.lastDate !== 0) && (x.lastDate === 0 || x.lastDate < nowSec)) return true;
  if (c.maxlife > 0 && x.firstDate === 0) return true;
  return c.maxlife === 0 && x.firstDate !== 0;
}

/** Statuses a cache may keep by default (RFC 7231 §6.1): any other makes a response uncacheable, in HAProxy 2.6 too. */
const CACHEABLE_STATUSES = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

/** What HAProxy 2.6 knows of a response's cacheability: its TX_CACHEABLE and TX_CACHE_COOK. */
export interface CacheFlags {
  /** A shared cache could keep it. */
  cacheable: boolean;
  /** ... with its cookies (no `no-cache="set-cookie"`). */
  cookie: boolean;
}

/**
 * A shared cache could keep this response (HAProxy's 2.6 flags: started
 * from the method, cleared by the status, then
 * http_check_response_for_cacheability): Pragma no-cache, Cache-Control
 * private/no-cache/no-store/max-age=0/s-maxage=0 say no (an s-maxage does
 * not save a max-age=0 in 2.6, unlike later versions); public says yes;
 * `no-cache="set-cookie"` keeps it without its cookies; and it needs an
 * expiry (max-age, s-maxage, Expires) or a validator (ETag, Last-Modified).
 */
export function cacheFlags(head: Head, method: string): CacheFlags {
  const none = { cacheable: false, cookie: false };
  let ok = CACHEABLE_METHODS.has(method) && CACHEABLE_STATUSES.has(head.status);
  let cookie = ok;
  const pragma = head.get("pragma");
  if (pragma !== undefined && pragma.trim().toLowerCase() === "no-cache") return none;
  let fresh = false;
  const n = head.fieldCount;
  for (let i = 0; i < n; i++) {
    if (!head.nameIs(i, CACHE_CONTROL)) continue;
    for (const raw of head.value(i).split(",")) {
      const d = raw.trim().toLowerCase();
      if (d === "public") ok = cookie = true;
      else if (d === "private" || d === "no-cache" || d === "no-store" || d === "max-age=0" || d === "s-maxage=0") ok = cookie = false;
      else if (d.startsWith("no-cache=\"set-cookie")) cookie = false;
      else if (d.startsWith("s-maxage") || d.startsWith("max-age")) fresh = true;
    }
  }
  if (!fresh) fresh = head.get("expires") !== undefined;
  if (!fresh && head.get("etag") === undefined && head.get("last-modified") === undefined) return none;
  return { cacheable: ok, cookie };
}

/** A shared cache could keep this response (`cookie … nocache` then marks it private). */
export function cacheable(head: Head, method: string): boolean {
  return cacheFlags(head, method).cacheable;
}

/** `option checkcache`: the response would leave a server's cookie in a shared cache (HAProxy refuses it). */
export function cacheableCookie(head: Head, method: string): boolean {
  const f = cacheFlags(head, method);
  return f.cacheable && f.cookie && head.get("set-cookie") !== undefined;
}
