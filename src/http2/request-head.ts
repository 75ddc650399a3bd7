// An HTTP/2 client's request header list (RFC 9113 §8.3) → the Head of the
// message model, checked as §8.1.1, §8.2 and §8.3 require: pseudo-headers
// first, each once, the four of a request (two for CONNECT), lower-case valid
// field names, no connection-specific field, te only "trailers", a
// content-length that agrees with END_STREAM, :authority and Host naming the
// same thing (§8.3.1). Anything else is malformed: a stream error of type
// PROTOCOL_ERROR for the caller. A Host field is made from :authority when
// the request has none, so that an HTTP/1.1 server gets one (§8.3.1).
import { TARGET, TCHAR } from "../http1/chars.ts";
import { FieldsHead } from "../http/fields-head.ts";
import { BodyKind, type Head } from "../http/message.ts";
import { type HeaderField, STATIC_TABLE } from "./hpack/index.ts";
import { checkField, contentLengthOf, MalformedFields } from "./translate.ts";
import { newWebSocketKey } from "../http/websocket-key.ts";

/** More fields than tune.http.maxhdr: answered 431, not a protocol error. */
export class TooManyFields extends Error {
  constructor(readonly count: number, readonly limit: number) {
    super(`${count} header fields (tune.http.maxhdr is ${limit})`);
    this.name = "TooManyFields";
  }
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || TCHAR[c] !== 1) return false;
  }
  return true;
}

/** Case-insensitive ASCII equality (authorities are compared so, RFC 3986 §3.2.2). */
function sameAuthority(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/**
 * The static-table entries that pass checkField as regular request fields
 * (HpackDecoder's knownStatic): not the pseudo-headers, not transfer-encoding.
 */
export const KNOWN_STATIC: Uint8Array = (() => {
  const known = new Uint8Array(STATIC_TABLE.length + 1);
  for (let i = 0; i < STATIC_TABLE.length; i++) {
    const [name, value] = STATIC_TABLE[i]!;
    if (name.charCodeAt(0) === 0x3a) continue;
    try {
      checkField(name, value);
      known[i + 1] = 1;
    } catch (e) {
      if (!(e instanceof MalformedFields)) throw e;
    }
  }
  return known;
})();

/**
 * The request Head of a header list. `endStream`: the HEADERS frame ended
 * the stream (no body). `known`: per field (HpackDecoder.known), 1 for
 * those that passed checkField before and need not be checked again.
 * Throws MalformedFields or TooManyFields. The list is
 * changed in place (cookies joined, Host added) and kept by the head.
 */
export function requestHead(fields: HeaderField[], endStream: boolean, maxFields: number, known?: Uint8Array): Head {
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let protocol: string | undefined;
  let i = 0;
  for (; i < fields.length; i++) {
    const field = fields[i]!;
    const name = field[0];
    if (name.charCodeAt(0) !== 0x3a) break;
    const value = field[1];
    switch (name) {
      case ":method":
        if (method !== undefined) throw new MalformedFields("two :method fields");
        method = value;
        break;
      case ":scheme":
        if (scheme !== undefined) throw new MalformedFields("two :scheme fields");
        scheme = value;
        break;
      case ":authority":
        if (authority !== undefined) throw new MalformedFields("two :authority fields");
        authority = value;
        break;
      case ":path":
        if (path !== undefined) throw new MalformedFields("two :path fields");
        path = value;
        break;
      case ":protocol":
        // RFC 8441 extended CONNECT (we send SETTINGS_ENABLE_CONNECT_PROTOCOL).
        if (protocol !== undefined) throw new MalformedFields("two :protocol fields");
        protocol = value;
        break;
      default:
        throw new MalformedFields(`pseudo-header '${name}' in a request`);
    }
  }
  let from = i;
  if (fields.length - from > maxFields) throw new TooManyFields(fields.length - from, maxFields);
  let host: string | undefined;
  let hostAt = -1;
  let cookies = 0;
  let lengths = 0;
  for (let k = from; k < fields.length; k++) {
    const field = fields[k]!;
    const name = field[0];
    const value = field[1];
    if (name.charCodeAt(0) === 0x3a) throw new MalformedFields(`pseudo-header '${name}' after a regular field`);
    if (known === undefined || known[k] !== 1) checkField(name, value);
    switch (name) {
      case "te":
        if (value !== "trailers") throw new MalformedFields(`te '${value}' (only "trailers" is allowed)`);
        break;
      case "host":
        if (host !== undefined) throw new MalformedFields("two host fields");
        host = value;
        hostAt = k;
        break;
      case "cookie":
        cookies++;
        break;
      case "content-length":
        lengths++;
        break;
    }
  }
  if (method === undefined) throw new MalformedFields("no :method");
  if (!isToken(method)) throw new MalformedFields(`:method '${method}' is not a token`);
  let target: string;
  if (protocol !== undefined) {
    // RFC 8441 §4: :protocol only with CONNECT, which then carries :scheme, :path and :authority as other requests.
    if (method !== "CONNECT") throw new MalformedFields(`:protocol with :method ${method}`);
    if (!isToken(protocol)) throw new MalformedFields(`:protocol '${protocol}' is not a token`);
    if (scheme === undefined || path === undefined || path.length === 0 || path.charCodeAt(0) !== 0x2f || authority === undefined) {
      throw new MalformedFields("an extended CONNECT without :scheme, :path or :authority");
    }
    target = path;
  } else if (method === "CONNECT") {
    // §8.5: :method and :authority only.
    if (scheme !== undefined || path !== undefined) throw new MalformedFields("CONNECT with :scheme or :path");
    if (authority === undefined || authority.length === 0) throw new MalformedFields("CONNECT without :authority");
    target = authority;
  } else {
    if (scheme === undefined) throw new MalformedFields("no :scheme");
    if (path === undefined) throw new MalformedFields("no :path");
    if (path.length === 0) throw new MalformedFields("an empty :path");
    if (path === "*" ? method !== "OPTIONS" : path.charCodeAt(0) !== 0x2f) throw new MalformedFields(`:path '${path}'`);
    target = path;
  }
  // The same octets as an HTTP/1.1 request-target (RFC 9112 §3.2): visible ASCII, and no "#" (a fragment
  // never travels; a server could read the path differently from the proxy's rules).
  for (let k = 0; k < target.length; k++) {
    const c = target.charCodeAt(k);
    if (c > 0xff || TARGET[c] !== 1) {
      throw new MalformedFields(c === 0x23 ? "a request target with a fragment (#)" : "a request target with a control, space or non-ASCII byte");
    }
  }
  if (authority !== undefined) {
    if (authority.includes("@")) throw new MalformedFields(":authority with userinfo");
    if (host !== undefined && !sameAuthority(host, authority)) throw new MalformedFields("host and :authority differ");
  }
  const length = lengths === 0 ? -1 : contentLengthOf(fields, from);
  if (endStream && length > 0) throw new MalformedFields(`content-length ${length} on a request without a body`);
  if (protocol !== undefined) return upgradeHead(fields, from, hostAt, protocol, target, authority!, scheme!);
  if (cookies > 1) joinCookies(fields, from);
  const effectiveHost = authority ?? host;
  if (hostAt < 0 && authority !== undefined) {
    // Host goes first among the fields: in the slot of the last pseudo-header (read above, and no field of the
    // head), so that nothing moves. There is one, :authority at least.
    fields[--from] = ["host", authority];
  }
  const bodyKind = length >= 0 ? BodyKind.Length : endStream ? BodyKind.None : BodyKind.Chunked;
  // With an :authority, HAProxy's URI for this request is absolute (scheme://authority/path: its logs, `url`).
  const absoluteScheme = authority !== undefined && method !== "CONNECT" ? scheme : undefined;
  return new FieldsHead(fields, { isRequest: true, method, target, bodyKind, contentLength: length, host: effectiveHost, absoluteScheme }, from);
}

/** §8.2.3: several cookie fields become one, joined by "; ", where the first was (for HTTP/1.1 servers). */
function joinCookies(fields: HeaderField[], from: number): void {
  let first = -1;
  const values: string[] = [];
  for (let k = from; k < fields.length; k++) {
    if (fields[k]![0] !== "cookie") continue;
    values.push(fields[k]![1]);
    if (first < 0) first = k;
    else fields.splice(k--, 1);
  }
  fields[first] = ["cookie", values.join("; ")];
}

/**
 * An extended CONNECT (RFC 8441) as the HTTP/1.1 request it stands for: a
 * GET with `Upgrade: <protocol>` (the writer adds `Connection: upgrade`), no
 * body (what follows on the stream is the tunnel's), and for WebSocket a
 * Sec-WebSocket-Key of the proxy's making, HTTP/2 carrying none.
 */
function upgradeHead(fields: HeaderField[], from: number, hostAt: number, protocol: string, target: string, authority: string, scheme: string): Head {
  let start = from;
  if (hostAt < 0) fields[--start] = ["host", authority];
  fields.push(["upgrade", protocol]);
  if (protocol.toLowerCase() === "websocket" && !fields.some((f, k) => k >= start && f[0] === "sec-websocket-key")) {
    fields.push(["sec-websocket-key", newWebSocketKey()]);
  }
  return new FieldsHead(
    fields,
    { isRequest: true, method: "GET", target, bodyKind: BodyKind.None, contentLength: -1, host: authority, absoluteScheme: scheme, upgrade: protocol, connectionTokens: ["upgrade"] },
    start,
  );
}
