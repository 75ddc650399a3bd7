// Heads out: the start line, the received field lines that are not hop-by-hop
// (copied as byte ranges of head.raw: original case, order and bytes), the
// framing and Connection fields the rewrite declares, added fields, the blank
// line — all in one buffer. Plus chunk framing and small canned responses.

import { ascii, CR, LF, LOWER, TCHAR } from "./chars.ts";
import { FieldRole, fieldRole } from "./fields.ts";
import { H1Head } from "./head.ts";
import { allocBytes } from "./slab.ts";
import type { Head } from "../http/message.ts";
import { reasonPhrase } from "../http/reasons.ts";

export type Framing =
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "none" }
  /** Keep the message's own Content-Length / Transfer-Encoding lines as received (bodiless responses to HEAD, 304). */
  | { kind: "keep" };

export interface HeadRewrite {
  /** What to declare: Content-Length: N / Transfer-Encoding: chunked / nothing / the received framing fields. */
  framing: Framing;
  /** Connection field to write (none if undefined). */
  connection?: "close" | "keep-alive" | "upgrade";
  /** Keep the Upgrade field (WebSocket handshakes). */
  keepUpgrade?: boolean;
  /** More field names (lower-case) to drop. */
  drop?: readonly string[];
  /** Fields appended at the end, in order. */
  add?: readonly (readonly [string, string])[];
  /** Requests: write this request-target instead of the received one (e.g. absolute-form → origin-form). */
  target?: string;
  /**
   * `h1-case-adjust` for a bogus peer: these fields (by lower-case name) are
   * written so named; the head is then written from its fields.
   */
  names?: ReadonlyMap<string, string>;
}

export const CRLF: Uint8Array = ascii("\r\n");
const REQUEST_VERSION = ascii(" HTTP/1.1\r\n");
const RESPONSE_VERSION_1 = ascii("HTTP/1.1 ");
const RESPONSE_VERSION_0 = ascii("HTTP/1.0 ");
const CONTENT_LENGTH_LINE = ascii("Content-Length: ");
const CHUNKED_LINE = ascii("Transfer-Encoding: chunked\r\n");
const TE_LINE = ascii("Transfer-Encoding: ");
/**
 * TE is hop-by-hop, but `trailers` is the one value a proxy should pass on
 * (a gRPC server wants it, and it says the client takes trailers): a
 * request's TE that lists it goes out as this line, any other TE is dropped
 * (HAProxy 2.6 does the same).
 */
const TE_TRAILERS_LINE = ascii("TE: trailers\r\n");
const CONNECTION_LINES = {
  close: ascii("Connection: close\r\n"),
  "keep-alive": ascii("Connection: keep-alive\r\n"),
  upgrade: ascii("Connection: upgrade\r\n"),
} as const;
const LIST_SEP = ascii(", ");
const LAST_CHUNK = ascii("0\r\n");
const EMPTY_TRAILERS = ascii("0\r\n\r\n");
const HOST_NAME = "host";
const CHUNKED_VALUE = "chunked";

/** Per-field keep marks, reused across calls (the serializer is synchronous). */
let marks = new Uint8Array(128);

function nameEquals(raw: Uint8Array, a: number, e: number, lower: string): boolean {
  const len = lower.length;
  if (e - a !== len) return false;
  for (let k = 0; k < len; k++) if (LOWER[raw[a + k]!] !== lower.charCodeAt(k)) return false;
  return true;
}

/** Writes `name: value` CRLF, refusing what would break the head (non-token name; CR, LF, NUL, other CTLs or non-latin1 in the value). */
function putField(out: Uint8Array, o: number, name: string, value: string): number {
  if (name.length === 0) throw new Error("serialize: empty field name");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TCHAR[c] !== 1) throw new Error(`serialize: invalid field name ${JSON.stringify(name)}`);
    out[o++] = c;
  }
  out[o++] = 0x3a;
  out[o++] = 0x20;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || c === 0x7f || (c < 0x20 && c !== 0x09)) throw new Error(`serialize: invalid value for ${name}: ${JSON.stringify(value)}`);
    out[o++] = c;
  }
  out[o++] = CR;
  out[o++] = LF;
  return o;
}

function put(out: Uint8Array, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  return o;
}

/** out[o..) = a short constant, through copy()'s loop: cheaper than a native set() call for these few bytes. */
function putBytes(out: Uint8Array, o: number, src: Uint8Array): number {
  return copy(out, o, src, 0, src.length);
}

/** out[o..) = src[a..e): a plain loop for short ranges (a subarray costs more than it saves there). */
function copy(out: Uint8Array, o: number, src: Uint8Array, a: number, e: number): number {
  if (e - a < 48) {
    while (a < e) out[o++] = src[a++]!;
    return o;
  }
  out.set(src.subarray(a, e), o);
  return o + (e - a);
}

function decimalLength(n: number): number {
  let len = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    len++;
  }
  return len;
}

function putDecimal(out: Uint8Array, o: number, n: number, len: number): number {
  let i = o + len;
  do {
    out[--i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return o + len;
}

function serializeHead(head: Head, rewrite: HeadRewrite, isRequest: boolean, versionMinor: 0 | 1): Uint8Array {
  // A head parsed from HTTP/1.1 is copied by byte ranges; any other (an HTTP/2 header list) is written from its fields.
  if (!(head instanceof H1Head) || rewrite.names !== undefined) return serializeFields(head, rewrite, isRequest, versionMinor);
  const raw = head.raw;
  // Our own heads keep their offsets in a shared slab: read them there rather than make a view.
  const f = head.fw;
  const fb = head.fb;
  const count = head.fieldCount;
  // The start line ends just before the first field (no search needed).
  const lf = count > 0 ? f[fb]! - 1 : raw.indexOf(LF);
  const cr = lf - 1;

  // ---- sizes ----
  let size: number;
  let target: string | undefined;
  if (isRequest) {
    target = rewrite.target;
    if (target === undefined) size = cr - 9 + REQUEST_VERSION.length;
    else {
      if (target.length === 0) throw new Error("serialize: empty request-target");
      for (let i = 0; i < target.length; i++) {
        const c = target.charCodeAt(i);
        if (c <= 0x20 || c >= 0x7f) throw new Error(`serialize: invalid request-target ${JSON.stringify(target)}`);
      }
      size = head.method.length + 1 + target.length + REQUEST_VERSION.length;
    }
  } else size = 9 + (cr - 9) + 2;

  if (marks.length < count) marks = new Uint8Array(Math.max(count, marks.length * 2));
  const framing = rewrite.framing;
  const keepFraming = framing.kind === "keep";
  const keepUpgrade = rewrite.keepUpgrade === true;
  const tokens = head.connectionTokens;
  const drop = rewrite.drop;
  let teCodings = false; // a Transfer-Encoding value other than "chunked" to carry over
  let teTrailers = false; // a TE field listing "trailers"
  for (let i = 0; i < count; i++) {
    const a = f[fb + 4 * i]!;
    const e = f[fb + 4 * i + 1]!;
    let keep = 1;
    switch (fieldRole(raw, a, e)) {
      case FieldRole.HopByHop:
        keep = 0;
        if (isRequest && e - a === 2 && !teTrailers) teTrailers = listsTrailers(head.value(i));
        break;
      case FieldRole.Framing:
        if (!keepFraming) {
          keep = 0;
          if (e - a === 17 && !nameEquals(raw, f[fb + 4 * i + 2]!, f[fb + 4 * i + 3]!, CHUNKED_VALUE)) teCodings = true;
        }
        break;
      case FieldRole.Upgrade:
        keep = keepUpgrade ? 1 : 0;
        break;
      default:
        for (let t = 0; t < tokens.length; t++) {
          if (nameEquals(raw, a, e, tokens[t]!) && tokens[t] !== HOST_NAME) {
            keep = 0;
            break;
          }
        }
        if (keep === 1 && drop !== undefined) {
          for (let t = 0; t < drop.length; t++) {
            if (nameEquals(raw, a, e, drop[t]!)) {
              keep = 0;
              break;
            }
          }
        }
    }
    marks[i] = keep;
    if (keep === 1) size += (i + 1 < count ? f[fb + 4 * i + 4]! : raw.length - 2) - a;
  }

  let lengthDigits = 0;
  switch (framing.kind) {
    case "length": {
      const n = framing.length;
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`serialize: invalid Content-Length ${n}`);
      lengthDigits = decimalLength(n);
      size += CONTENT_LENGTH_LINE.length + lengthDigits + 2;
      break;
    }
    case "chunked":
      if (teCodings) {
        size += TE_LINE.length + 2;
        let first = true;
        for (let i = 0; i < count; i++) {
          const a = f[fb + 4 * i]!;
          if (f[fb + 4 * i + 1]! - a === 17 && fieldRole(raw, a, a + 17) === FieldRole.Framing) {
            size += f[fb + 4 * i + 3]! - f[fb + 4 * i + 2]! + (first ? 0 : LIST_SEP.length);
            first = false;
          }
        }
      } else size += CHUNKED_LINE.length;
      break;
  }
  const conn = rewrite.connection === undefined ? undefined : CONNECTION_LINES[rewrite.connection];
  if (conn !== undefined) size += conn.length;
  if (teTrailers) size += TE_TRAILERS_LINE.length;
  const add = rewrite.add;
  if (add !== undefined) {
    for (let i = 0; i < add.length; i++) {
      const field = add[i]!;
      size += field[0].length + field[1].length + 4;
    }
  }
  size += 2;

  // ---- bytes ----
  const out = allocBytes(size);
  let o: number;
  if (isRequest) {
    if (target === undefined) o = copy(out, 0, raw, 0, cr - 9);
    else {
      o = put(out, 0, head.method);
      out[o++] = 0x20;
      o = put(out, o, target);
    }
    o = putBytes(out, o, REQUEST_VERSION);
  } else {
    o = copy(out, putBytes(out, 0, versionMinor === 1 ? RESPONSE_VERSION_1 : RESPONSE_VERSION_0), raw, 9, lf + 1);
  }
  // kept fields, consecutive runs in one copy
  let i = 0;
  while (i < count) {
    if (marks[i] === 0) {
      i++;
      continue;
    }
    const a = f[fb + 4 * i]!;
    let j = i + 1;
    while (j < count && marks[j] === 1) j++;
    const e = j < count ? f[fb + 4 * j]! : raw.length - 2;
    o = copy(out, o, raw, a, e);
    i = j;
  }
  switch (framing.kind) {
    case "length":
      o = putDecimal(out, putBytes(out, o, CONTENT_LENGTH_LINE), framing.length, lengthDigits);
      out[o++] = CR;
      out[o++] = LF;
      break;
    case "chunked":
      if (teCodings) {
        out.set(TE_LINE, o);
        o += TE_LINE.length;
        let first = true;
        for (let k = 0; k < count; k++) {
          const a = f[fb + 4 * k]!;
          if (f[fb + 4 * k + 1]! - a === 17 && fieldRole(raw, a, a + 17) === FieldRole.Framing) {
            if (!first) {
              out.set(LIST_SEP, o);
              o += LIST_SEP.length;
            }
            first = false;
            o = copy(out, o, raw, f[fb + 4 * k + 2]!, f[fb + 4 * k + 3]!);
          }
        }
        out[o++] = CR;
        out[o++] = LF;
      } else {
        o = putBytes(out, o, CHUNKED_LINE);
      }
      break;
  }
  if (teTrailers) o = putBytes(out, o, TE_TRAILERS_LINE);
  if (conn !== undefined) o = putBytes(out, o, conn);
  if (add !== undefined) {
    for (let k = 0; k < add.length; k++) o = putField(out, o, add[k]![0], add[k]![1]);
  }
  out[o++] = CR;
  out[o++] = LF;
  return out;
}

/** What the byte-range path drops, by lower-case name, for heads written from their fields. */
const FIELD_ROLES: Readonly<Record<string, FieldRole>> = {
  te: FieldRole.HopByHop,
  connection: FieldRole.HopByHop,
  "keep-alive": FieldRole.HopByHop,
  "proxy-connection": FieldRole.HopByHop,
  upgrade: FieldRole.Upgrade,
  "content-length": FieldRole.Framing,
  "transfer-encoding": FieldRole.Framing,
};

/**
 * The same head as serializeHead writes, for a head that has no HTTP/1.1
 * bytes: the start line (a response's reason phrase is RFC 9110's, since
 * none travelled, unless `set-status ... reason` gave one), the fields as named, the framing and Connection the
 * rewrite declares, added fields, the blank line.
 */
function serializeFields(head: Head, rewrite: HeadRewrite, isRequest: boolean, versionMinor: 0 | 1): Uint8Array {
  // A request line is written in its three parts: a string joined from them would be flattened char by char.
  const target = isRequest ? rewrite.target ?? head.target : "";
  const start = isRequest
    ? ""
    : `HTTP/1.${versionMinor} ${head.status} ${head.reason !== undefined ? head.reason : reasonPhrase(head.status)}`;
  const framing = rewrite.framing;
  const names = rewrite.names;
  const count = head.fieldCount;
  if (marks.length < count) marks = new Uint8Array(Math.max(count, marks.length * 2));
  // One pass decides which fields go and sizes them; the second writes: no list of lines per head.
  // (REQUEST_VERSION ends with its CRLF)
  let size = (isRequest ? head.method.length + 1 + target.length + REQUEST_VERSION.length - 2 : start.length) + 4;
  let teTrailers = false;
  for (let i = 0; i < count; i++) {
    const name = head.name(i);
    if (isRequest && name === "te" && !teTrailers) teTrailers = listsTrailers(head.value(i));
    const keep = keepsField(name, head.connectionTokens, rewrite) ? 1 : 0;
    marks[i] = keep;
    if (keep === 1) size += (names?.get(name) ?? head.originalName(i)).length + head.value(i).length + 4;
  }
  const length = framing.kind === "length" ? String(framing.length) : "";
  if (framing.kind === "length") size += CONTENT_LENGTH_LINE.length + length.length + 2;
  else if (framing.kind === "chunked") size += CHUNKED_LINE.length;
  const conn = rewrite.connection === undefined ? undefined : CONNECTION_LINES[rewrite.connection];
  if (conn !== undefined) size += conn.length;
  if (teTrailers) size += TE_TRAILERS_LINE.length;
  const add = rewrite.add;
  if (add !== undefined) for (let k = 0; k < add.length; k++) size += (names?.get(add[k]![0].toLowerCase()) ?? add[k]![0]).length + add[k]![1].length + 4;
  const out = allocBytes(size);
  let o: number;
  if (isRequest) {
    o = put(out, 0, head.method);
    out[o++] = 0x20;
    o = put(out, o, target);
    o = putBytes(out, o, REQUEST_VERSION);
  } else {
    o = put(out, 0, start);
    out[o++] = CR;
    out[o++] = LF;
  }
  for (let i = 0; i < count; i++) if (marks[i] === 1) o = putField(out, o, names?.get(head.name(i)) ?? head.originalName(i), head.value(i));
  if (framing.kind === "length") {
    o = putBytes(out, o, CONTENT_LENGTH_LINE);
    o = put(out, o, length);
    out[o++] = CR;
    out[o++] = LF;
  } else if (framing.kind === "chunked") o = putBytes(out, o, CHUNKED_LINE);
  if (teTrailers) o = putBytes(out, o, TE_TRAILERS_LINE);
  if (conn !== undefined) o = putBytes(out, o, conn);
  if (add !== undefined) for (let k = 0; k < add.length; k++) o = putField(out, o, names?.get(add[k]![0].toLowerCase()) ?? add[k]![0], add[k]![1]);
  out[o++] = CR;
  out[o++] = LF;
  return out;
}

/** A TE value with the `trailers` token (parameters and case aside): what a proxy passes on as `TE: trailers`. */
export function listsTrailers(value: string): boolean {
  if (value.length < 8) return false;
  for (const item of value.split(",")) {
    const semi = item.indexOf(";");
    if ((semi < 0 ? item : item.slice(0, semi)).trim().toLowerCase() === "trailers") return true;
  }
  return false;
}

/** Whether a field (lower-case `name`) of a head written from its fields is forwarded, by the same rules as the byte-range path. */
function keepsField(name: string, tokens: readonly string[], rewrite: HeadRewrite): boolean {
  const role = FIELD_ROLES[name] ?? FieldRole.Other;
  if (role === FieldRole.HopByHop) return false;
  if (role === FieldRole.Framing && rewrite.framing.kind !== "keep") return false;
  if (role === FieldRole.Upgrade && rewrite.keepUpgrade !== true) return false;
  if (role === FieldRole.Other && name !== HOST_NAME && tokens.includes(name)) return false;
  return rewrite.drop === undefined || !rewrite.drop.includes(name);
}

/** "METHOD SP target SP HTTP/1.1" CRLF, kept fields, declared framing/Connection, added fields, CRLF. */
export function serializeRequestHead(head: Head, rewrite: HeadRewrite): Uint8Array {
  return serializeHead(head, rewrite, true, 1);
}

/** "HTTP/1.x SP status SP reason" CRLF (status and reason as received), fields as for requests. */
export function serializeResponseHead(head: Head, rewrite: HeadRewrite, versionMinor: 0 | 1 = 1): Uint8Array {
  return serializeHead(head, rewrite, false, versionMinor);
}

/** The last chunk and the trailer section: "0" CRLF, trailer fields as received, CRLF. */
export function serializeTrailers(trailers: Head | undefined): Uint8Array {
  if (trailers === undefined || trailers.fieldCount === 0) return EMPTY_TRAILERS;
  if (!(trailers instanceof H1Head)) {
    let size = LAST_CHUNK.length + 2;
    for (let i = 0; i < trailers.fieldCount; i++) size += trailers.originalName(i).length + trailers.value(i).length + 4;
    const out = allocBytes(size);
    let o = putBytes(out, 0, LAST_CHUNK);
    for (let i = 0; i < trailers.fieldCount; i++) o = putField(out, o, trailers.originalName(i), trailers.value(i));
    out[o++] = CR;
    out[o++] = LF;
    return out;
  }
  const raw = trailers.raw;
  const out = new Uint8Array(LAST_CHUNK.length + raw.length);
  out.set(LAST_CHUNK, 0);
  out.set(raw, LAST_CHUNK.length);
  return out;
}

const HEX = "0123456789abcdef";
const PREFIX_CACHE_SIZE = 8192;
const prefixCache: (Uint8Array | undefined)[] = [];

/** A chunk's size line, "1a2" CRLF (shared for sizes below 8192: do not mutate). Size 0 is the last chunk's line. */
export function chunkPrefix(size: number): Uint8Array {
  if (size < PREFIX_CACHE_SIZE) {
    const cached = prefixCache[size];
    if (cached !== undefined) return cached;
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`chunkPrefix: invalid size ${size}`);
  let digits = 1;
  for (let n = size; n >= 16; n = Math.floor(n / 16)) digits++;
  const out = new Uint8Array(digits + 2);
  let n = size;
  for (let i = digits - 1; i >= 0; i--) {
    out[i] = HEX.charCodeAt(n % 16);
    n = Math.floor(n / 16);
  }
  out[digits] = CR;
  out[digits + 1] = LF;
  if (size < PREFIX_CACHE_SIZE) prefixCache[size] = out;
  return out;
}

const encoder = new TextEncoder();

/**
 * A complete response generated by sluice (errors, redirects, stats): status
 * line, fields, Content-Length (unless given, and never for 1xx/204/304), CRLF,
 * body (a string is UTF-8 encoded).
 */
export function simpleResponse(
  status: number,
  reason: string,
  fields: readonly (readonly [string, string])[],
  body: Uint8Array | string,
): Uint8Array {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new Error(`simpleResponse: invalid status ${status}`);
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const bodiless = status < 200 || status === 204 || status === 304;
  if (bodiless && bytes.length !== 0) throw new Error(`simpleResponse: status ${status} has no body`);
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c > 0xff || c === 0x7f || (c < 0x20 && c !== 0x09)) throw new Error(`simpleResponse: invalid reason ${JSON.stringify(reason)}`);
  }
  let hasLength = false;
  let size = 9 + 3 + 1 + reason.length + 2;
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    size += name.length + value.length + 4;
    if (nameEqualsString(name, "content-length")) hasLength = true;
  }
  const lengthLine = hasLength || bodiless ? "" : `Content-Length: ${bytes.length}\r\n`;
  size += lengthLine.length + 2 + bytes.length;
  const out = new Uint8Array(size);
  let o = put(out, 0, `HTTP/1.1 ${status} `);
  o = put(out, o, reason);
  out[o++] = CR;
  out[o++] = LF;
  for (let i = 0; i < fields.length; i++) o = putField(out, o, fields[i]![0], fields[i]![1]);
  o = put(out, o, lengthLine);
  out[o++] = CR;
  out[o++] = LF;
  out.set(bytes, o);
  return out;
}

function nameEqualsString(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < name.length; i++) if (LOWER[name.charCodeAt(i) & 0xff] !== lower.charCodeAt(i)) return false;
  return true;
}
