// What the capture slots hold (HAProxy 2.6 §7.3.6): capture.req.hdr(N) and
// capture.res.hdr(N), the Nth request or response slot of the frontend
// (`capture request|response header`, `declare capture`, `http-request
// capture`, in that order, from 0). A slot beyond those declared, or one
// nothing was stored in, gives no sample (HAProxy: no sample, "-" in a log
// line). Mostly for log-format's %[...], where the request and response are
// long gone in HAProxy; rules may read them too.
import { HTTP_STAGES, Stage, type FetchDef, type Txn } from "../types.ts";
import { define, intArg, simple } from "./define.ts";

/** The received request's target from its first slash (an absolute-form's scheme and authority left out), as HAProxy's capture.req.uri. */
function receivedUri(t: Txn): string | undefined {
  const target = t.receivedRequest?.target;
  if (target === undefined) return undefined;
  if (target.startsWith("/") || target === "*") return target;
  const scheme = target.indexOf("://");
  if (scheme < 0) return target;
  const slash = target.indexOf("/", scheme + 3);
  return slash < 0 ? "/" : target.slice(slash);
}

/** "HTTP/1.1", "HTTP/1.0", or "HTTP/2.0" for an HTTP/2 client's. */
function receivedVersion(t: Txn): string | undefined {
  const head = t.receivedRequest;
  if (head === undefined) return undefined;
  return t.requestVersion === undefined ? `HTTP/1.${head.versionMinor}` : `HTTP/${t.requestVersion}`;
}

function slotIndex(name: string, text: string): number | string {
  const n = intArg(text);
  return n === undefined || n < 0 ? `${name}: expects a capture slot index (0 or more), got '${text}'` : n;
}

export const CAPTURE_FETCHES: readonly FetchDef[] = [
  // The request line as received: rules that rewrite the request leave them (HAProxy keeps them for the log).
  simple("capture.req.method", "str", HTTP_STAGES, "str", (t) => t.receivedRequest?.method),
  simple("capture.req.uri", "str", HTTP_STAGES, "str", receivedUri),
  simple("capture.req.ver", "str", HTTP_STAGES, "str", receivedVersion),
  simple("capture.res.ver", "str", Stage.httpResponse | Stage.httpAfterResponse, "str", (t) =>
    t.response === undefined ? undefined : `HTTP/1.${t.response.versionMinor}`),
  define("capture.req.hdr", 1, 1, "str", HTTP_STAGES, "str", (args) => {
    const i = slotIndex("capture.req.hdr", args[0]!);
    if (typeof i === "string") return i;
    return { one: (t) => t.captures?.[i] };
  }),
  define("capture.res.hdr", 1, 1, "str", Stage.httpResponse | Stage.httpAfterResponse, "str", (args) => {
    const i = slotIndex("capture.res.hdr", args[0]!);
    if (typeof i === "string") return i;
    return { one: (t) => t.responseCaptures?.[i] };
  }),
];
