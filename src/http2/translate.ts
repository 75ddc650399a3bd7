// Between an HTTP/1.1 client stream and an HTTP/2 server stream (RFC 9113
// §8): an HTTP/1.1 request head becomes a header list with pseudo-headers,
// connection-specific fields dropped and Host carried as :authority; an
// HTTP/2 response header list (or trailer list) is checked as RFC 9113 §8.2
// and §8.3 require and becomes the same Head the HTTP/1.1 side relays, so the
// stream that serves the client never knows which protocol the server spoke.
import { FVCHAR, LOWER, TCHAR, VCHAR_WS } from "../http1/chars.ts";
import { type Field, FieldsHead } from "../http/fields-head.ts";
import { BodyKind, type Head, type ProtocolRefusal } from "../http/message.ts";
import { listsTrailers } from "../http1/serialize.ts";

export type HeaderField = readonly [name: string, value: string];

/** Fields that mean something only for one HTTP/1.1 connection (RFC 9113 §8.2.2): never sent or accepted over HTTP/2. */
export const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/**
 * The header list for an HTTP/1.1 request sent over HTTP/2. `added` are the
 * fields the proxy adds (X-Forwarded-For...), already final. A `te` field is
 * kept only as "trailers"; Host becomes :authority (an absolute-form target's
 * authority wins, as RFC 9112 §3.2.2 says for HTTP/1.1).
 */
export function requestFields(head: Head, added: readonly (readonly [string, string])[], scheme: "http" | "https"): HeaderField[] {
  const target = head.target;
  let authority = head.host ?? "";
  let path = target;
  if (!target.startsWith("/") && target !== "*") {
    // absolute-form: scheme "://" authority path-abempty [ "?" query ]
    const start = target.indexOf("://") + 3;
    const slash = target.indexOf("/", start);
    const query = target.indexOf("?", start);
    const end = slash >= 0 ? slash : query >= 0 ? query : target.length;
    authority = target.slice(start, end);
    path = slash >= 0 ? target.slice(slash) : "/" + target.slice(end);
  }
  const out: HeaderField[] = [[":method", head.method], [":scheme", scheme], [":authority", authority], [":path", path]];
  const listed = head.connectionTokens;
  let teTrailers = false;
  for (let i = 0; i < head.fieldCount; i++) {
    const name = head.name(i);
    if (name === "te") {
      // The one value HTTP/2 allows (§8.2.2), when the client's list has it ("trailers, deflate" too).
      if (!teTrailers && listsTrailers(head.value(i))) {
        out.push(["te", "trailers"]);
        teTrailers = true;
      }
      continue;
    }
    if (name === "host" || CONNECTION_SPECIFIC.has(name) || listed.includes(name)) continue;
    out.push([name, head.value(i)]);
  }
  for (const [name, value] of added) {
    if (name.toLowerCase() === "host") continue;
    out.push([name.toLowerCase(), value]);
  }
  return out;
}

/** A malformed request as the session counts and logs it (the stream was reset). */
export function malformed(message: string): ProtocolRefusal {
  return { status: 400, code: "h2-malformed", message };
}

/** Why an HTTP/2 header list is malformed (RFC 9113 §8.1.1: a stream error, PROTOCOL_ERROR; the client gets a 502). */
export class MalformedFields extends Error {
  constructor(readonly reason: string) {
    super(`malformed HTTP/2 header list: ${reason}`);
    this.name = "MalformedFields";
  }
}

/** Checks a regular field: a lower-case token name, a value without CR, LF, NUL or whitespace at its edges. */
export function checkField(name: string, value: string): void {
  if (name.length === 0) throw new MalformedFields("an empty field name");
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c > 255 || TCHAR[c] !== 1 || LOWER[c] !== c) throw new MalformedFields(`field name '${name}' is not a lower-case token`);
  }
  if (CONNECTION_SPECIFIC.has(name)) throw new MalformedFields(`connection-specific field '${name}'`);
  if (value.length === 0) return;
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    if (c > 255 || VCHAR_WS[c] !== 1) throw new MalformedFields(`field '${name}' has an invalid byte in its value`);
  }
  if (FVCHAR[value.charCodeAt(0)] !== 1 || FVCHAR[value.charCodeAt(value.length - 1)] !== 1) {
    throw new MalformedFields(`field '${name}' has leading or trailing whitespace`);
  }
}

/** The Content-Length of a response, -1 for none; every value (and list member) must be the same decimal number (RFC 9110 §8.6). */
export function contentLengthOf(fields: readonly HeaderField[], from: number): number {
  let length = -1;
  for (let i = from; i < fields.length; i++) {
    if (fields[i]![0] !== "content-length") continue;
    for (const part of fields[i]![1].split(",")) {
      const v = part.trim();
      if (!/^[0-9]{1,16}$/.test(v) || Number(v) > Number.MAX_SAFE_INTEGER) throw new MalformedFields(`content-length '${fields[i]![1]}'`);
      const n = Number(v);
      if (length >= 0 && n !== length) throw new MalformedFields("several differing content-length values");
      length = n;
    }
  }
  return length;
}

/**
 * The Head of an HTTP/2 response (final or 1xx): its fields as received, its
 * framing from content-length, the status and the request's method. Throws MalformedFields for what RFC 9113 §8.3.2 and §8.2 make
 * malformed: no or several :status, a status that is not three digits, a
 * pseudo-header other than :status or after a regular field, an upper-case or
 * invalid name, a connection-specific field, an invalid value.
 */
export function responseHead(fields: readonly HeaderField[], requestMethod: string): Head {
  let status = -1;
  let i = 0;
  for (; i < fields.length && fields[i]![0].startsWith(":"); i++) {
    const [name, value] = fields[i]!;
    if (name !== ":status") throw new MalformedFields(`pseudo-header '${name}' in a response`);
    if (status >= 0) throw new MalformedFields("two :status fields");
    if (!/^[1-9][0-9][0-9]$/.test(value)) throw new MalformedFields(`:status '${value}'`);
    status = Number(value);
  }
  if (status < 0) throw new MalformedFields("no :status");
  for (let k = i; k < fields.length; k++) {
    const [name, value] = fields[k]!;
    if (name.startsWith(":")) throw new MalformedFields(`pseudo-header '${name}' after a regular field`);
    checkField(name, value);
    if (name === "te") throw new MalformedFields("te in a response");
  }
  const length = contentLengthOf(fields, i);
  const bodyless = status < 200 || status === 204 || status === 304 || requestMethod === "HEAD" ||
    (requestMethod === "CONNECT" && status < 300);
  // Without a length the body ends with the stream: for an HTTP/1.1 writer, a body of unknown length.
  const bodyKind = bodyless ? BodyKind.None : length >= 0 ? BodyKind.Length : BodyKind.UntilClose;
  return new FieldsHead(fields, { isRequest: false, status, bodyKind, contentLength: length }, i);
}

/** Trailer fields of an HTTP/2 message (no pseudo-headers allowed) as a trailer Head. */
export function trailersHead(fields: readonly HeaderField[]): Head {
  for (const [name, value] of fields) {
    if (name.startsWith(":")) throw new MalformedFields(`pseudo-header '${name}' in trailers`);
    checkField(name, value);
  }
  return new FieldsHead(fields as readonly Field[], { isRequest: false, bodyKind: BodyKind.None });
}

/**
 * The header list of a response head (final or 1xx) going to an HTTP/2
 * client: :status, then its fields with lower-case names, without the
 * connection-specific ones and those its Connection field lists (§8.2.2).
 */
export function responseFields(head: Head): HeaderField[] {
  const out: HeaderField[] = [[":status", statusString(head.status)]];
  const listed = head.connectionTokens;
  for (let i = 0; i < head.fieldCount; i++) {
    const name = head.name(i);
    if (CONNECTION_SPECIFIC.has(name) || (listed.length !== 0 && listed.includes(name))) continue;
    out.push([name, head.value(i)]);
  }
  return out;
}

/** The three digits of each status, made once (one string per response otherwise). */
const STATUS_STRINGS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i));

function statusString(status: number): string {
  return status >= 0 && status < 1000 ? STATUS_STRINGS[status]! : String(status);
}

/** Trailer fields going to an HTTP/2 peer: lower-case names, connection-specific ones dropped. */
export function trailerFields(trailers: Head): HeaderField[] {
  const out: HeaderField[] = [];
  for (let i = 0; i < trailers.fieldCount; i++) {
    const name = trailers.name(i);
    if (!CONNECTION_SPECIFIC.has(name)) out.push([name, trailers.value(i)]);
  }
  return out;
}
