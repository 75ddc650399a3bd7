// Turns an ended stream (or a refused request) into its log record, reusing one
// record object, and hands it to the frontend's logger.
import { createHttpLogRecord, type HttpLogRecord, resetHttpLogRecord } from "../log/http-log.ts";
import type { LogFormatter } from "../log/format.ts";
import type { Logger } from "../log/sink.ts";
import type { HttpStream } from "../stream/http-stream.ts";
import type { CauseCode, PhaseCode } from "../stream/termination.ts";
import { nextStreamId } from "../conn/ids.ts";
import { requestUri } from "../http/fields-head.ts";
import type { HttpLogSink } from "./http-host.ts";
import type { HttpLogSubject } from "./log-subject.ts";

export interface ConnectionCounts {
  /** Connections on the whole process. */
  readonly active: number;
}


export class HttpLogWriter implements HttpLogSink {
  private readonly record: HttpLogRecord = createHttpLogRecord();

  constructor(
    private readonly logger: Logger,
    private readonly format: LogFormatter | undefined,
    private readonly counts: ConnectionCounts,
    private readonly frontendCount: () => number,
    /** The frontend's capture slots (%hr / %hs); 0: it declares none. */
    private readonly captureSlots: { request: number; response: number } = { request: 0, response: 0 },
    /** `option logasap`: %B, %Ta and %Tt are marked '+' (the line may be written at the response head). */
    private readonly asap = false,
  ) {}

  stream(session: HttpLogSubject, stream: HttpStream | undefined, status: number, cause: CauseCode, phase: PhaseCode): void {
    const r = this.record;
    resetHttpLogRecord(r);
    const now = session.now();
    const client = session.client;
    r.clientAddress = client.remoteAddress;
    r.clientPort = client.remotePort;
    r.frontend = session.host.name;
    r.frontendAddress = client.localAddress;
    r.frontendPort = client.localPort;
    const backend = stream?.backend ?? session.defaultBackend;
    // The rules' transaction knows when the frontend answered before any backend was chosen; a
    // request refused before that (a bad request, a timeout) names the frontend, as HAProxy does.
    r.backend = stream?.ruled?.txn.backend ?? (stream === undefined ? session.host.name : backend.name);
    r.acceptTime = session.acceptDate;
    r.requestTime = session.acceptDate + Math.round(session.requestStart - session.accepted);
    // The handshake is the connection's: counted in its first request's times only.
    const tls = client.tls;
    const first = session.requests <= 1;
    r.Th = tls !== undefined && first ? Math.round(tls.handshakeMs) : 0;
    r.Ti = Math.round(session.requestStart - session.idleSince);
    r.Tt = Math.round(now - session.accepted) + r.Th;
    if (tls !== undefined) {
      r.sslVersion = tls.version;
      r.sslCipher = tls.cipher;
      r.sslSni = tls.sni;
      r.alpn = tls.alpn;
    }
    r.status = status;
    // The last two: the persistence cookie's (issue 15, cookie), "--" without one.
    r.termination = cause + phase + (stream?.cookie?.flags ?? "--");
    r.actconn = this.counts.active;
    r.feconn = this.frontendCount();
    r.sessionId = session.id;
    // A refused request (no stream was made) still takes a number of the one stream counter.
    r.streamId = stream?.id ?? nextStreamId();
    r.bytesIn = session.bytesIn;
    r.asap = this.asap;
    if (stream !== undefined) {
      // The request line as received (HAProxy's): a rule's set-path or set-uri does not change what is logged.
      const req = stream.received;
      r.uniqueId = stream.uniqueId;
      const server = stream.server;
      if (server !== undefined) {
        r.server = server.name;
        r.serverAddress = server.address;
        r.serverPort = server.port;
        r.srvConn = server.current;
      } else if (stream.ruled?.txn.reply?.cached === true) {
        // Answered by `http-request cache-use`: HAProxy names the cache as the server.
        r.server = "<CACHE>";
      }
      r.beconn = backend.servers.reduce((n, s) => n + s.current + s.queued, 0) + backend.queued;
      r.srvQueue = stream.srvQueueAhead;
      r.backendQueue = stream.backendQueueAhead;
      // HAProxy never marks a request rejected by a backend's content rules as received (TR -1).
      r.TR = stream.ruled?.rejected === true || stream.requestNotReceived ? -1 : Math.round(stream.started - session.requestStart);
      if (server === undefined && stream.ruled?.txn.reply?.cached === true) {
        // A cache hit is HAProxy's cache applet: reached without a queue, "connected" and answering at once (0/0/0, not -1).
        r.Tw = 0;
        r.Tc = 0;
        r.Tr = 0;
      } else {
        r.Tw = Math.round(stream.tw);
        r.Tc = Math.round(stream.tc);
        r.Tr = stream.tr < 0 ? -1 : Math.max(0, Math.round(stream.tr - Math.max(0, stream.tw) - Math.max(0, stream.tc)));
      }
      r.Ta = Math.round(now - session.requestStart);
      r.retries = stream.retries;
      r.serverConnId = stream.connId;
      if (stream.connId >= 0) {
        r.backendSourceAddress = stream.sourceAddress;
        r.backendSourcePort = stream.sourcePort;
      }
      r.serverConnReused = stream.reusedConn;
      r.serverConnPrivate = stream.connPrivate;
      if (server !== undefined) {
        const pool = server.pool;
        r.srvConnOpened = pool.opened;
        r.srvConnReused = pool.reused;
        r.srvConnIdle = pool.idleCount;
        r.srvConnSafe = pool.safeCount;
        r.srvConnPrivate = pool.privateNow;
        r.srvOwnershipViolations = pool.violations;
      }
      r.bytesOut = stream.bytesToClient;
      r.method = req.method;
      // An HTTP/2 request that named its authority: HAProxy logs its URI in absolute form, with its :scheme.
      const target = requestUri(req);
      r.uri = target;
      const q = target.indexOf("?");
      r.path = q < 0 ? target : target.slice(0, q);
      r.httpVersion = session.httpVersion ?? (req.versionMinor === 1 ? "HTTP/1.1" : "HTTP/1.0");
      r.requestLine = `${req.method} ${target} ${r.httpVersion}`;
    } else {
      r.requestLine = "<BADREQ>";
      r.Ta = Math.round(now - session.requestStart);
      r.TR = -1;
    }
    r.txn = stream?.ruled?.txn;
    r.clientCookie = stream?.clientCookie;
    r.serverCookie = stream?.serverCookie;
    // Without a stream (no request was read) the line has no captures, as HAProxy's session-level lines.
    const slots = this.captureSlots;
    if (slots.request > 0 && stream !== undefined) r.requestCaptures = slotsOf(stream.ruled?.txn.captures, slots.request);
    if (slots.response > 0 && stream !== undefined) r.responseCaptures = slotsOf(stream.ruled?.txn.responseCaptures, slots.response);
    this.logger.http(r, this.format);
    // The transaction is the stream's: not kept until the next request.
    r.txn = undefined;
  }
}

/** Every declared slot, "" where nothing was captured. */
function slotsOf(values: readonly string[] | undefined, n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = values?.[i] ?? "";
  return out;
}
