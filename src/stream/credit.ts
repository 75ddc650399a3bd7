// `option contstats` (issue 19): a stream's bytes go to the counters as they
// move, and counting.ts adds only the rest at its end.
import type { TrafficCounters } from "../conn/counters.ts";
import type { Stream } from "./stream.ts";

/**
 * `option contstats` (HAProxy: counters move along a transfer rather than at
 * its end): the bytes a stream moved so far, from and to the client, go to
 * the frontend's, its backend's and its server's counters now; its end adds
 * only the rest. Nothing before the stream has its server (the end counts it).
 */
export function creditTransfer(frontend: TrafficCounters, stream: Stream, bytesIn: number, bytesOut: number, now: number): void {
  const server = stream.server;
  if (server === undefined) return;
  const dIn = bytesIn - stream.creditedIn;
  const dOut = bytesOut - stream.creditedOut;
  stream.creditedIn = bytesIn;
  stream.creditedOut = bytesOut;
  const backend = stream.backend.counters;
  const s = server.counters;
  frontend.bytesIn += dIn;
  frontend.sent(dOut, now);
  backend.bytesIn += dIn;
  backend.bytesOut += dOut;
  s.bytesIn += dIn;
  s.bytesOut += dOut;
}
