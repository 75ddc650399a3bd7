// Where a stream's end becomes counters (issue 16): the frontend's, its
// backend's and its server's, read from what the log line reads (status,
// termination state, bytes, retries), so the figures and the log agree. Called
// once per HTTP request (session/http-host.ts, before a silent log level
// drops the line) and once per TCP stream (tcp-stream.ts).
import { statusClass, type TrafficCounters } from "../conn/counters.ts";
import type { HttpStream } from "./http-stream.ts";
import type { Stream } from "./stream.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";

/** Errors and aborts a termination state means, counted on `c`. */
function countTermination(c: TrafficCounters, cause: CauseCode, phase: PhaseCode): void {
  const serverSide = cause === Cause.serverAbort || cause === Cause.serverTimeout;
  const clientSide = cause === Cause.clientAbort || cause === Cause.clientTimeout;
  const answering = phase === Phase.header || phase === Phase.data || phase === Phase.lastData;
  // HAProxy counts server aborts among response errors (eresp "srv_abrt will be counted here also").
  if (serverSide && answering) c.responseErrors++;
  if (serverSide && phase === Phase.data) c.serverAborts++;
  if (clientSide && (phase === Phase.data || phase === Phase.lastData)) c.clientAborts++;
}

/**
 * A stream's times as samples of its backend's and server's averages
 * (qtime, ctime, rtime, ttime), as HAProxy 2.6 takes them when a stream ends:
 * Tw, Tc, Tr (0 over TCP) and Tt, none when it never connected or got no
 * response. `streams` gives each its count so far (req_tot, or stot over TCP).
 */
function countTimes(stream: Stream, tr: number, total: number, http: boolean): void {
  const tw = Math.max(0, Math.round(stream.tw));
  const tc = Math.round(stream.tc);
  if (tc < 0 || tr < 0) return;
  const t = Math.max(0, Math.round(total));
  const server = stream.server?.counters;
  if (server !== undefined) server.times.add(http ? server.requests : server.sessions, tw, tc, tr, t);
  const backend = stream.backend.counters;
  backend.times.add(http ? backend.requests : backend.sessions, tw, tc, tr, t);
}

/** The retries and redispatches of a stream, counted on its backend and its (last) server. */
function countRetries(stream: Stream): void {
  if (stream.retries === 0 && stream.redispatches === 0) return;
  const b = stream.backend.counters;
  b.retries += stream.retries;
  b.redispatches += stream.redispatches;
  const s = stream.server?.counters;
  if (s === undefined) return;
  s.retries += stream.retries;
  s.redispatches += stream.redispatches;
}

/**
 * One HTTP request ended (or was refused before any stream: `stream`
 * undefined). `durationMs`: its first byte to now; `h2`: it came on an HTTP/2
 * connection.
 */
export function countHttpRequest(
  frontend: TrafficCounters,
  stream: HttpStream | undefined,
  status: number,
  cause: CauseCode,
  phase: PhaseCode,
  now: number,
  durationMs: number,
  bytesIn: number,
  h2: boolean,
  totalMs = durationMs,
): void {
  const klass = statusClass(status);
  // What `option contstats` gave the counters during the transfer is not counted again.
  const bytesOut = (stream?.bytesToClient ?? 0) - (stream?.creditedOut ?? 0);
  bytesIn -= stream?.creditedIn ?? 0;
  frontend.requests++;
  frontend.requestRate.add(now);
  if (status > 0) frontend.responses[klass]!++;
  frontend.bytesIn += bytesIn;
  frontend.sent(bytesOut, now);
  if (h2) frontend.h2Streams++;
  else frontend.h1Streams++;
  if (stream === undefined) {
    // The codec refused the request (or the client left mid-request): no stream was made.
    frontend.requestErrors++;
    return;
  }
  frontend.lifetime.requests++;
  // A reply the rules chose (deny, tarpit): refused by the proxy; `L`: answered by it (return, redirect, auth).
  const txn = stream.ruled?.txn;
  const ruled = txn?.reply !== undefined;
  const server = stream.server;
  // Answered before any server by the rules: the frontend's, or the backend's once it was switched to (as
  // HAProxy, the transaction is then the backend's, and so are its counts).
  const answered = server === undefined && (cause === Cause.proxy || cause === Cause.local) && phase !== Phase.header;
  const byBackend = answered && txn !== undefined && txn.backend !== txn.frontend;
  const deniedRequest = cause === Cause.proxy && (phase === Phase.request || phase === Phase.tarpit);
  if (deniedRequest) frontend.deniedRequests++;
  // HAProxy 2.6 counts `intercepted` for the frontend's own answers only (measured: a backend's return, 0).
  else if (cause === Cause.local && !byBackend) frontend.intercepted++;
  // `option checkcache` refusing a server's response counts as a rule's deny does (HAProxy's denied_resp, failed_secu).
  const deniedResponse = cause === Cause.proxy && phase === Phase.header && (ruled || stream.refusedCacheable);
  if (deniedResponse) frontend.deniedResponses++;
  // A server's response the codec refused (PH without a rule's reply): a response error of the backend and the server, as HAProxy's eresp.
  const badResponse = cause === Cause.proxy && phase === Phase.header && !deniedResponse && server !== undefined;
  countTermination(frontend, cause, phase);
  countRetries(stream);
  // A request the frontend's rules answered never reached its backend.
  if (answered && !byBackend) return;
  if (byBackend) {
    stream.backend.countArrival(stream);
    if (deniedRequest) stream.backend.counters.deniedRequests++;
  }
  const backend = stream.backend.counters;
  backend.requests++;
  backend.requestRate.add(now);
  if (status > 0) backend.responses[klass]!++;
  backend.bytesIn += bytesIn;
  backend.bytesOut += bytesOut;
  backend.durations.observe(durationMs);
  if (deniedResponse) backend.deniedResponses++;
  if (badResponse) backend.responseErrors++;
  countTermination(backend, cause, phase);
  if (server === undefined) {
    // Answered without a server (a rule, a cache hit): a stream of the backend that adds no sample, as HAProxy's
    // (its connect time is -1); a cache hit is HAProxy's applet, "connected" at once (0/0/0).
    if (stream.ruled?.txn.reply?.cached === true) backend.times.add(backend.requests, 0, 0, 0, Math.max(0, Math.round(totalMs)));
    return;
  }
  const s = server.counters;
  s.requests++;
  s.requestRate.add(now);
  if (status > 0) s.responses[klass]!++;
  s.bytesIn += bytesIn;
  s.bytesOut += bytesOut;
  if (deniedResponse) s.deniedResponses++;
  if (badResponse) s.responseErrors++;
  countTermination(s, cause, phase);
  countTimes(stream, responseTime(stream), totalMs, true);
}

/** The log's Tr: the server's answer after the stream connected, -1 when none came. */
function responseTime(stream: HttpStream): number {
  if (stream.tr < 0) return -1;
  return Math.max(0, Math.round(stream.tr - Math.max(0, stream.tw) - Math.max(0, stream.tc)));
}

/** One TCP stream ended: `bytesIn` from the client, `bytesOut` to it. */
export function countTcpStream(frontend: TrafficCounters, stream: Stream, bytesIn: number, bytesOut: number, now: number, totalMs = -1): void {
  bytesIn -= stream.creditedIn;
  bytesOut -= stream.creditedOut;
  frontend.bytesIn += bytesIn;
  frontend.sent(bytesOut, now);
  // A backend's `tcp-request content reject`: HAProxy counts it as a denied request of the frontend.
  if (stream.cause === Cause.proxy && stream.phase === Phase.request) frontend.deniedRequests++;
  countTermination(frontend, stream.cause, stream.phase);
  countRetries(stream);
  const backend = stream.backend.counters;
  backend.bytesIn += bytesIn;
  backend.bytesOut += bytesOut;
  countTermination(backend, stream.cause, stream.phase);
  const server = stream.server?.counters;
  if (server !== undefined) {
    server.bytesIn += bytesIn;
    server.bytesOut += bytesOut;
    countTermination(server, stream.cause, stream.phase);
  }
  // Over TCP there is no response time: HAProxy takes the connect time as its end (rtime 0).
  countTimes(stream, stream.tc < 0 ? -1 : 0, totalMs, false);
}

