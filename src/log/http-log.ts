// The per-request log record of HTTP mode and HAProxy's `option httplog` line.
// A TCP stream's line is made from the same record (tcp-log.ts), so that one
// compiled log-format (format.ts) serves both modes.
//
// The HTTP engine owns one record per stream, fills it as the request goes
// (resetHttpLogRecord between requests of a keep-alive connection) and hands it
// to the logger once, when the response is done or the stream dies. Nothing in
// src/log keeps a reference to a record after formatting: every formatter reads
// the fields and returns a string.
//
// Timers follow HAProxy (configuration manual, 8.4 "Timing events"): integers in
// milliseconds, -1 when the step was never reached.
//   Th  accept → end of handshakes (TLS / PROXY protocol; 0 without them)
//   Ti  idle before the first byte of this request (after the previous response
//       on a keep-alive connection), -1 when nothing was received
//   TR  first byte of the request → end of its headers (blank line), -1 if never seen
//   Tw  time in queues (backend + server), -1 if the request never got there
//   Tc  time to establish the server connection (incl. retries), -1 if never
//   Tr  server connection established → full response headers, -1 if never
//   Ta  first byte of the request → last byte of the response (Tt - Th - Ti)
//   Tt  accept → end of the stream (Th + Ti + Ta for HTTP)
import { encodeRequestText, formatLogDate } from "./text.ts";

export interface HttpLogRecord {
  // ---- who and where ----
  /** %ci: client address as the socket reports it ("127.0.0.1", "::1", "::ffff:10.0.0.1"). */
  clientAddress: string;
  /** %cp */
  clientPort: number;
  /** %f: frontend name (%ft adds "~" on TLS connections: frontendTransportOf). */
  frontend: string;
  /** %fi: local address the connection was accepted on (the bind address, resolved). */
  frontendAddress: string;
  /** %fp */
  frontendPort: number;
  /** %b: backend name (the frontend's name when no backend was selected). */
  backend: string;
  /** %s: server name, "<NOSRV>" when no server was reached. */
  server: string;
  /** %si / %sp: the server connection's peer; "" / -1 when there is none. */
  serverAddress: string;
  serverPort: number;
  /** %bi / %bp: the server connection's local (source) address; "" / -1 when there is none. */
  backendSourceAddress: string;
  backendSourcePort: number;

  // ---- when ----
  /** Epoch ms the client connection was accepted (%t, %T, %Tl, %Ts, %ms). */
  acceptTime: number;
  /** Epoch ms the first byte of this request arrived (%tr, %trg, %trl). 0 → acceptTime. */
  requestTime: number;
  Th: number;
  Ti: number;
  TR: number;
  Tw: number;
  Tc: number;
  Tr: number;
  Ta: number;
  Tt: number;

  // ---- captures (issue 15): undefined when the frontend declares none ----
  /** %hr: `capture request header` and `http-request capture` slots, in order. */
  requestCaptures: readonly string[] | undefined;
  /** %hs: `capture response header` slots, in order. */
  responseCaptures: readonly string[] | undefined;
  /** %CC / %CS: the request's and the response's cookie `capture cookie` names; undefined: none taken. */
  clientCookie: string | undefined;
  serverCookie: string | undefined;

  // ---- outcome ----
  /** %ST: status sent to the client, -1 when none was. */
  status: number;
  /** %B: bytes sent to the client, headers included. */
  bytesOut: number;
  /** %U: bytes received from the client, headers included. */
  bytesIn: number;
  /**
   * `option logasap`: the line may be written before the end (at the
   * response head): %B, %Ta and %Tt are what they were then, marked '+'.
   */
  asap: boolean;
  /**
   * %tsc: HAProxy's 4-character state in HTTP mode: cause, phase, then the two
   * cookie-persistence characters ("--" while sluice has no cookies). %ts is the
   * first two. Cause: - C S c s P L R I D K U; phase: - R Q C H D L T.
   */
  termination: string;

  // ---- load, when logged ----
  /** %ac: connections on the whole process. */
  actconn: number;
  /** %fc: connections on the frontend. */
  feconn: number;
  /** %bc: connections on the backend (active + queued). */
  beconn: number;
  /** %sc: connections on the server. */
  srvConn: number;
  /** %rc: connection retries. */
  retries: number;
  /** %sq: requests before this one in the server queue (0 when not queued). */
  srvQueue: number;
  /** %bq: requests before this one in the backend queue (0 when not queued). */
  backendQueue: number;

  // ---- the request, "" when it was not (validly) received ----
  /** %HM: "GET". */
  method: string;
  /** %HU: the request-target as received: "/foo?bar=baz" (or absolute form). */
  uri: string;
  /** %HP: the request-target without its query string: "/foo". */
  path: string;
  /** %HV: "HTTP/1.1". */
  httpVersion: string;
  /** %r: the request line as received, without CRLF: "GET /foo?bar=baz HTTP/1.1". */
  requestLine: string;

  // ---- identity ----
  /** Number of the client connection (all streams of a keep-alive connection share it). */
  sessionId: number;
  /** %rt: the process-wide request counter, unique per stream. */
  streamId: number;
  /** %ID: the unique-id of the request, "" when none. */
  uniqueId: string;
  /**
   * The stream's rules transaction, read by `%[expr]` samples (their getters,
   * compiled above this layer, know its type); undefined without one.
   */
  txn: object | undefined;

  // ---- the backend connection (ownership, ../shared/docs/connection-ownership.md) ----
  /** Its number (as in the per-connection view), -1 when none was used. */
  serverConnId: number;
  /** It had carried requests before this one (taken from a pool or the session's own list). */
  serverConnReused: boolean;
  /** It was private to this client connection (http-reuse never, NTLM/Negotiate). */
  serverConnPrivate: boolean;
  /** The server's connection counters when the line was written (-1 when no server): opened and reused since start, idle/safe/private now, ownership violations. */
  srvConnOpened: number;
  srvConnReused: number;
  srvConnIdle: number;
  srvConnSafe: number;
  srvConnPrivate: number;
  srvOwnershipViolations: number;

  // ---- TLS of the client connection, "" on plain TCP ----
  /** %sslv: "TLSv1.3". */
  sslVersion: string;
  /** %sslc: the cipher suite, as OpenSSL names it. */
  sslCipher: string;
  /** The SNI the client sent. */
  sslSni: string;
  /** The protocol ALPN chose. */
  alpn: string;
}

/** A record with nothing reached yet: timers -1, status -1, no server. */
export function createHttpLogRecord(): HttpLogRecord {
  const r = {} as HttpLogRecord;
  resetHttpLogRecord(r);
  return r;
}

/** Back to the state of createHttpLogRecord() (for reuse across the requests of a connection). */
export function resetHttpLogRecord(r: HttpLogRecord): void {
  r.clientAddress = "";
  r.clientPort = -1;
  r.sslVersion = "";
  r.sslCipher = "";
  r.sslSni = "";
  r.alpn = "";
  r.frontend = "";
  r.frontendAddress = "";
  r.frontendPort = -1;
  r.backend = "";
  r.server = "<NOSRV>";
  r.serverAddress = "";
  r.serverPort = -1;
  r.backendSourceAddress = "";
  r.backendSourcePort = -1;
  r.acceptTime = 0;
  r.requestTime = 0;
  r.Th = -1;
  r.Ti = -1;
  r.TR = -1;
  r.Tw = -1;
  r.Tc = -1;
  r.Tr = -1;
  r.Ta = -1;
  r.Tt = -1;
  r.status = -1;
  r.bytesOut = 0;
  r.bytesIn = 0;
  r.asap = false;
  r.termination = "----";
  r.actconn = 0;
  r.feconn = 0;
  r.beconn = 0;
  r.srvConn = 0;
  r.retries = 0;
  r.srvQueue = 0;
  r.backendQueue = 0;
  r.method = "";
  r.uri = "";
  r.path = "";
  r.httpVersion = "";
  r.requestLine = "";
  r.sessionId = 0;
  r.streamId = 0;
  r.uniqueId = "";
  r.txn = undefined;
  r.serverConnId = -1;
  r.serverConnReused = false;
  r.serverConnPrivate = false;
  r.srvConnOpened = r.srvConnReused = r.srvConnIdle = r.srvConnSafe = r.srvConnPrivate = r.srvOwnershipViolations = -1;
  r.requestCaptures = undefined;
  r.responseCaptures = undefined;
  r.clientCookie = undefined;
  r.serverCookie = undefined;
}

/** HAProxy's default HTTP log format (`option httplog`). */
export const HTTPLOG_FORMAT =
  "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";

/**
 * `option httplog clf`: the Common Log Format (client, ident, user, date,
 * request, status, size, referer and agent left empty) followed by
 * HAProxy's own fields, as HAProxy 2.6 defines it; read by the log-format
 * compiler.
 */
export const CLF_HTTPLOG_FORMAT =
  '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl';

// ---- field helpers shared with the log-format compiler ----

/** A string field the HAProxy way: "-" when empty. */
function text(s: string): string {
  return s === "" ? "-" : s;
}

/** A timer: rounded to an integer ms (-1 stays -1). */
export function ms(t: number): string {
  return "" + Math.round(t);
}

/** A port: "-" when unknown (negative). */
function port(p: number): string {
  return p < 0 ? "-" : "" + p;
}

/** The request date (%tr): requestTime, or the accept date when the request was never started. */
export function requestDateOf(r: HttpLogRecord): number {
  return r.requestTime > 0 ? r.requestTime : r.acceptTime;
}

/** %tsc, always 4 characters. */
export function terminationOf(r: HttpLogRecord): string {
  const t = r.termination;
  return t.length === 4 ? t : (t + "----").slice(0, 4);
}

/** %ft: the frontend's name, with HAProxy's "~" when the client connection is TLS. */
export function frontendTransportOf(r: HttpLogRecord): string {
  return r.sslVersion === "" ? r.frontend : r.frontend + "~";
}

/** %r without quotes: the request line encoded as HAProxy does, "<BADREQ>" when there is none. */
export function requestLineOf(r: HttpLogRecord): string {
  return r.requestLine === "" ? "<BADREQ>" : encodeRequestText(r.requestLine, false);
}

/**
 * The `option httplog` line, exactly HAProxy's
 *   %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
 * with no captures: %CC and %CS are "-" (the cookie `capture cookie` took otherwise), and %hr/%hs print nothing (HAProxy
 * drops the braces and merges the spaces around them):
 *   10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"
 * Hand-written for speed; `compileLogFormat(HTTPLOG_FORMAT)` gives the same line.
 */
export function formatHttpLog(r: HttpLogRecord): string {
  return text(r.clientAddress) + ":" + port(r.clientPort) +
    " [" + formatLogDate(requestDateOf(r)) + "] " +
    text(frontendTransportOf(r)) + " " + text(r.backend) + "/" + text(r.server) + " " +
    ms(r.TR) + "/" + ms(r.Tw) + "/" + ms(r.Tc) + "/" + ms(r.Tr) + "/" + (r.asap ? "+" : "") + ms(r.Ta) + " " +
    r.status + " " + (r.asap ? "+" : "") + r.bytesOut + " " + (r.clientCookie ?? "-") + " " + (r.serverCookie ?? "-") + " " + terminationOf(r) + " " +
    r.actconn + "/" + r.feconn + "/" + r.beconn + "/" + r.srvConn + "/" + r.retries + " " +
    r.srvQueue + "/" + r.backendQueue + " " + capturesOf(r.requestCaptures) + capturesOf(r.responseCaptures) +
    '"' + requestLineOf(r) + '"';
}

/**
 * %hr / %hs as HAProxy prints them: `{v1|v2} `, each value with the
 * characters HAProxy encodes in captures (controls, `"`, `#`, `{`, `|`, `}`,
 * bytes above 126) as #XX; nothing at all when no slot is declared.
 */
export function capturesOf(values: readonly string[] | undefined): string {
  return values === undefined ? "" : captureField(values, "|", true) + " ";
}

/** The captured values joined by `sep`, encoded, in braces when `braces` (%hr) or not (%hrl). */
export function captureField(values: readonly string[], sep: string, braces: boolean): string {
  let s = braces ? "{" : "";
  for (let i = 0; i < values.length; i++) s += (i === 0 ? "" : sep) + encodeCapture(values[i] ?? "");
  return braces ? s + "}" : s;
}

function encodeCapture(v: string): string {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 35 || c === 123 || c === 124 || c === 125) {
      out += "#" + (c & 0xff).toString(16).toUpperCase().padStart(2, "0");
    } else out += v[i];
  }
  return out;
}
