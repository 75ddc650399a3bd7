// One HTTP/1.1 request/response exchange of a session: picks a server, gets a
// backend connection (kept or new; HTTP/1.1, or a stream on an HTTP/2 one), forwards the request with its
// body, relays the response with backpressure, and decides afterwards whether
// each connection may be kept.
import { type Backend, NO_SERVERS, type QueueWaiter } from "../core/backend.ts";
import type { Server } from "../core/server.ts";
import { BackendConnection, type ConnectionUser } from "../http1/backend-connection.ts";
import { chunkPrefix, CRLF, type Framing, serializeRequestHead, serializeResponseHead, serializeTrailers } from "../http1/serialize.ts";
import { CHUNKED, encodeAscii, KEEP, lengthOf, NO_BODY, rewriteOf } from "./head-rewrite.ts";
import { BodyKind, H1Error, type Head } from "../http1/types.ts";
import { ConnectError } from "../runtime/types.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";
import type { AddedFields } from "./forwarding.ts";
import type { HttpSession } from "./http-session.ts";
import type { Corked } from "./corked.ts";
import { span } from "./span.ts";
import type { H2ClientConnection } from "../http2/client-connection.ts";
import { H2Exchange, type H2ExchangeUser } from "./h2-exchange.ts";
import { connectMux, type MuxWaiter } from "./h2-connect.ts";

type StreamState = "queue" | "connect" | "exchange" | "tunnel" | "done";

/** Counted like a codec refusal when an HTTP/2 server's answer is malformed. */
const BROKEN_H2 = new H1Error(502, "h2-malformed", "a malformed HTTP/2 response");

/** Methods whose requests may be sent again after a reused connection failed (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export class HttpStream implements ConnectionUser, QueueWaiter, H2ExchangeUser, MuxWaiter {
  /** Servers that failed this stream; shared and empty until one does. */
  tried: ReadonlySet<Server> = NO_SERVERS;
  /** Set when the stream must go to this server only (prefer-last-server after NTLM/Negotiate). */
  only: Server | undefined;
  /** The connection came from a pool or the session's own list (it carried requests before). */
  reusedConn = false;
  /** The backend's servers speak HTTP/2: the request goes out as a header list and DATA (h2-exchange.ts). */
  private readonly h2: boolean;
  /** The HTTP/2 stream carrying this request, once one is open. */
  h2x: H2Exchange | undefined;
  /** Request body that came before the HTTP/2 stream was open, and whether the request already ended. */
  private bodyEarly: Uint8Array[] = [];
  private endedEarly = false;
  private readonly added: Readonly<AddedFields>;
  /** The backend connection this stream used last (-1: none), and whether it was private to the session (for the log). */
  connId = -1;
  connPrivate = false;
  state: StreamState = "connect";
  server: Server | undefined;
  conn: BackendConnection | undefined;
  retries = 0;
  status = -1;
  /** Response head sent to the client: from here on an error can only cut the connection. */
  responseStarted = false;
  requestComplete = false;
  responseComplete = false;
  cause: CauseCode = Cause.none;
  phase: PhaseCode = Phase.none;
  /** The session's client byte count when this stream began (for the log's %B). */
  private readonly clientBytesAtStart: number;
  // HAProxy's timers (ms, -1 when not reached).
  tw = -1;
  tc = -1;
  tr = -1;
  readonly started: number;
  private queueStart = -1;
  private connectStart = 0;
  private slotHeld = false;
  /** Request bytes for the server, collected while a client chunk is processed (the session's, one stream at a time). */
  readonly toServer: Corked;
  /** The request head as serialized, kept for a retry on a fresh connection. */
  private readonly requestHead: Uint8Array;
  private headSent = false;
  /** Some body bytes left for the server: from then on the request cannot be sent again. */
  private bodySent = false;
  /** The request body goes to the server chunked (else as received: length-delimited or none). */
  private readonly reqChunked: boolean;
  private clientChunked = false;
  /** Trailer fields of a chunked request / response, written with the last chunk. */
  private pendingTrailers: Head | undefined;
  private responseTrailersHead: Head | undefined;
  private closeClient = false;
  private keepServer = false;

  constructor(
    readonly session: HttpSession,
    readonly request: Head,
    readonly backend: Backend,
    added: Readonly<AddedFields>,
  ) {
    this.started = session.now();
    this.h2 = backend.h2;
    this.added = added;
    this.clientBytesAtStart = session.clientBytesOut;
    const kind = request.bodyKind;
    this.reqChunked = kind === BodyKind.Chunked;
    const framing = kind === BodyKind.Length ? lengthOf(request.contentLength) : this.reqChunked ? CHUNKED : NO_BODY;
    const upgrade = request.upgrade !== undefined;
    this.requestHead = serializeRequestHead(
      request,
      rewriteOf(framing, upgrade ? "upgrade" : this.session.serverKeepAlive ? undefined : "close", upgrade, added),
    );
    this.toServer = session.serverOut;
    // Whatever an earlier stream of the session left unsent is not this one's.
    this.toServer.reset(this.requestHead);
    if (kind === BodyKind.None) this.requestComplete = true;
  }

  // ---- server, queue, connection ----

  start(): void {
    // After a connection-auth challenge the session's next requests go to the
    // same server, even if they must queue for it (invariant 13).
    const last = this.session.authServer;
    if (last !== undefined && this.tried.size === 0 && this.backend.servers.includes(last) && last.usable) {
      this.only = last;
      if (this.backend.takeServer(last)) {
        this.slotHeld = true;
        if (this.tw < 0) this.tw = 0;
        return this.useServer(last);
      }
      this.state = "queue";
      this.queueStart = this.session.now();
      this.backend.enqueue(this);
      this.session.rearm();
      return;
    }
    this.only = undefined;
    const pick = this.backend.take(this.tried);
    if (typeof pick !== "string") {
      this.slotHeld = true;
      if (this.tw < 0) this.tw = 0;
      return this.useServer(pick);
    }
    if (pick === "none") return this.fail(503, Cause.serverAbort, Phase.connect);
    this.state = "queue";
    this.queueStart = this.session.now();
    this.backend.enqueue(this);
    this.session.rearm();
  }

  granted(server: Server): void {
    if (this.state !== "queue") {
      this.backend.release(server);
      return;
    }
    this.slotHeld = true;
    this.tw = this.session.now() - this.queueStart;
    this.useServer(server);
  }

  /** Monotonic ms at which the queue wait ends, or Infinity. */
  queueDeadline(): number {
    if (this.state !== "queue") return Infinity;
    const t = this.backend.timeouts;
    return this.queueStart + span(t.queue || t.connect);
  }

  queueExpired(): void {
    this.backend.dequeue(this);
    this.tw = this.session.now() - this.queueStart;
    this.fail(503, Cause.serverTimeout, Phase.queue);
  }

  /** @param fresh a new connection, never a kept one (retry after a reused one failed). */
  private useServer(server: Server, fresh = false): void {
    this.server = server;
    this.state = "connect";
    if (server.proto === "h2") return this.useH2(server, fresh);
    const session = this.session;
    const key = server.sendProxy ? session.proxyHeader : "";
    if (!fresh && session.serverKeepAlive) {
      // The idle and safe lists of HTTP/1.1 servers hold only BackendConnections.
      const kept = session.ownership.take(session, server.pool, key, this.backend.httpReuse, session.requests === 1) as
        | BackendConnection
        | undefined;
      if (kept !== undefined) {
        this.tc = 0;
        this.reusedConn = true;
        return this.attach(kept);
      }
    }
    this.reusedConn = false;
    this.connectStart = session.now();
    const conn = new BackendConnection(server, session.limits, key);
    session.runtime.connect(
      { hostname: server.host, port: server.port, timeoutMs: this.backend.timeouts.connect },
      conn.socketEvents,
    ).then(
      (socket) => {
        session.tick();
        conn.attachSocket(socket);
        if (this.state !== "connect" || this.conn !== undefined) {
          // The stream ended while we connected: nobody needs this connection.
          conn.close();
          return;
        }
        this.tc = session.now() - this.connectStart;
        session.ownership.opened(session, server.pool, conn, this.backend.httpReuse);
        if (key !== "") conn.write(encodeAscii(key));
        this.attach(conn);
      },
      (error) => {
        session.tick();
        this.connectFailed(server, error);
      },
    );
  }

  private connectFailed(server: Server, error: unknown): void {
    server.connectFailures++;
    if (this.state !== "connect") return;
    this.tried = new Set(this.tried).add(server);
    if (this.retries < this.backend.retries) {
      this.retries++;
      // Without redispatch a retry goes to the same server, as in HAProxy.
      if (this.backend.redispatch) {
        this.releaseSlot();
        return this.start();
      }
      return this.useServer(server);
    }
    this.fail(503, error instanceof ConnectError && error.code === "timeout" ? Cause.serverTimeout : Cause.serverAbort, Phase.connect);
  }

  private attach(conn: BackendConnection): void {
    this.conn = conn;
    this.connId = conn.id;
    this.connPrivate = conn.owner !== undefined;
    this.state = "exchange";
    conn.take(this, this.request.method);
    this.session.serverActivity();
    this.flushToServer();
    this.session.rearm();
    if (this.request.bodyKind !== BodyKind.None) this.session.resumeClient();
  }

  // ---- request body, from the session's parser ----

  requestData(chunk: Uint8Array): void {
    if (this.h2) {
      if (this.h2x === undefined) this.bodyEarly.push(chunk.slice());
      else if (!this.h2x.sendBody(chunk)) this.session.holdClient();
      this.bodySent ||= this.h2x !== undefined;
      return;
    }
    if (this.state === "tunnel" || !this.reqChunked) {
      this.toServer.push(chunk);
    } else {
      this.toServer.push(chunkPrefix(chunk.length));
      this.toServer.push(chunk);
      this.toServer.push(CRLF);
    }
  }

  requestTrailers(trailers: Head): void {
    this.pendingTrailers = trailers;
  }

  requestEnd(): void {
    if (this.h2) {
      this.requestComplete = true;
      if (this.h2x === undefined) this.endedEarly = true;
      else this.h2x.endBody(this.pendingTrailers);
      return;
    }
    if (this.reqChunked) {
      this.toServer.push(serializeTrailers(this.pendingTrailers));
      this.pendingTrailers = undefined;
    }
    this.requestComplete = true;
  }

  /** Writes what the client sent to the server (called after each client chunk). */
  flushToServer(): void {
    if (this.h2) return;
    const conn = this.conn;
    if (conn === undefined || this.toServer.empty) return;
    if (this.toServer.size > (this.headSent ? 0 : this.requestHead.length)) this.bodySent = true;
    this.headSent = true;
    if (!this.toServer.writeTo(conn)) this.session.holdClient();
    this.session.serverActivity();
  }

  /** Bytes, or the server's FIN, arrived and are about to be parsed. */
  serverEvent(): void {
    this.session.tick();
    this.session.serverActivity();
  }

  connectionDrain(): void {
    this.serverEvent();
    this.session.releaseClient();
  }

  // ---- response, from the backend connection ----

  responseHead(head: Head): void {
    const conn = this.conn;
    if (conn !== undefined && conn.authenticates) {
      // The HTTP/1 mux saw NTLM/Negotiate: the server now authenticates this
      // connection, so it is this session's alone, and so is the server
      // (also under http-reuse never, where it was private from the start).
      if (conn.owner === undefined) {
        this.session.ownership.makePrivate(this.session, conn.pool, conn);
        this.connPrivate = true;
      }
      this.session.authServer = this.server;
    }
    if (head.status < 200) {
      if (head.status === 101) return this.startTunnel(head);
      // 100 Continue, 103 Early Hints: passed on as they are.
      this.session.toClient(serializeResponseHead(head, rewriteOf(NO_BODY)));
      return;
    }
    if (this.tr < 0) this.tr = this.session.now() - this.started;
    this.status = head.status;
    const client = this.request;
    const kind = head.bodyKind;
    let framing: Framing;
    this.closeClient = !this.session.clientKeepAlive || !client.keepAlive || this.session.clientEnded ||
      !this.requestComplete || this.session.stopping;
    if (kind === BodyKind.Length) {
      framing = lengthOf(head.contentLength);
    } else if (kind === BodyKind.Chunked || kind === BodyKind.UntilClose) {
      if (client.versionMinor === 1) {
        framing = CHUNKED;
        this.clientChunked = true;
      } else {
        framing = NO_BODY;
        this.closeClient = true;
      }
    } else {
      // No body. A response to HEAD (or a 304) still tells the length a GET would get.
      framing = client.method === "HEAD" || head.status === 304 ? KEEP : NO_BODY;
    }
    this.keepServer = head.keepAlive && this.session.serverKeepAlive;
    const connection = this.closeClient ? "close" : client.versionMinor === 0 ? "keep-alive" : undefined;
    this.responseStarted = true;
    this.session.toClient(serializeResponseHead(head, rewriteOf(framing, connection)));
  }

  responseData(chunk: Uint8Array): void {
    if (this.clientChunked) {
      this.session.toClient(chunkPrefix(chunk.length));
      this.session.toClient(chunk);
      this.session.toClient(CRLF);
    } else {
      this.session.toClient(chunk);
    }
  }

  responseTrailers(trailers: Head): void {
    this.responseTrailersHead = trailers;
  }

  responseEnd(): void {
    if (this.state === "tunnel") {
      // The 101's head is complete: from here on both directions are raw bytes.
      this.conn!.parser.tunnel();
      this.session.startTunnel();
      return;
    }
    if (this.clientChunked) this.session.toClient(serializeTrailers(this.responseTrailersHead));
    this.responseComplete = true;
    this.finish();
  }

  responseError(error: H1Error): void {
    this.session.noteServerError(error);
    if (this.responseStarted) return this.cut(Cause.serverAbort, Phase.data);
    this.fail(502, Cause.proxy, Phase.data);
  }

  /** Flushes response bytes to the client (called after each server chunk). */
  responseFlush(): void {
    this.session.flushToClient();
  }

  connectionClosed(_error: Error | undefined): void {
    this.session.tick();
    this.conn = undefined;
    if (this.state === "done") return;
    if (this.state === "tunnel") return this.session.tunnelClosed();
    if (this.responseStarted) return this.cut(Cause.serverAbort, Phase.data);
    if (this.reusedConn && this.tr < 0) {
      // A kept connection the server closed before answering (invariant 15):
      // an idempotent request that sent no body yet goes again, once per
      // configured retry, on a fresh connection. Otherwise a later request's
      // client is closed without an answer, so that it retries by itself as
      // it would with the server directly; a first request gets a 502.
      if (!this.bodySent && IDEMPOTENT.has(this.request.method) && this.retries < this.backend.retries) {
        this.retries++;
        this.headSent = false;
        this.toServer.reset(this.requestHead);
        return this.useServer(this.server!, true);
      }
      if (this.session.requests > 1) return this.cut(Cause.serverAbort, Phase.header);
    }
    this.fail(502, Cause.serverAbort, Phase.header);
  }

  // ---- tunnel (101 Switching Protocols) ----

  private startTunnel(head: Head): void {
    this.status = 101;
    if (this.tr < 0) this.tr = this.session.now() - this.started;
    this.responseStarted = true;
    this.state = "tunnel";
    this.session.toClient(serializeResponseHead(head, rewriteOf(NO_BODY, "upgrade", true)));
  }

  // ---- the end ----

  /** Both directions are complete: decide the connections' fate and hand back to the session. */
  private finish(): void {
    const conn = this.conn;
    this.state = "done";
    this.releaseSlot();
    this.leaveH2(false);
    if (conn !== undefined) {
      this.conn = undefined;
      const session = this.session;
      const reusable = this.keepServer && this.requestComplete && conn.reusable;
      if (reusable) conn.release();
      session.ownership.release(session, conn.pool, conn, reusable, session.now(), session.host.maxSessionSrvConns);
    }
    this.session.streamDone(this, !this.closeClient);
  }

  /** Ends the exchange with an error response (nothing was sent to the client yet). */
  fail(status: number, cause: CauseCode, phase: PhaseCode): void {
    if (!this.stop(cause, phase)) return;
    this.status = status;
    this.session.streamFailed(this, status);
  }

  /** Ends the exchange after the response began: the client connection is cut. */
  cut(cause: CauseCode, phase: PhaseCode): void {
    if (this.stop(cause, phase)) this.session.streamCut(this);
  }

  /** The client went away: the server side is dropped (never pooled mid-exchange). */
  abort(cause: CauseCode): void {
    this.stop(cause, this.phaseNow());
  }

  /** Done before its end: leaves the queue, gives back its slot, drops its connection. False if it was done already. */
  private stop(cause: CauseCode, phase: PhaseCode): boolean {
    if (this.state === "done") return false;
    this.setTermination(cause, phase);
    if (this.state === "queue") this.backend.dequeue(this);
    this.state = "done";
    this.releaseSlot();
    this.dropConn();
    return true;
  }

  setTermination(cause: CauseCode, phase: PhaseCode): void {
    if (this.cause !== Cause.none) return;
    this.cause = cause;
    this.phase = phase;
  }

  phaseNow(): PhaseCode {
    if (this.state === "queue") return Phase.queue;
    if (this.state === "connect") return Phase.connect;
    return this.responseStarted ? Phase.data : Phase.header;
  }

  /** Bytes written to the client for this stream, head included. */
  get bytesToClient(): number {
    return this.session.clientBytesOut - this.clientBytesAtStart;
  }

  /** True while the stream waits on the server (for timeout server). */
  get waitingOnServer(): boolean {
    return this.state === "exchange" && !this.responseComplete;
  }

  /** The connection is given up mid-exchange: closed, never kept (invariant 10). */
  private dropConn(): void {
    this.leaveH2(true);
    const conn = this.conn;
    if (conn === undefined) return;
    this.conn = undefined;
    this.session.ownership.discard(this.session, conn.pool, conn);
  }

  // ---- HTTP/2 servers (h2-exchange.ts does the translation) ----

  private useH2(server: Server, fresh: boolean): void {
    // Over HTTP/2, CONNECT makes the stream a tunnel (RFC 9113 §8.5), which H2Exchange does not carry: refused before any connection.
    if (this.request.method === "CONNECT") return this.fail(501, Cause.proxy, Phase.connect);
    const session = this.session;
    const pool = server.pool;
    const mode = this.backend.httpReuse;
    // Also when a stream goes again after a reset: it waits for a connection anew.
    this.state = "connect";
    const kept = fresh ? undefined : session.ownership.takeMux(session, pool, mode, session.requests === 1);
    if (kept !== undefined) {
      this.tc = 0;
      this.reusedConn = kept.opened > 0;
      return this.attachH2(kept as H2ClientConnection);
    }
    this.reusedConn = false;
    this.connectStart = session.now();
    connectMux({
      server,
      runtime: session.runtime,
      timeoutMs: this.backend.timeouts.connect,
      tick: () => session.tick(),
      mode,
      fresh,
    }, this);
  }

  /** The HTTP/2 connection this stream asked for, or waited for, is open (or failed to open). */
  muxReady(conn: H2ClientConnection | undefined, error: unknown, opened: boolean): void {
    if (this.state !== "connect" || this.h2x !== undefined) {
      // Nobody waits for it now: a shared one stays for other streams, a private one goes.
      if (opened && conn !== undefined && this.backend.httpReuse === "never") conn.close();
      return;
    }
    if (conn === undefined) return this.connectFailed(this.server!, error);
    this.tc = this.session.now() - this.connectStart;
    // Fewer slots than expected (the server's SETTINGS came with its first bytes): another connection.
    if (conn.freeSlots > 0) this.attachH2(conn);
    else this.useH2(this.server!, false);
  }

  private attachH2(conn: H2ClientConnection): void {
    const session = this.session;
    const pool = this.server!.pool;
    if (!session.ownership.startStream(session, pool, conn, this.backend.httpReuse)) return this.useH2(this.server!, true);
    const x = H2Exchange.open(conn, this, this.added);
    if (typeof x === "number") {
      session.ownership.endStream(session, conn, 0);
      return this.fail(x, Cause.proxy, Phase.header);
    }
    this.connId = conn.id;
    this.connPrivate = conn.owner !== undefined;
    this.state = "exchange";
    this.h2x = x;
    for (const chunk of this.bodyEarly.splice(0)) {
      this.bodySent = true;
      if (!x.sendBody(chunk)) session.holdClient();
    }
    if (this.endedEarly && this.request.bodyKind !== BodyKind.None) x.endBody(this.pendingTrailers);
    session.serverActivity();
    session.rearm();
    if (this.request.bodyKind !== BodyKind.None) session.resumeClient();
  }

  /** The HTTP/2 stream is over (cancelled when the exchange did not complete); under safe its connection is shared again. */
  private leaveH2(cancel: boolean): void {
    const x = this.h2x;
    if (x === undefined) return;
    this.h2x = undefined;
    if (cancel) x.cancel();
    this.session.ownership.endStream(this.session, x.conn, 0);
  }

  serverBroken(_reason: string): void {
    this.session.noteServerError(BROKEN_H2);
    if (this.responseStarted) return this.cut(Cause.serverAbort, Phase.data);
    this.fail(502, Cause.proxy, Phase.data);
  }

  serverReset(_code: number, retryable: boolean): void {
    this.session.tick();
    const x = this.h2x;
    this.h2x = undefined;
    if (x !== undefined) this.session.ownership.endStream(this.session, x.conn, 0);
    if (this.state === "done") return;
    // Never processed by the server (REFUSED_STREAM, above a GOAWAY's last id): sent again on another connection.
    if (!this.responseStarted && retryable && !this.bodySent && this.retries < this.backend.retries) {
      this.retries++;
      return this.useH2(this.server!, true);
    }
    if (this.responseStarted) return this.cut(Cause.serverAbort, Phase.data);
    this.fail(502, Cause.serverAbort, Phase.header);
  }

  /** The client cannot take more (the session paused it) / can again: the server side holds back. */
  pauseServer(): void {
    if (this.h2x !== undefined) this.h2x.pause();
    else this.conn?.pause();
  }

  resumeServer(): void {
    if (this.h2x !== undefined) this.h2x.resume();
    else this.conn?.resume();
  }

  private releaseSlot(): void {
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.backend.release(this.server!);
  }
}
