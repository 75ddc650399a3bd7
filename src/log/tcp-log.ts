// The end-of-connection log line of TCP mode. A TCP stream's line is made from
// the same record as an HTTP request's (http-log.ts): the variables a TCP
// session has are filled, the HTTP ones keep their reset values (and a
// log-format of a mode tcp proxy cannot name them: HAProxy's "reserved for
// HTTP mode", refused at load). A `log-format` is compiled by format.ts for
// both modes; without one, `option tcplog`'s layout is written by hand here.
import { createHttpLogRecord, frontendTransportOf, type HttpLogRecord, ms, resetHttpLogRecord } from "./http-log.ts";
import { formatLogDate } from "./text.ts";

/** HAProxy's TCP log format (`option tcplog`). */
export const TCPLOG_FORMAT =
  "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

/**
 * A record as a TCP stream starts it: what createHttpLogRecord gives, with
 * the values HAProxy prints for a TCP stream where they differ (%ST 0, %Th 0).
 */
export function createTcpLogRecord(): HttpLogRecord {
  const r = createHttpLogRecord();
  resetTcpLogRecord(r);
  return r;
}

/** Back to createTcpLogRecord()'s state. */
export function resetTcpLogRecord(r: HttpLogRecord): void {
  resetHttpLogRecord(r);
  r.status = 0;
  r.Th = 0;
  r.termination = "----";
}

/** HAProxy's accept date: 25/Nov/2026:08:20:00.123 (UTC). Takes a Date or epoch ms. */
export function formatAcceptDate(d: Date | number): string {
  return formatLogDate(typeof d === "number" ? d : d.getTime());
}

const text = (s: string): string => (s === "" ? "-" : s);

/**
 * The `option tcplog` line, exactly HAProxy's
 *   %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
 *   127.0.0.1:40414 [06/Dec/2026:21:25:58.473] tcp-in be/s1 0/0/5007 212 -- 1/1/0/0/0 0/0
 * Hand-written for speed; `compileLogFormat(TCPLOG_FORMAT)` gives the same line.
 * `option logasap`: %Tt and %B are those of the connect, marked '+'.
 */
export function formatTcpLog(r: HttpLogRecord): string {
  const asap = r.asap ? "+" : "";
  return text(r.clientAddress) + ":" + (r.clientPort < 0 ? "-" : r.clientPort) +
    " [" + formatLogDate(r.acceptTime) + "] " +
    text(frontendTransportOf(r)) + " " + text(r.backend) + "/" + text(r.server) + " " +
    ms(r.Tw) + "/" + ms(r.Tc) + "/" + asap + ms(r.Tt) + " " + asap + r.bytesOut + " " +
    r.termination.slice(0, 2) + " " +
    r.actconn + "/" + r.feconn + "/" + r.beconn + "/" + r.srvConn + "/" + r.retries + " " +
    r.srvQueue + "/" + r.backendQueue;
}
