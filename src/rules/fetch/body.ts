// The body fetches (HAProxy 2.6 §7.3.6): req.body, req.body_len,
// req.body_size and req.body_param read what the request stage held for the
// rules (option http-buffer-request, wait-for-body: Txn.body); res.body,
// res.body_len and res.body_size what `http-response wait-for-body` held
// (Txn.responseBody). A body that was not waited for has none to show yet
// (HAProxy shows the bytes that came with the head; sluice hands those on).
import { HTTP_STAGES, Stage, type EachFn, type FetchDef, type SampleFn, type Txn } from "../types.ts";
import { define, simple } from "./define.ts";

/** req.body: the bytes held, as a binary sample; empty when none were held. */
const body: SampleFn = (t) => (t.request === undefined ? undefined : t.body?.text() ?? "");

/** req.body_len: how many bytes are held (less than the announced size when the body is larger than the buffer). */
const bodyLength: SampleFn = (t) => (t.request === undefined ? undefined : t.body?.length ?? 0);

/** req.body_size: the announced Content-Length, else (chunked, HTTP/2 without one) the bytes known so far. */
const bodySize: SampleFn = (t) => {
  const request = t.request;
  if (request === undefined) return undefined;
  const held = t.body;
  if (held !== undefined) return held.declared >= 0 ? held.declared : held.received;
  return request.contentLength >= 0 ? request.contentLength : 0;
};

/**
 * req.body_param([NAME]): the body read as an url-encoded form. Parameters
 * end at '&' or ';' (HAProxy's delimiters), the name is case-sensitive, the
 * value as sent (no decoding). Without a name every parameter counts. As a
 * sample, the first occurrence; in an ACL, each.
 */
function bodyParam(args: readonly string[]): { one: SampleFn; each: EachFn } {
  const name = args[0] === undefined || args[0] === "" ? undefined : args[0];
  const each = (t: Txn, visit: (v: string) => boolean): boolean => {
    const text = t.body?.text();
    if (text === undefined) return false;
    const n = text.length;
    let start = 0;
    while (start <= n) {
      let end = start;
      while (end < n) {
        const c = text.charCodeAt(end);
        if (c === 38 || c === 59) break;
        end++;
      }
      const eq = text.indexOf("=", start);
      if (eq >= 0 && eq < end) {
        const matches = name === undefined || (eq - start === name.length && text.startsWith(name, start));
        if (matches && visit(text.slice(eq + 1, end))) return true;
      }
      start = end + 1;
    }
    return false;
  };
  const one: SampleFn = (t) => {
    let found: string | undefined;
    each(t, (v) => {
      found = v;
      return true;
    });
    return found;
  };
  return { one, each };
}

const RESPONSE_STAGES = Stage.httpResponse | Stage.httpAfterResponse;

/** res.body, res.body_len, res.body_size: the same over the response body held by `http-response wait-for-body`. */
const responseBody: SampleFn = (t) => (t.response === undefined ? undefined : t.responseBody?.text() ?? "");
const responseBodyLength: SampleFn = (t) => (t.response === undefined ? undefined : t.responseBody?.length ?? 0);
const responseBodySize: SampleFn = (t) => {
  const response = t.response;
  if (response === undefined) return undefined;
  const held = t.responseBody;
  if (held !== undefined) return held.declared >= 0 ? held.declared : held.received;
  return response.contentLength >= 0 ? response.contentLength : 0;
};

export const BODY_FETCHES: readonly FetchDef[] = [
  simple("res.body", "bin", RESPONSE_STAGES, "str", responseBody),
  simple("res.body_len", "int", RESPONSE_STAGES, "int", responseBodyLength),
  simple("res.body_size", "int", RESPONSE_STAGES, "int", responseBodySize),
  simple("req.body", "bin", HTTP_STAGES, "str", body),
  simple("req.body_len", "int", HTTP_STAGES, "int", bodyLength),
  simple("req.body_size", "int", HTTP_STAGES, "int", bodySize),
  define("req.body_param", 0, 1, "str", HTTP_STAGES, "str", bodyParam),
];
