// `sluice probe URL`: one GET, its status judged as a container's health
// check judges it (2xx and 3xx healthy), for images without curl. The
// runtime's fetch does the HTTP; the timeout is the runtime's timer.
import { reasonPhrase } from "./http/reasons.ts";
import type { Timers } from "./runtime/types.ts";

export interface ProbeResult {
  healthy: boolean;
  /** One line: the status, or why there is none. */
  line: string;
}

/** GETs `url` (no redirect followed) within `timeoutMs`. Never throws. */
export async function probe(url: string, timeoutMs: number, timers: Timers, fetcher: typeof fetch = fetch): Promise<ProbeResult> {
  const abort = new AbortController();
  let timedOut = false;
  const timer = timers.setTimer(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  try {
    const response = await fetcher(url, { method: "GET", redirect: "manual", signal: abort.signal, headers: { "user-agent": "sluice-probe" } });
    // The body is not wanted; reading it to the end lets the connection close cleanly.
    await response.arrayBuffer();
    const status = response.status;
    const line = `${url}: ${status} ${response.statusText || reasonPhrase(status, "")}`.trimEnd();
    return { healthy: status >= 200 && status < 400, line };
  } catch (error) {
    if (timedOut) return { healthy: false, line: `${url}: no answer within ${timeoutMs} ms` };
    const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
    const why = e.cause?.message ?? e.message;
    const code = e.code ?? e.cause?.code;
    return { healthy: false, line: `${url}: ${code !== undefined && !why.includes(code) ? `${code}: ` : ""}${why.split("\n")[0]}` };
  } finally {
    timers.clearTimer(timer);
  }
}
