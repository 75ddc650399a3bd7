// A complete raw HTTP/1.x response, as `errorfile` files and sluice's own
// error pages (./error-pages.ts) hold them, taken apart into status, fields
// and body, so that rules can send one through any codec (HTTP/2 too) and
// later rules can edit it. Framing and connection fields are dropped: the
// writer frames the body it is given and decides persistence itself.

export interface RawResponse {
  status: number;
  reason: string;
  /** Fields in order, without Content-Length, Transfer-Encoding, Connection, Keep-Alive. */
  fields: [string, string][];
  body: Uint8Array;
  /** A Connection field lists `close` (HAProxy's 400 and 408 pages): the connection closes after it. */
  close?: boolean;
  /** An empty file (`errorfile 403 /dev/null`): no answer at all, the connection closes (status 0: the caller's). */
  silent?: boolean;
}

const DROPPED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?$/;

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/**
 * The head lines of a raw response (each without its CRLF or bare LF, read as
 * latin1) and where its body starts (-1: no empty line ends the head).
 */
export function rawHeadLines(bytes: Uint8Array): { lines: string[]; bodyAt: number } {
  const lines: string[] = [];
  let start = 0;
  let bodyAt = -1;
  while (start < bytes.length) {
    const lf = bytes.indexOf(10, start);
    if (lf < 0) break;
    const end = lf > start && bytes[lf - 1] === 13 ? lf - 1 : lf;
    if (end === start) {
      bodyAt = lf + 1;
      break;
    }
    lines.push(latin1(bytes, start, end));
    start = lf + 1;
  }
  return { lines, bodyAt };
}

/**
 * A page of sluice's own as the answer to `method`: a HEAD gets its head
 * alone (its Content-Length still the GET's, as HAProxy sends it); the body
 * would be read as the start of the next response.
 */
export function pageFor(method: string, page: Uint8Array): Uint8Array {
  if (method !== "HEAD") return page;
  const { bodyAt } = rawHeadLines(page);
  return bodyAt < 0 ? page : page.subarray(0, bodyAt);
}

/** The response in `bytes` (lines may end in CRLF or LF), or what is wrong with it. */
export function parseRawResponse(bytes: Uint8Array): RawResponse | string {
  if (bytes.length === 0) return { status: 0, reason: "", fields: [], body: bytes, close: true, silent: true };
  const { lines, bodyAt } = rawHeadLines(bytes);
  const m = STATUS_LINE.exec(lines[0] ?? "");
  if (m === null) return "not an HTTP response (it must start with a status line such as \"HTTP/1.1 403 Forbidden\")";
  if (bodyAt < 0) return "not an HTTP response (its headers must end with an empty line)";
  const fields: [string, string][] = [];
  let length = -1;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return `malformed header line '${line}'`;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === "content-length" && /^\d+$/.test(value)) length = Number(value);
    if (lower === "connection" && value.split(",").some((t) => t.trim().toLowerCase() === "close")) close = true;
    if (!DROPPED.has(lower)) fields.push([name, value]);
  }
  const rest = bytes.subarray(bodyAt);
  // A Content-Length shorter than what follows the head bounds the body, as a parser would read it.
  const body = length >= 0 && length < rest.length ? rest.slice(0, length) : rest.slice();
  const page: RawResponse = { status: Number(m[1]), reason: m[2] ?? "", fields, body };
  if (close) page.close = true;
  return page;
}

/**
 * The bytes of `r` as a complete HTTP/1.1 response (parseRawResponse's
 * inverse): its status line, fields, Content-Length, `connection: close`
 * when it closes, the body.
 */
export function rawResponseBytes(r: RawResponse): Uint8Array {
  let head = `HTTP/1.1 ${r.status} ${r.reason}\r\n`;
  for (const [name, value] of r.fields) head += `${name}: ${value}\r\n`;
  head += `content-length: ${r.body.length}\r\n${r.close === true ? "connection: close\r\n" : ""}\r\n`;
  const out = new Uint8Array(head.length + r.body.length);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i) & 0xff;
  out.set(r.body, head.length);
  return out;
}
