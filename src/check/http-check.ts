// `option httpchk`: the request a check sends and how its answer is judged.
// Without `http-check expect`, a 2xx or 3xx passes (HAProxy's rule); with
// them, every rule must hold: `status` (codes and ranges), `rstatus` (a
// regex on the code), `string` / `rstring` (the body), each negated by `!`.
import { statusMatcher } from "../config/schema-check.ts";
import type { HttpCheckExpect, HttpCheckRequest } from "../config/types.ts";
import type { Judge, Verdict } from "./probe.ts";

const ascii = new TextEncoder();
const text = new TextDecoder("latin1");

/**
 * The request's bytes, laid out as HAProxy 2.6 sends them (measured): the
 * configured fields with their names in lower case, then `state` (the
 * X-Haproxy-Server-State value of `http-check send-state`), the body's
 * content-length (`0` for a POST or PUT without one), and last the connection
 * field: `close` on HTTP/1.1 unless keep-alive was asked, `keep-alive` on
 * HTTP/1.0 only when asked; a Connection field with other tokens stays where
 * it was written, those tokens alone. So the answer ends with the connection.
 */
export function httpCheckRequest(r: HttpCheckRequest, state?: string): Uint8Array {
  let head = `${r.method} ${r.uri} ${r.version}\r\n`;
  let keepAlive = false;
  let others = false;
  for (const [name, value] of r.headers) {
    const lower = name.toLowerCase();
    if (lower === "connection") {
      // Its other tokens stay where it was written (HAProxy's: `connection: upgrade` before `upgrade: x`).
      const kept: string[] = [];
      for (const raw of value.split(",")) {
        const token = raw.trim();
        const t = token.toLowerCase();
        if (t === "keep-alive") keepAlive = true;
        else if (t !== "" && t !== "close") kept.push(token);
      }
      if (kept.length > 0) {
        others = true;
        head += `connection: ${kept.join(", ")}\r\n`;
      }
    } else if (lower !== "content-length") head += `${lower}: ${value}\r\n`;
  }
  if (state !== undefined) head += `x-haproxy-server-state: ${state}\r\n`;
  const body = r.body === undefined ? undefined : ascii.encode(r.body);
  if (body !== undefined && body.length > 0) head += `content-length: ${body.length}\r\n`;
  else if (r.method === "POST" || r.method === "PUT") head += "content-length: 0\r\n";
  if (!others) {
    if (r.version === "HTTP/1.0") {
      if (keepAlive) head += "connection: keep-alive\r\n";
    } else if (!keepAlive) head += "connection: close\r\n";
  }
  const bytes = ascii.encode(`${head}\r\n`);
  if (body === undefined || body.length === 0) return bytes;
  const all = new Uint8Array(bytes.length + body.length);
  all.set(bytes);
  all.set(body, bytes.length);
  return all;
}

interface Answer {
  code: number;
  phrase: string;
  /** The body so far (de-chunked), or undefined when it is not complete yet. */
  body: string | undefined;
}

/** Reads the answer from what was received: undefined while its head (or a needed body) is incomplete. */
function parse(bytes: Uint8Array, closed: boolean, needBody: boolean, bodiless: boolean): Answer | "invalid" | undefined {
  const all = text.decode(bytes);
  const headEnd = all.indexOf("\r\n\r\n");
  const end = headEnd >= 0 ? headEnd + 4 : all.indexOf("\n\n") >= 0 ? all.indexOf("\n\n") + 2 : -1;
  if (end < 0) return closed ? "invalid" : undefined;
  const lines = all.slice(0, end).split(/\r?\n/);
  const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (m === null) return "invalid";
  const code = Number(m[1]);
  const answer: Answer = { code, phrase: m[2] ?? "", body: undefined };
  if (!needBody) return answer;
  if (bodiless || code === 204 || code === 304 || code < 200) {
    answer.body = "";
    return answer;
  }
  const fields = lines.slice(1).map((l) => l.toLowerCase());
  const rest = all.slice(end);
  const length = fields.find((l) => l.startsWith("content-length:"));
  if (fields.some((l) => l.startsWith("transfer-encoding:") && l.includes("chunked"))) {
    const body = dechunk(rest);
    if (body !== undefined) answer.body = body;
    else if (closed) answer.body = rest;
  } else if (length !== undefined) {
    const n = Number(length.slice(15).trim());
    if (rest.length >= n) answer.body = rest.slice(0, n);
    else if (closed) answer.body = rest;
  } else if (closed) answer.body = rest;
  return answer;
}

/** A complete chunked body's data, or undefined while its last chunk has not come. */
function dechunk(raw: string): string | undefined {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const size = parseInt(raw.slice(at, eol), 16);
    if (Number.isNaN(size)) return out;
    if (size === 0) return out;
    if (raw.length < eol + 2 + size + 2) return undefined;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

function holds(e: HttpCheckExpect, a: Answer): boolean {
  let ok: boolean;
  if (e.match === "status") ok = (statusMatcher(e.pattern) as (s: number) => boolean)(a.code);
  else if (e.match === "rstatus") ok = new RegExp(e.pattern).test(String(a.code));
  else if (e.match === "string") ok = a.body!.includes(e.pattern);
  else ok = new RegExp(e.pattern).test(a.body!);
  return ok !== e.negate;
}

/** `disableOn404`: a 404 is "conditionally passed" (L7OKC), before any expect rule (HAProxy gives it precedence). */
export function httpCheckJudge(request: HttpCheckRequest, expects: readonly HttpCheckExpect[], disableOn404 = false): Judge {
  const needBody = expects.some((e) => e.match === "string" || e.match === "rstring");
  const bodiless = request.method === "HEAD";
  return (received, closed): Verdict | undefined => {
    if (received.length === 0 && closed) return { status: "L7RSP", info: "Empty response" };
    const a = parse(received, closed, needBody, bodiless);
    if (a === undefined) return undefined;
    if (a === "invalid") return { status: "L7RSP", info: "Invalid HTTP response" };
    if (disableOn404 && a.code === 404) return { status: "L7OKC", info: "", code: 404 };
    if (needBody && a.body === undefined) return undefined;
    // HAProxy logs the reason phrase of a failed check only.
    if (expects.length === 0) {
      const ok = a.code >= 200 && a.code < 400;
      return ok ? { status: "L7OK", info: "", code: a.code } : { status: "L7STS", info: a.phrase, code: a.code };
    }
    for (const e of expects) {
      if (holds(e, a)) continue;
      const comment = e.comment === undefined ? "" : ` comment: ${e.comment}`;
      if (e.match === "status" || e.match === "rstatus") return { status: "L7STS", info: `${a.phrase}${comment}`, code: a.code };
      // No code: HAProxy gives one to data verdicts (L7OK, L7OKC, L7STS) only, so neither its log nor its stats show one here.
      return { status: "L7RSP", info: `HTTP content check did not match${comment}` };
    }
    return { status: "L7OK", info: "", code: a.code };
  };
}
