// One HTTP request/response of a session: picks a server, gets a backend
// connection (kept, shared or new), forwards the request with its body
// through the connection's exchange, relays the response to the client's
// ResponseWriter with backpressure, and decides afterwards whether the
// connection may be kept. It speaks only the contracts of conn/: which
// protocol the client or the server speaks is not its business.
import { FieldsHead } from "../http/fields-head.ts";
import type { Backend } from "../backend/backend.ts";
import { openConnection } from "../backend/connector.ts";
import type { MuxWaiter } from "../backend/pending-mux.ts";
import type { Server } from "../backend/server.ts";
import { Observed, observedStatus } from "../backend/server-state.ts";
import { type ClientMux, type Exchange, type ExchangeEvents, Lost, type OutgoingRequest } from "../conn/types.ts";
import type { RetryCondition, RetryStatus } from "../config/types.ts";
import { type AddedFields, BodyKind, type Head, type ProtocolRefusal } from "../http/message.ts";
import { Stream } from "./stream.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";
import type { HttpStreamHost, RuledRequest } from "./types.ts";
import type { CookieStep } from "./cookie-step.ts";
import { captureRequestCookie, captureResponseCookie } from "./cookie-capture.ts";
import { cacheableCookie } from "../backend/persist-cookie.ts";
import { LEVEL } from "../log/target.ts";
import type { CookieCapture } from "../rules/rule-set.ts";
import { choosePersistence } from "./persistence.ts";
import { afterResponse, replyHead, ResponsePause, responseRules } from "./response-rules.ts";
import { BodyWait } from "./body-wait.ts";
import type { StickStep } from "./stick-step.ts";
import { type StreamFilters, tapResponse } from "./response-filters.ts";
import { ServiceStep } from "./service-step.ts";
import { creditTransfer } from "./credit.ts";

/** Methods whose requests may be sent again after the server may have seen them (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export class HttpStream extends Stream implements ExchangeEvents, MuxWaiter {
  /** The connection carried exchanges before this one (the log's reuse flag). */
  reusedConn = false;
  /** For the log: the backend connection this stream used last (-1: none), whether it was private to the session, its local end. */
  connId = -1;
  connPrivate = false;
  sourceAddress = "";
  sourcePort = -1;
  /** The connection and the exchange on it, while the stream has them. */
  conn: ClientMux | undefined;
  exchange: Exchange | undefined;
  status = -1;
  /** Response head sent to the client: from here on an error can only cut the connection. */
  responseStarted = false;
  /** `option logasap`: the line was written at the response head; the end writes none. */
  loggedEarly = false;
  requestComplete = false;
  responseComplete = false;
  /** Over, one way or another. */
  done = false;
  /** After a 101: raw bytes both ways. */
  tunneling = false;
  tr = -1;
  /** The HTTP/2 error code the server reset this stream's exchange with (-1: it did not). */
  serverResetCode = -1;
  readonly started: number;
  /** The session's client byte count when this stream began (for the log's %B). */
  private readonly clientBytesAtStart: number;
  /** What goes to the server: the request, perhaps with the persistence cookie taken off. */
  private outgoing: OutgoingRequest;
  /** Request body that came before the exchange was open, and whether the request had ended by then. */
  private early: Uint8Array[] | undefined;
  private endPending = false;
  /** Some body bytes left for the server: from then on the request cannot be sent again. */
  private bodySent = false;
  /** An interim response (1xx) was relayed to the client: what follows must come from the same server. */
  private interimSent = false;
  /** An attempt was given up for a retry that starts on the next turn: what the old exchange still says is not ours. */
  private retrying = false;
  /** Trailer fields of the request / response, sent with its end. */
  private requestTrailersHead: Head | undefined;
  private responseTrailersHead: Head | undefined;
  private keepClient = false;
  /** Persistence by a cookie (issue 15, cookie), and the server a rule or the cookie chose (HAProxy's SF_DIRECT while the stream stays on it). */
  cookie: CookieStep | undefined;
  /** Persistence by a stick table (`stick` lines), when the backend has some. */
  private stick: StickStep | undefined;
  private persistServer: Server | undefined;
  /** The request was never whole enough for the rules (a body wait that timed out): the log's %TR is -1, as HAProxy's. */
  requestNotReceived = false;
  /** `unique-id-format`: this request's id (the log's %ID); "" without one. */
  uniqueId = "";
  /** An applet answers (the stats page, the exporter): it has the body, then the answer. */
  private service: ServiceStep | undefined;
  /** `timeout server` for this stream: the backend's, or what `http-request set-timeout server` set. */
  get serverTimeout(): number {
    return this.ruled?.txn.serverTimeout ?? this.backend.timeouts.server;
  }

  /** `timeout tunnel` for this stream (0: none): the backend's, or what `http-request set-timeout tunnel` set. */
  get tunnelTimeout(): number {
    return this.ruled?.txn.tunnelTimeout ?? this.backend.timeouts.tunnel ?? 0;
  }

  /** `option checkcache` refused the server's response (a denied response, as a rule's deny). */
  refusedCacheable = false;
  /** `capture cookie` (the frontend's): the request's and the response's cookie it names, for %CC and %CS. */
  cookieCapture: CookieCapture | undefined;
  clientCookie: string | undefined;
  serverCookie: string | undefined;

  constructor(
    readonly host: HttpStreamHost<HttpStream>,
    readonly request: Head,
    backend: Backend,
    added: Readonly<AddedFields>,
    /** Keep the server connection alive afterwards (the frontend's and this backend's modes). */
    serverKeepAlive: boolean | "pretend",
    /** The request stage of rules ran: its transaction and the response rules (undefined: the proxy has none). */
    readonly ruled: RuledRequest | undefined = undefined,
    /** The proxies' filters (compression, trace) when they declare some. */
    public filters: StreamFilters | undefined = undefined,
    /** The request as it came, before the rules rewrote it: what the log line names (HAProxy's %r, %HU...). */
    readonly received: Head = request,
  ) {
    super(backend);
    this.started = host.now();
    this.clientBytesAtStart = host.writer.bytesOut;
    this.outgoing = { head: request, added, keepAlive: serverKeepAlive === true, pretendKeepAlive: serverKeepAlive === "pretend" };
    if (request.bodyKind === BodyKind.None) this.requestComplete = true;
  }

  // ---- server, queue, connection ----

  start(): void {
    // The rules answered (deny, return, redirect, auth): no server; the answer goes on the next turn, out of the mux's parsing.
    const ruled = this.ruled;
    if (ruled?.rejected === true) return this.host.runtime.defer(this.rejectNow);
    if (ruled?.txn.reply !== undefined) {
      if (ruled.tarpitMs < 0) return this.host.runtime.defer(this.replyNow);
      // tarpit: the answer waits, through the session's timer (see queueDeadline).
      this.tarpitUntil = this.host.now() + Math.max(1, ruled.tarpitMs);
      return this.rearm();
    }
    // early-hint rules: a 103 each (HAProxy 2.6 sends one per rule, measured), now, before the server is asked;
    // none to an HTTP/1.0 client, which knows no 1xx.
    const hints = ruled?.txn.earlyHints;
    if (hints !== undefined && this.request.versionMinor === 1) {
      for (const hint of hints) this.host.writer.interim(new FieldsHead([hint], { isRequest: false, status: 103, bodyKind: BodyKind.None }));
      this.host.flushToClient();
    }
    if (ruled?.txn.service !== undefined) {
      const step = this.service = new ServiceStep(ruled.txn.service, this.request, ruled.txn, this.replyNow);
      // Body held before the rules decided (a body wait) is the applet's.
      const early = this.early;
      this.early = undefined;
      if (early !== undefined) for (const chunk of early) step.data(chunk);
      return this.requestComplete ? this.host.runtime.defer(() => step.run()) : this.host.resumeClient();
    }
    // HAProxy reads the request's cookies once the backend's rules let it on (http_process_request).
    if (this.cookieCapture !== undefined) this.clientCookie ??= captureRequestCookie(this.request, this.cookieCapture);
    const p = choosePersistence(this.backend, this.request, this.ruled, this.host.authServer, this.tried.size === 0, Math.floor(this.host.runtime.wallNow() / 1000));
    this.only = p.only;
    this.persistServer = p.persistServer;
    this.forced = p.forced;
    this.cookie = p.cookie;
    this.stick = p.stick;
    if (p.head !== this.request) this.outgoing = { ...this.outgoing, head: p.head };
    // option prefer-last-server (HAProxy's assign_server): the previous request's server while it takes more.
    this.only ??= this.preferred(this.host.previousServer);
    if (this.backend.hashes) this.hash = this.backend.requestHash(this.host.clientAddress, this.request, this.ruled?.txn);
    this.pick();
  }

  protected now(): number {
    return this.host.now();
  }

  protected rearm(): void {
    this.host.rearm();
  }

  protected noServer(cause: CauseCode, phase: PhaseCode): void {
    this.fail(503, cause, phase);
  }

  /** @param fresh a new connection, never a kept one (a retry after a reused one failed or was refused). */
  protected useServer(server: Server, fresh: boolean): void {
    this.server = server;
    // `redir PREFIX` (HAProxy's redirection mode): a GET or HEAD balanced here goes to the prefix instead, the first try only.
    if (server.redirectPrefix !== undefined && (this.request.method === "GET" || this.request.method === "HEAD") && this.retries === 0) {
      return this.redirectTo(server.redirectPrefix);
    }
    this.connecting = true;
    // CONNECT makes the connection a tunnel; a server whose connections cannot be one gets nothing: refused before any connection.
    if (this.request.method === "CONNECT" && !server.tunnels) return this.fail(501, Cause.proxy, Phase.connect);
    const host = this.host;
    const proxyHeader = server.sendProxy ? host.proxyHeader : "";
    // A server that follows the client's destination (`0.0.0.0`, no port): where this request goes is part of the key.
    const to = server.followsClient ? server.targetFor(this.ruled?.txn.client ?? host.clientDestination) : undefined;
    // `sni <expression>`: the name this request's connection sends, and so the connections it may share.
    const named = server.sniOf === undefined ? undefined : server.tlsFor(this.ruled === undefined ? "" : server.sniOf(this.ruled.txn));
    const reuseKey = named === undefined ? server.reuseKey : named.reuseKey;
    const key = to === undefined ? reuseKey + proxyHeader : `${reuseKey}dst=${to.host}:${to.port}\n${proxyHeader}`;
    const mode = this.backend.httpReuse;
    if (!fresh) {
      const kept = host.ownership.acquire(host.owner, server.pool, key, mode, host.requests === 1);
      if (kept !== undefined) {
        this.tc = 0;
        return this.attach(kept);
      }
    }
    this.connectStart = host.now();
    openConnection(server, {
      runtime: host.runtime,
      timeoutMs: this.backend.timeouts.connect,
      tick: () => host.tick(),
      mode,
      fresh,
      key,
      proxyHeader,
      limits: host.limits,
      tls: named === undefined ? server.tls : named.tls,
      ...(to !== undefined ? { to } : {}),
    }, this);
  }

  /** The connection this stream asked for, or waited for, is open (or failed to open). */
  muxReady(conn: ClientMux | undefined, error: unknown, opened: boolean): void {
    const server = this.server!;
    const ownership = this.host.ownership;
    const mode = this.backend.httpReuse;
    if (!this.connecting || this.conn !== undefined) {
      // Nobody waits for it now: a shared one stays for other streams, a private one goes.
      if (opened && conn !== undefined) ownership.unneeded(server.pool, conn, mode);
      return;
    }
    if (conn === undefined) return this.connectFailed(server, error);
    if (opened) server.state.observer?.observe(Observed.connectOk);
    this.tc = this.host.now() - this.connectStart;
    if (conn.freeSlots <= 0) {
      // Fewer slots than expected (the server's SETTINGS came with its first bytes): another connection.
      if (opened) ownership.unneeded(server.pool, conn, mode);
      return this.useServer(server, false);
    }
    const attached = opened ? ownership.openedFor(this.host.owner, server.pool, conn, mode) : ownership.attachStream(this.host.owner, server.pool, conn, mode);
    if (!attached) return this.useServer(server, true);
    this.attach(conn);
  }

  private attach(conn: ClientMux): void {
    const host = this.host;
    const x = conn.attach(this.outgoing, this);
    if (typeof x === "number") {
      // Refused before anything was sent (a header list above the server's limit): the answer the server would have given.
      host.ownership.discard(host.owner, this.server!.pool, conn);
      return this.fail(x, Cause.proxy, Phase.header);
    }
    this.conn = conn;
    this.exchange = x;
    this.connecting = false;
    this.connId = conn.id;
    this.connPrivate = conn.owner !== undefined;
    this.sourceAddress = conn.sourceAddress;
    this.sourcePort = conn.sourcePort;
    this.reusedConn = conn.carried > 1;
    const early = this.early;
    if (early !== undefined) {
      this.early = undefined;
      this.bodySent = true;
      for (const chunk of early) if (!x.sendBody(chunk)) host.holdClient();
    }
    if (this.endPending && this.request.bodyKind !== BodyKind.None) x.endBody(this.requestTrailersHead);
    host.serverActivity();
    this.flushToServer();
    host.rearm();
    if (this.request.bodyKind !== BodyKind.None) host.resumeClient();
  }

  // ---- request body, from the client side ----

  requestData(chunk: Uint8Array): void {
    // Answered by a rule: the rest of the body goes nowhere (the connection closes after the answer).
    if (this.done) return;
    if (this.service !== undefined) return this.service.data(chunk);
    const x = this.exchange;
    if (x === undefined) {
      // Held until the exchange opens: the chunk may be a view of a buffer that is reused.
      (this.early ??= []).push(chunk.slice());
      return;
    }
    this.bodySent = true;
    this.filters?.requestData(chunk);
    // Body going to the server is activity on its side: a client that keeps
    // sending to a silent server is not cut by timeout server (as HAProxy).
    this.host.serverActivity();
    if (!x.sendBody(chunk)) this.host.holdClient();
  }

  requestTrailers(trailers: Head): void {
    this.requestTrailersHead = trailers;
  }

  requestEnd(): void {
    this.requestComplete = true;
    this.filters?.requestEnd();
    if (this.service !== undefined) return this.service.run();
    const x = this.exchange;
    if (x === undefined) this.endPending = true;
    else x.endBody(this.requestTrailersHead);
  }

  /** Writes what the client sent to the server (called after each client chunk). */
  flushToServer(): void {
    const x = this.exchange;
    if (x === undefined || !x.hasQueued) return;
    if (!x.writeQueued()) this.host.holdClient();
    this.host.serverActivity();
  }

  // ---- ExchangeEvents: the server's side ----

  /** Bytes, or the server's FIN, arrived and are about to be handled. */
  serverEvent(): void {
    this.host.tick();
    this.host.serverActivity();
  }

  drain(): void {
    this.serverEvent();
    this.host.releaseClient();
  }

  responseHead(head: Head): void {
    if (this.retrying) return; // the rest of an attempt given up for a retry
    // retry-on <status>: the head is seen, never relayed, and the request goes again.
    if (head.status >= 200 && this.backend.retryOn.has(head.status as RetryStatus) && this.retryResponse(head.status as RetryStatus)) return;
    const host = this.host;
    const conn = this.conn;
    if (conn !== undefined && !conn.multiplexed && conn.authenticates) {
      // The mux saw NTLM/Negotiate: the server now authenticates this
      // connection, so it is this session's alone, and so is the server
      // (also under http-reuse never, where it was private from the start).
      if (conn.owner === undefined) {
        host.ownership.makePrivate(host.owner, this.server!.pool, conn);
        this.connPrivate = true;
      }
      host.authServer = this.server;
    }
    if (head.status < 200) {
      if (head.status === 101) return this.startTunnel(head);
      // 100 Continue, 103 Early Hints: passed on as they are.
      this.interimSent = true;
      host.writer.interim(head);
      return;
    }
    if (this.tr < 0) this.tr = host.now() - this.started;
    this.server?.state.observer?.observe(observedStatus(head.status));
    if (this.stick !== undefined && this.server !== undefined) this.stick.store(this.server, this.host.now());
    if (this.ruled !== undefined) {
      this.ruled.txn.server = this.server?.name;
      const ruled = responseRules(this.ruled, head, host.now());
      if (ruled instanceof ResponsePause) return this.holdResponse(head, ruled);
      if (ruled === undefined) return this.replaceResponse();
      head = ruled;
    }
    this.sendResponseHead(head);
  }

  /**
   * `option checkcache`: a response a shared cache could keep, with a
   * server's cookie in it, never reaches the client; it gets a 502 instead
   * (logged PH, counted as a denied response), and the operator an alert,
   * HAProxy's words.
   */
  private refuseCacheableCookie(): void {
    const text = `Blocking cacheable cookie in response from instance ${this.backend.name}, server ${this.server?.name ?? "<dispatch>"}.`;
    this.server?.report(text, LEVEL.alert);
    this.refusedCacheable = true;
    this.dropConn();
    this.tr = -1;
    this.fail(502, Cause.proxy, Phase.header);
  }

  /** deny / return / redirect in http-response: the server's answer is dropped with its connection, as HAProxy does. */
  private replaceResponse(): void {
    this.dropConn();
    this.setTermination(this.ruled!.txn.reply!.local === true ? Cause.local : Cause.proxy, Phase.header);
    // HAProxy logs no server response time (%Tr -1) for an answer it replaced.
    this.tr = -1;
    this.replyNow();
  }

  // ---- http-response wait-for-body: the server's answer held until its body came ----

  /** The response the rules wait on: its head, where they paused, and its body so far. */
  private held: { head: Head; pause: ResponsePause; body: BodyWait } | undefined;
  /** When the response rules' wait gives up (Infinity: they wait for nothing). */
  private responseWaitUntil = Infinity;

  private holdResponse(head: Head, pause: ResponsePause): void {
    const body = new BodyWait(head.bodyKind === BodyKind.Length ? head.contentLength : -1, this.host.limits.maxHeadBytes);
    this.held = { head, pause, body };
    this.ruled!.txn.responseBody = body;
    this.waitForResponseBody(body, pause);
  }

  private waitForResponseBody(body: BodyWait, pause: ResponsePause): void {
    body.waitFor(pause.wanted, this.host.now());
    this.responseWaitUntil = body.deadline;
    this.host.rearm();
  }

  /** A chunk or the end of the held response came: the rules go on once the body they wait for is there. */
  private heldResponseMoved(): void {
    const held = this.held!;
    if (!held.body.ready(held.pause.wanted)) return;
    const ruled = responseRules(this.ruled!, held.head, this.host.now(), held.pause);
    if (ruled instanceof ResponsePause) {
      held.pause = ruled;
      return this.waitForResponseBody(held.body, ruled);
    }
    this.held = undefined;
    this.responseWaitUntil = Infinity;
    if (ruled === undefined) return this.replaceResponse();
    this.sendResponseHead(ruled);
    // What came meanwhile goes on as it would have, then the end if it came.
    const out = this.filters ?? this.host.writer;
    for (const chunk of held.body.chunks) out.data(chunk);
    if (held.body.ended) this.responseEnd();
  }

  /**
   * The held response's body did not come in time: HAProxy's 504 (logged sR,
   * no server response time), the server's answer dropped with its connection.
   */
  private responseWaitExpired(): void {
    this.held = undefined;
    this.responseWaitUntil = Infinity;
    this.tr = -1;
    this.fail(504, Cause.serverTimeout, Phase.request);
  }

  private sendResponseHead(head: Head): void {
    const host = this.host;
    // HAProxy's order: http-response rules, the cookies (the captured one, then persistence), then http-after-response.
    if (this.cookieCapture !== undefined) this.serverCookie ??= captureResponseCookie(head, this.cookieCapture);
    const server = this.server;
    // `option checkcache` looks at the server's own Set-Cookie (not one the persistence cookie adds), and at the
    // response as the persistence cookie leaves it (its `nocache` makes it private).
    const serverSetsCookie = this.backend.config.checkCache === true && head.get("set-cookie") !== undefined;
    if (this.cookie !== undefined && server !== undefined) {
      head = this.cookie.response(head, server, server === this.persistServer, this.request.method, Math.floor(this.host.runtime.wallNow() / 1000));
    }
    if (serverSetsCookie && cacheableCookie(head, this.request.method)) return this.refuseCacheableCookie();
    if (this.ruled !== undefined) head = afterResponse(this.ruled, head);
    this.filters = tapResponse(this.filters, this.ruled?.txn.responseSink, host, this.request);
    if (this.filters !== undefined) head = this.filters.responseHead(head);
    this.status = head.status;
    const keepAlive = host.keepsClient && this.requestComplete;
    this.responseStarted = true;
    this.keepClient = host.writer.head(head, this.request, keepAlive);
    host.responseHeadSent?.(this);
  }

  responseData(chunk: Uint8Array): void {
    if (this.retrying) return;
    if (this.held !== undefined) {
      this.held.body.data(chunk);
      return this.heldResponseMoved();
    }
    (this.filters ?? this.host.writer).data(chunk);
  }

  responseTrailers(trailers: Head): void {
    if (this.retrying) return;
    this.responseTrailersHead = trailers;
  }

  responseEnd(): void {
    if (this.retrying) return;
    if (this.held !== undefined) {
      this.held.body.end();
      return this.heldResponseMoved();
    }
    if (this.tunneling) {
      // The 101's head is complete: from here on both directions are raw bytes.
      this.exchange!.tunnel();
      this.host.startTunnel();
      return;
    }
    // Filters end the answer once their last bytes went out (compression answers on a later turn).
    if (this.filters !== undefined) return this.filters.end(this.responseTrailersHead, () => this.finish(true));
    this.host.writer.end(this.responseTrailersHead);
    this.finish(true);
  }

  responseBroken(refusal: ProtocolRefusal): void {
    if (this.retrying) return;
    this.host.noteServerError(refusal, this);
    // retry-on junk-response (never once the response started); a retried failure is not counted by passive checks, as HAProxy's L7 retry comes before its health_adjust.
    if (this.retryResponse("junk-response")) return;
    this.server?.state.observer?.observe(Observed.httpBroken);
    if (this.responseStarted) return this.cut(Cause.serverAbort, Phase.data);
    // The head was refused before anything reached the client: PH, as HAProxy logs it.
    this.fail(502, Cause.proxy, Phase.header);
  }

  /** Flushes response bytes to the client (called after each server chunk). */
  responseFlush(): void {
    this.host.flushToClient();
    if (this.host.contstats !== undefined && !this.done) creditTransfer(this.host.contstats, this, 0, this.bytesToClient, this.now());
  }

  exchangeLost(why: Lost, resetCode?: number): void {
    if (this.retrying) return;
    const host = this.host;
    host.tick();
    if (resetCode !== undefined) this.serverResetCode = resetCode;
    const conn = this.conn;
    this.conn = undefined;
    this.exchange = undefined;
    if (conn !== undefined) host.ownership.discard(host.owner, this.server!.pool, conn);
    if (this.done) return;
    if (this.tunneling) return host.tunnelClosed();
    if (this.responseStarted) return this.cut(Cause.serverAbort, Phase.data);
    const retriesLeft = !this.bodySent && this.retries < this.backend.retries;
    // Never processed by the server (REFUSED_STREAM, above a GOAWAY's last id): sent again on another connection.
    if (why === Lost.refused && retriesLeft) return this.retryFresh();
    if (why === Lost.closedEarly && this.reusedConn) {
      // A kept connection the server closed before answering (invariant 15):
      // an idempotent request that sent no body yet goes again, once per
      // configured retry, on a fresh connection. Otherwise a later request's
      // client is closed without an answer, so that it retries by itself as
      // it would with the server directly; a first request gets a 502.
      if (retriesLeft && IDEMPOTENT.has(this.request.method)) return this.retryFresh();
    }
    // Nothing usable came before the end (HTTP/2: a reset before any final head): retry-on empty-response.
    if (this.retryResponse("empty-response")) return;
    // Passive checks: an answer that never came counts (not a refusal, nor a kept connection closed as it was reused, nor a failure retried above).
    if (why !== Lost.refused && !(why === Lost.closedEarly && this.reusedConn)) this.server?.state.observer?.observe(Observed.httpReadError);
    if (why === Lost.closedEarly && this.reusedConn && host.requests > 1) return this.cut(Cause.serverAbort, Phase.header);
    this.fail(502, Cause.serverAbort, Phase.header);
  }

  private retryFresh(): void {
    this.retries++;
    this.useServer(this.server!, true);
  }

  /** `timeout server` struck while the stream waited on its server. */
  serverTimedOut(): void {
    if (this.responseStarted) return this.cut(Cause.serverTimeout, Phase.data);
    if (this.retryResponse("response-timeout")) return;
    this.fail(504, Cause.serverTimeout, Phase.header);
  }

  /**
   * Sent again after a failure the server may have seen the request before
   * (retry-on empty-response, junk-response, response-timeout, a status):
   * only an idempotent request without a body (sluice keeps no copy of a
   * body; RFC 9110 §9.2.2 for the method), nothing relayed to the client yet.
   * The attempt is dropped (its connection closed) and the retry starts on
   * the next turn, so that what the old exchange still says in this one is
   * not taken for the new one's.
   */
  private retryResponse(failure: RetryCondition): boolean {
    if (this.bodySent || this.interimSent || this.responseStarted || this.request.bodyKind !== BodyKind.None) return false;
    if (!IDEMPOTENT.has(this.request.method) || this.ruled?.txn.l7RetryDisabled === true || !this.mayRetry(failure)) return false;
    const server = this.server!;
    this.dropConn();
    this.connecting = true;
    this.retrying = true;
    this.host.runtime.defer(() => {
      this.retrying = false;
      if (this.done) return;
      this.host.tick();
      // A status came on a sound connection: a kept one may carry the retry; after anything else, a new one.
      if (!this.retryAfter(server, failure, typeof failure !== "number")) this.fail(502, Cause.serverAbort, Phase.header);
    });
    return true;
  }

  // ---- rules' own answers and the response stage ----

  /** `http-request tarpit`: when its answer goes (Infinity: not tarpitted). */
  private tarpitUntil = Infinity;

  /** A tarpitted stream, and one whose response rules wait for the body, waits as a queued one does: the session's timer fires by the earliest. */
  override queueDeadline(): number {
    const q = super.queueDeadline();
    const t = this.tarpitUntil < this.responseWaitUntil ? this.tarpitUntil : this.responseWaitUntil;
    return t < q ? t : q;
  }

  override queueExpired(): void {
    if (this.responseWaitUntil !== Infinity && this.now() >= this.responseWaitUntil) return this.responseWaitExpired();
    if (this.tarpitUntil !== Infinity && this.now() >= this.tarpitUntil) {
      this.tarpitUntil = Infinity;
      // HAProxy's termination state for a tarpit: PT (proxy, tarpit).
      this.setTermination(Cause.proxy, Phase.tarpit);
      // HAProxy logs the time held as the time waited (%Tw).
      this.tw = this.now() - this.started;
      return this.replyNow();
    }
    super.queueExpired();
  }

  /** The backend's content rules rejected the request: the client connection closes without an answer (PR). */
  private readonly rejectNow = (): void => {
    this.host.tick();
    this.cut(Cause.proxy, Phase.request);
  };

  /** Writes the reply the rules chose (`ruled.txn.reply`) as the stream's whole answer. */
  private readonly replyNow = (): void => {
    if (this.done) return;
    const host = this.host;
    host.tick();
    const reply = this.ruled!.txn.reply!;
    if (this.cause === Cause.none) this.setTermination(reply.local === true ? Cause.local : Cause.proxy, Phase.request);
    if (reply.silent === true) {
      // An empty errorfile: no answer; the log says the status all the same (HAProxy: 403, 0 bytes, PR--).
      this.status = reply.logStatus ?? reply.status;
      return this.cut(this.cause, Phase.request);
    }
    let head = replyHead(reply);
    if (reply.cached === true) {
      // A cache hit takes the place of a server's answer: the http-response rules run on it, as HAProxy's do.
      let ruled = responseRules(this.ruled!, head, host.now());
      if (ruled instanceof ResponsePause) {
        // wait-for-body on a stored answer: its whole body is there already.
        const body = new BodyWait(reply.body.length, host.limits.maxHeadBytes);
        body.data(reply.body);
        body.end();
        this.ruled!.txn.responseBody = body;
        while (ruled instanceof ResponsePause) ruled = responseRules(this.ruled!, head, host.now(), ruled);
      }
      // A rule answered instead (deny, return, redirect): that answer goes out.
      if (ruled === undefined) return this.replyNow();
      head = ruled;
    }
    // http-after-response sees sluice's own answers too (its verdicts cannot replace them).
    head = afterResponse(this.ruled!, head);
    this.status = reply.logStatus ?? head.status;
    // A request whose body has not all come in closes the connection after the answer.
    const keepAlive = host.keepsClient && this.requestComplete && reply.close !== true;
    this.responseStarted = true;
    // A cache hit goes through the proxies' filters (compression) as a server's answer does.
    const f = reply.cached === true ? this.filters : undefined;
    this.keepClient = host.writer.head(f === undefined ? head : f.responseHead(head), this.request, keepAlive);
    // HEAD: the head alone, its Content-Length the GET's (HAProxy's).
    if (reply.body.length > 0 && head.bodyKind !== BodyKind.None && this.request.method !== "HEAD") (f ?? host.writer).data(reply.body);
    this.requestComplete = true;
    if (f !== undefined) return f.end(undefined, () => this.finish(true));
    host.writer.end(undefined);
    this.finish(true);
  };

  private startTunnel(head: Head): void {
    this.status = 101;
    if (this.tr < 0) this.tr = this.host.now() - this.started;
    this.responseStarted = true;
    this.tunneling = true;
    this.host.writer.switching(head);
  }

  /** The client half-closed a tunnel: so does the server side. */
  endTunnelWrite(): void {
    this.exchange?.endTunnelWrite();
  }

  /** Both directions are complete: decide the connection's fate and hand back to the session. */
  private finish(responseComplete = false): void {
    if (responseComplete) this.responseComplete = true;
    this.done = true;
    this.filters?.stop();
    this.releaseSlot();
    const conn = this.conn;
    const x = this.exchange;
    this.conn = undefined;
    this.exchange = undefined;
    if (conn !== undefined && x !== undefined) {
      const host = this.host;
      const reusable = this.requestComplete && x.reusable;
      x.done(false);
      host.previousServer = reusable ? this.server : undefined;
      host.ownership.release(host.owner, this.server!.pool, conn, reusable, host.now(), host.maxSessionSrvConns);
    }
    this.host.streamDone(this, this.keepClient);
  }

  /**
   * HAProxy's http_server_redirect: 302 to PREFIX and the request's path
   * (its query too), `cache-control: no-cache`, no body, the connection
   * closed after it; logged as the server's, `LC--` (no connect).
   */
  private redirectTo(prefix: string): void {
    const target = this.request.target;
    const scheme = target.startsWith("/") ? -1 : target.indexOf("://");
    const slash = scheme < 0 ? 0 : target.indexOf("/", scheme + 3);
    const path = slash < 0 ? "/" : target.slice(slash);
    const head = new FieldsHead([["cache-control", "no-cache"], ["content-length", "0"], ["location", prefix + path]], { isRequest: false, status: 302, bodyKind: BodyKind.Length, contentLength: 0 });
    this.setTermination(Cause.local, Phase.connect);
    this.status = 302;
    this.responseStarted = true;
    this.keepClient = this.host.writer.head(head, this.request, false);
    this.host.writer.end(undefined);
    this.requestComplete = true;
    this.finish(true);
  }

  /** Ends the exchange with an error response (nothing was sent to the client yet). */
  fail(status: number, cause: CauseCode, phase: PhaseCode): void {
    if (!this.stop(cause, phase)) return;
    // Passive checks: the server did not answer in time.
    if (cause === Cause.serverTimeout && phase === Phase.header) this.server?.state.observer?.observe(Observed.httpTimeout);
    this.status = status;
    this.host.streamFailed(this, status);
  }

  /** Ends the exchange after the response began: the client connection is cut. */
  cut(cause: CauseCode, phase: PhaseCode): void {
    if (this.stop(cause, phase)) this.host.streamCut(this);
  }

  /**
   * The runtime API's shutdown (HAProxy's stream_shutdown, cause K): before
   * the response began, the client gets HAProxy's 502 (measured on 2.6: a
   * request waiting for its response headers logs 502 and KH--); after, its
   * connection is cut.
   */
  shutdown(cause: CauseCode = Cause.killed): void {
    if (this.done) return;
    if (this.responseStarted) return this.cut(cause, Phase.data);
    const phase = this.queued ? Phase.queue : this.connecting ? Phase.connect : Phase.header;
    this.fail(this.queued ? 503 : 502, cause, phase);
  }

  /** The client went away: the server side is dropped (never pooled mid-exchange). */
  abort(cause: CauseCode): void {
    this.stop(cause, this.phaseNow());
  }

  /** Done before its end: leaves the queue, gives back its slot, drops its connection. False if it was done already. */
  private stop(cause: CauseCode, phase: PhaseCode): boolean {
    if (this.done) return false;
    this.setTermination(cause, phase);
    this.leaveQueue();
    this.done = true;
    this.filters?.stop();
    this.connecting = false;
    this.releaseSlot();
    this.dropConn();
    return true;
  }

  phaseNow(): PhaseCode {
    if (this.queued) return Phase.queue;
    if (this.connecting) return Phase.connect;
    // Still receiving the request body counts as the data phase (HAProxy's CD/cD for an upload cut short).
    return this.responseStarted || !this.requestComplete ? Phase.data : Phase.header;
  }

  /** Bytes written to the client for this stream, head included. */
  get bytesToClient(): number {
    return this.host.writer.bytesOut - this.clientBytesAtStart;
  }

  /** True while the stream waits on the server (for timeout server). */
  get waitingOnServer(): boolean {
    return this.exchange !== undefined && !this.tunneling && !this.responseComplete;
  }

  /** The connection is given up mid-exchange: the exchange cancelled, the connection closed unless others share it (invariant 10). */
  private dropConn(): void {
    const conn = this.conn;
    const x = this.exchange;
    this.conn = undefined;
    this.exchange = undefined;
    x?.done(true);
    if (conn !== undefined) this.host.ownership.discard(this.host.owner, this.server!.pool, conn);
  }

  /** The tunnel timed out: its server side closes. */
  closeServer(): void {
    this.conn?.close();
  }

  /** The client cannot take more (the session paused it) / can again: the server side holds back. */
  pauseServer(): void {
    this.exchange?.pause();
  }

  resumeServer(): void {
    this.exchange?.resume();
  }
}
