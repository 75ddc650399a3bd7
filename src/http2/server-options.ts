// What an H2ServerConnection is given (types apart from code): its limits from
// the configuration, the runtime's clock and timers, and the constants of its
// graceful stop.
import type { Timers } from "../runtime/types.ts";
import type { GlitchLimits } from "./glitches.ts";

export interface H2ServerOptions extends GlitchLimits {
  /** `tune.h2.fe.max-concurrent-streams`: SETTINGS_MAX_CONCURRENT_STREAMS we announce and enforce. */
  maxConcurrentStreams: number;
  /** `tune.h2.header-table-size`: the HPACK table the client may use for its requests. */
  headerTableSize: number;
  /** `tune.h2.initial-window-size`: each request stream's receive window. */
  initialWindowSize: number;
  /** The decoded header list's largest size (§6.5.2), also the largest field block received (tune.bufsize). */
  maxHeaderListSize: number;
  /** tune.http.maxhdr. */
  maxFields: number;
}

/** The clock and the end of the turn, from the runtime. */
export type H2ServerTimers = Pick<Timers, "now" | "defer" | "setTimer" | "clearTimer">;

/**
 * A graceful stop in two steps: a first GOAWAY naming the highest stream id
 * (2^31-1: it refuses nothing) with a PING, then the final GOAWAY with the
 * last stream taken once the PING's answer shows the client saw the first.
 */
export const MAX_STREAM_ID = 0x7fffffff;
/** The payload of the shutdown's PING, told apart from a client's own. */
export const SHUTDOWN_PING = new TextEncoder().encode("sluiceGA");
/** How long a shutdown waits for the PING's answer before its final GOAWAY. */
export const SHUTDOWN_PING_WAIT_MS = 1000;

/** A PING ACK's payload is the shutdown's. */
export function isShutdownPing(data: Uint8Array): boolean {
  if (data.length !== SHUTDOWN_PING.length) return false;
  for (let i = 0; i < data.length; i++) if (data[i] !== SHUTDOWN_PING[i]) return false;
  return true;
}
