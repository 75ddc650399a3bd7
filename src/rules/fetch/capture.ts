// What the capture slots hold (HAProxy 2.6 §7.3.6): capture.req.hdr(N) and
// capture.res.hdr(N), the Nth request or response slot of the frontend
// (`capture request|response header`, `declare capture`, `http-request
// capture`, in that order, from 0). A slot beyond those declared, or one
// nothing was stored in, gives no sample (HAProxy: no sample, "-" in a log
// line). Mostly for log-format's %[...], where the request and response are
// long gone in HAProxy; rules may read them too.
import { HTTP_STAGES, Stage, type FetchDef } from "../types.ts";
import { define, intArg } from "./define.ts";

function slotIndex(name: string, text: string): number | string {
  const n = intArg(text);
  return n === undefined || n < 0 ? `${name}: expects a capture slot index (0 or more), got '${text}'` : n;
}

export const CAPTURE_FETCHES: readonly FetchDef[] = [
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
