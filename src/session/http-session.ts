// An HTTP client session: the client connection through its server-side mux
// (HTTP/1.1 now), its streams one at a time (pipelined requests wait their
// turn), keep-alive between them, the timeouts of each phase, the byte
// tunnel after a 101, and the backend connections it owns.
import type { TrafficCounters } from "../conn/counters.ts";
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { proxyHeaderV1 } from "../conn/proxy-header.ts";
import type { ResponseWriter, ServerMuxEvents } from "../conn/server-mux.ts";
import type { Owner } from "../conn/types.ts";
import { defaultErrorPage } from "../http/error-pages.ts";
import { type ErrorPageSource, proxyErrorPage } from "./proxy-error-page.ts";
import { pageFor } from "../http/raw-response.ts";
import { BodyKind, type Head, type HeadLimits, type ProtocolRefusal } from "../http/message.ts";
import { H1ServerMux } from "../http1/server-mux.ts";
import type { Ownership } from "../pool/ownership.ts";
import { SessionConns } from "../pool/session-conns.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Runtime, Socket, Timers } from "../runtime/types.ts";
import type { RefusedAt } from "./refused-at.ts";
import type { HttpStream } from "../stream/http-stream.ts";
import { span } from "../stream/span.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "../stream/termination.ts";
import type { HttpStreamHost } from "../stream/types.ts";
import type { ForwardingPlan } from "./forwarding.ts";
import type { EndedSession, HttpLogSubject } from "./log-subject.ts";
import { Session, type SessionActivity } from "./session.ts";
import { openStream } from "./open-stream.ts";
import { PendingRequest } from "./pending-request.ts";
import type { RulesHost } from "./request-rules.ts";
import { pageAfterResponse } from "../stream/response-rules.ts";

/** What an HTTP session needs from the frontend that accepted it. */
export interface HttpSessionHost {
  readonly name: string;
  /** `option h1-case-adjust-bogus-client`: how responses to HTTP/1 clients name fields. */
  readonly caseAdjust?: ReadonlyMap<string, string> | undefined;
  /** `option contstats`: the frontend's counters, given response bytes as they go; undefined: counted at each request's end. */
  readonly contstats: TrafficCounters | undefined;
  /** `option logasap`: a stream's line is written when its response head leaves (http-host.ts). */
  logEarly?(subject: HttpLogSubject, stream: HttpStream): void;
  readonly runtime: Pick<Runtime, "connect" | keyof Timers>;
  /** Read once per event: tick() where an event enters, now() everywhere else. */
  readonly clock: Clock;
  readonly limits: HeadLimits;
  readonly timeouts: {
    client: number;
    httpRequest?: number;
    httpKeepAlive?: number;
  };
  readonly errorFiles: ErrorPageSource["errorFiles"];
  readonly errorFormats?: ErrorPageSource["errorFormats"];
  /** The one API that moves backend connections between sessions and pools. */
  readonly ownership: Ownership;
  /** `max-session-srv-conns`: idle private connections a session keeps. */
  readonly maxSessionSrvConns: number;
  /** `option idle-close-on-response`: a soft stop leaves an idle keep-alive connection to its next request. */
  readonly idleCloseOnResponse?: boolean;
  /** `option http-ignore-probes`: a new connection that never sent a byte goes without 408, log line or count. */
  readonly ignoreProbes?: boolean;
  /** Effective connection modes: keep the client / server connections alive between requests. */
  readonly clientKeepAlive: boolean;
  serverKeepAlive(backend: Backend): boolean | "pretend";
  forwarding(backend: Backend): ForwardingPlan;
  /**
   * Which backend serves this request: the phase where the frontend's
   * request rules will run (use_backend); until they exist, the default
   * backend. A session is not bound to one backend: each stream has its own.
   */
  chooseBackend(request: Head, defaultBackend: Backend): Backend;
  /** The request stage of rules; undefined when the frontend and its backends have none. */
  readonly rulesHost: RulesHost | undefined;
  /**
   * A multiplexed connection's own line, no request counted (HAProxy's
   * sess_log: status 0, "<BADREQ>"): a protocol error of the connection, or a
   * client gone before its preface was whole.
   */
  logConnection(subject: HttpLogSubject, cause: CauseCode, phase: PhaseCode): void;
  /** One log line per stream (or per refused request, stream undefined). */
  logStream(subject: HttpLogSubject, stream: HttpStream | undefined, status: number, cause: CauseCode, phase: PhaseCode): void;
  sessionEnded(session: EndedSession): void;
  /** Counts a refused request or response (strict codec) by its code. */
  countProtocolError(side: "request" | "response", refusal: ProtocolRefusal, client?: Socket, stream?: RefusedAt): void;
}

type SessionState = "idle" | "head" | "stream" | "tunnel" | "closing" | "closed";

export class HttpSession extends Session implements Owner, HttpStreamHost<HttpStream>, ServerMuxEvents, HttpLogSubject {
  /** Backend connections this session owns (private). */
  readonly conns = new SessionConns();
  /** The server that challenged with NTLM/Negotiate: later requests go there (invariant 13). */
  authServer: Server | undefined;
  previousServer: Server | undefined;
  /** `option contstats`: the frontend's counters, given response bytes as they go. */
  get contstats(): TrafficCounters | undefined {
    return this.host.contstats;
  }
  readonly accepted: number;
  state: SessionState = "idle";
  stream: HttpStream | undefined;
  /** A request whose rules wait for its body (option http-buffer-request, wait-for-body): no stream yet. */
  private pending: PendingRequest | undefined;
  /** Requests seen on this connection. */
  requests = 0;
  clientEnded = false;
  /** Bytes received from the client for the current stream. */
  bytesIn = 0;
  /** When the current request's first byte came (for Ti/TR and timeout http-request). */
  requestStart: number;
  /** When the session began waiting for its current (or next) request: accept, or the end of the previous one. */
  idleSince: number;
  private lastClient: number;
  private lastServer: number;
  /** We paused the client because the server cannot take more. */
  private clientHeld = false;
  /** We paused the server because the client cannot take more. */
  private serverHeld = false;
  /** The client's protocol: requests in, answers out. */
  private readonly mux: H1ServerMux;
  private inClientChunk = false;
  /** A stream failed while its request was being parsed: the next request is awaited once that chunk is done. */
  private nextAfterChunk = false;

  /**
   * @param defaultBackend the frontend's default_backend: its error pages and
   * timeouts apply while no stream has chosen a backend of its own.
   */
  constructor(
    readonly host: HttpSessionHost,
    readonly defaultBackend: Backend,
    client: Socket,
  ) {
    super(client, host.runtime);
    const now = host.clock.tick();
    this.accepted = this.requestStart = this.idleSince = this.lastClient = this.lastServer = now;
    this.mux = new H1ServerMux(client, host.limits, this, host.caseAdjust);
  }

  /** The owner of the backend connections its streams use: the session itself. */
  get owner(): Owner {
    return this;
  }

  get runtime(): Pick<Runtime, "connect" | keyof Timers> {
    return this.host.runtime;
  }

  get ownership(): Ownership {
    return this.host.ownership;
  }

  get writer(): ResponseWriter {
    return this.mux;
  }

  /** The client's address (balance source hashes it). */
  get clientDestination(): Socket {
    return this.client;
  }

  get clientAddress(): string {
    return this.client.remoteAddress;
  }

  /** The PROXY v1 line for servers with send-proxy (and the reuse key of those connections). */
  get proxyHeader(): string {
    const c = this.client;
    return this.#proxyHeader ??= proxyHeaderV1(c.remoteAddress, c.remotePort, c.localAddress, c.localPort);
  }
  #proxyHeader: string | undefined;

  get limits(): HeadLimits {
    return this.host.limits;
  }

  get keepsClient(): boolean {
    return this.host.clientKeepAlive && !this.clientEnded && !this.stopping;
  }

  get maxSessionSrvConns(): number {
    return this.host.maxSessionSrvConns;
  }

  /** Bytes written to the client on this connection. */
  get clientBytesOut(): number {
    return this.mux.bytesOut;
  }

  /** The time of the event being handled (monotonic ms). */
  now(): number {
    return this.host.clock.now;
  }

  /** Reads the clock: first thing in every handler of an event from outside (socket, timer, connect). */
  tick(): number {
    return this.host.clock.tick();
  }

  begin(early: Uint8Array[]): void {
    for (const chunk of early) this.mux.onData(chunk);
    this.rearm();
  }

  activity(): SessionActivity {
    const stream = this.stream;
    return { backend: stream?.backend.name, server: stream?.server?.name, state: this.state };
  }

  kill(): void {
    if (this.state === "closed") return;
    if (this.pending !== undefined) this.stream = this.settlePending();
    const stream = this.stream;
    if (stream !== undefined && !stream.done) {
      stream.abort(Cause.killed);
      this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
      this.stream = undefined;
    }
    this.client.destroy();
  }

  shutdown(server?: Server, cause: CauseCode = Cause.killed): number {
    const stream = this.stream;
    if (stream !== undefined && !stream.done && (server === undefined || stream.holds(server))) {
      stream.shutdown(cause);
      return 1;
    }
    if (server !== undefined || this.state === "closed") return 0;
    // `shutdown session` on a connection between requests: it closes.
    this.kill();
    return 1;
  }

  /**
   * The proxy is stopping: an idle keep-alive connection closes now, a busy
   * one after its current response (which says `Connection: close`). A
   * connection that has not sent its first request yet (accepted as the stop
   * began: a reload's old worker empties its accept queue) is not idle but
   * early: its request is served, with `Connection: close`. Under `option
   * idle-close-on-response` an idle one waits for its next request too (or
   * its keep-alive timeout).
   */
  softStop(): void {
    this.stopping = true;
    if (this.state === "idle" && this.requests > 0 && !this.host.idleCloseOnResponse) this.closeClient();
  }
  stopping = false;

  // ---- ServerMuxEvents: the client side ----

  clientBytes(n: number): void {
    this.lastClient = this.tick();
    if (this.state === "idle") {
      this.state = "head";
      this.requestStart = this.lastClient;
    }
    this.bytesIn += n;
    this.inClientChunk = true;
  }

  clientChunkDone(): void {
    this.inClientChunk = false;
    if (this.nextAfterChunk) {
      this.nextAfterChunk = false;
      if (this.state === "idle") return this.startNext();
    }
    this.stream?.flushToServer();
    this.flushToClient();
  }

  clientDrain(): void {
    this.lastClient = this.tick();
    if (this.serverHeld) {
      this.serverHeld = false;
      this.stream?.resumeServer();
      this.rearm();
    }
  }

  clientEnd(): void {
    this.tick();
    this.clientEnded = true;
    if (this.state === "tunnel") {
      this.stream?.endTunnelWrite();
      return;
    }
    // A new connection closed before its first byte: HAProxy answers (to a half-closed client), logs and counts a 400 (CR--), unless http-ignore-probes.
    if (this.state === "idle" && this.requests === 0 && this.host.ignoreProbes !== true) {
      this.respondAndClose(400);
      this.host.logStream(this, undefined, 400, Cause.clientAbort, Phase.request);
      return;
    }
    if (this.pending !== undefined) return this.clientGoneWhileWaiting();
    if (this.state === "idle" || this.state === "head" && this.stream === undefined) {
      // Nothing (complete) was asked: leave quietly, as a server would.
      if (this.state === "head") this.host.logStream(this, undefined, -1, Cause.clientAbort, Phase.request);
      this.closeClient();
      return;
    }
    // option abortonclose: a request still waiting for a server (queued, or its connection not
    // yet established) is dropped, as HAProxy does (CQ/CC); without it, a half-closed client still gets its answer.
    const stream = this.stream;
    if (stream !== undefined && !stream.done && stream.backend.config.abortOnClose === true && (stream.queued || stream.connecting)) {
      stream.abort(Cause.clientAbort);
      this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
      this.stream = undefined;
      return this.closeClient();
    }
    this.mux.finish();
  }

  clientClose(): void {
    this.tick();
    if (this.pending !== undefined) {
      const stream = this.pending.clientGone(this.now());
      this.pending = undefined;
      this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
      this.stream = undefined;
      return this.finish();
    }
    const stream = this.stream;
    if (stream !== undefined && !stream.done) {
      stream.abort(Cause.clientAbort);
      this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    }
    this.stream = undefined;
    this.finish();
  }

  requestHead(head: Head): void {
    // Answered and closing (an error page, a server's early answer with
    // close): what the client still sends is neither served nor logged.
    if (this.state === "closing" || this.state === "closed") return;
    this.requests++;
    this.state = "stream";
    const opened = openStream(this.host, this, head, this.client, this.defaultBackend, this.now());
    if (opened instanceof PendingRequest) {
      // The rules wait for the body: the client keeps sending (up to the buffer's room) until they decide.
      this.pending = opened;
      return this.rearm();
    }
    this.startStream(opened, head.bodyKind !== BodyKind.None);
  }

  private startStream(stream: HttpStream, bodyToCome: boolean): void {
    this.stream = stream;
    // Until a connection is ready, the client's further bytes wait in the kernel.
    if (bodyToCome) this.client.pause();
    stream.start();
    this.rearm();
  }

  /** The rules waited for the body and decided: the stream gets the body held so far, then starts. */
  private decided(pending: PendingRequest, stream: HttpStream): void {
    this.pending = undefined;
    pending.body.replay(stream);
    this.startStream(stream, !stream.requestComplete);
  }

  requestData(chunk: Uint8Array): void {
    const pending = this.pending;
    if (pending === undefined) return this.stream?.requestData(chunk);
    const stream = pending.data(chunk, this.now());
    if (stream !== undefined) this.decided(pending, stream);
  }

  requestTrailers(trailers: Head): void {
    if (this.pending !== undefined) return this.pending.trailers(trailers);
    this.stream?.requestTrailers(trailers);
  }

  requestEnd(): void {
    const pending = this.pending;
    if (pending === undefined) return this.stream?.requestEnd();
    const stream = pending.end(this.now());
    if (stream !== undefined) this.decided(pending, stream);
  }

  /** The stream of a request whose body wait cannot end well (a bad body, a kill, a timeout): made for its answer and log line. */
  private settlePending(): HttpStream {
    const stream = this.pending!.unfinished();
    this.pending = undefined;
    return stream;
  }

  /**
   * The client ended its side while the rules waited for its body: as
   * HAProxy, the rules decide on what came and the request goes no further:
   * no answer, logged CR, the connection closed.
   */
  private clientGoneWhileWaiting(): void {
    const stream = this.pending!.clientGone(this.now());
    this.pending = undefined;
    this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    this.closeClient();
  }

  requestError(refusal: ProtocolRefusal): void {
    if (this.state === "closing" || this.state === "closed") return;
    this.host.countProtocolError("request", refusal, this.client);
    if (this.pending !== undefined) this.stream = this.settlePending();
    const stream = this.stream;
    if (stream !== undefined && !stream.done) {
      // A bad request body: the server got part of it, so its connection goes too.
      if (stream.responseStarted) return stream.cut(Cause.clientAbort, Phase.data);
      stream.abort(Cause.proxy);
      return this.streamFailed(stream, refusal.status);
    }
    this.respondAndClose(refusal.status);
    this.host.logStream(this, undefined, refusal.status, Cause.proxy, Phase.request);
  }

  // ---- what the stream asks of its session ----

  /** Pauses the client while the server cannot take more. */
  holdClient(): void {
    if (this.clientHeld) return;
    this.clientHeld = true;
    this.client.pause();
  }

  releaseClient(): void {
    if (!this.clientHeld) return;
    this.clientHeld = false;
    this.client.resume();
    this.rearm();
  }

  /** The stream got its connection: the client may send its body. */
  resumeClient(): void {
    if (!this.clientHeld) this.client.resume();
  }

  serverActivity(): void {
    this.lastServer = this.now();
  }

  flushToClient(): void {
    if (this.mux.flushed) return;
    if (!this.mux.flush()) {
      if (!this.serverHeld && this.stream?.exchange !== undefined) {
        this.serverHeld = true;
        this.stream.pauseServer();
      }
    } else {
      this.lastClient = this.now();
    }
  }

  /**
   * sluice's own page for an error before a request's head was read whole (a
   * bad or truncated head, a timeout, a probe), then the connection closes. As
   * HAProxy 2.6's HTTP/1 multiplexer, whose pages there are always its
   * built-in ones: an `errorfile 400`/`408` (or http-error, or http-errors
   * import) of the frontend is not used at that stage (measured on 2.6.12).
   */
  private respondAndClose(status: number): void {
    this.mux.replaceOutput(defaultErrorPage(status));
    this.flushToClient();
    this.closeClient();
  }

  private closeClient(): void {
    if (this.state === "closed" || this.state === "closing") return;
    this.state = "closing";
    this.client.end();
    this.rearm();
  }

  streamDone(stream: HttpStream, keepClient: boolean): void {
    this.flushToClient();
    this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    this.stream = undefined;
    this.bytesIn = 0;
    if (!keepClient || this.clientEnded || this.stopping) return this.closeClient();
    this.nextRequest();
  }

  /** Idle again, waiting for the next request; one pipelined already starts now. */
  private nextRequest(): void {
    this.idleAgain();
    this.startNext();
  }

  private idleAgain(): void {
    this.state = "idle";
    this.idleSince = this.now();
    this.rearm();
  }

  /** The parser goes on to the next request: one pipelined already starts now. */
  private startNext(): void {
    this.mux.next();
    if (!this.inClientChunk) {
      // next() may have started the next stream (TS cannot see it).
      (this.stream as HttpStream | undefined)?.flushToServer();
      this.flushToClient();
    }
  }

  streamFailed(stream: HttpStream, status: number): void {
    this.stream = undefined;
    // As HAProxy, the connection stays after a page of sluice's own (502, 503, 504) when the request was read
    // whole and may be followed by another; an errorfile is sent as it is, and the connection closes after it.
    const file = proxyErrorPage(status, stream.backend, this.host, stream.ruled?.txn);
    const keep = file === undefined && this.keepsClient && stream.requestComplete && stream.request.keepAlive;
    // The page is sent before the line is written: its bytes are the stream's %B, as HAProxy counts them.
    this.mux.replaceOutput(pageFor(stream.request.method, pageAfterResponse(stream.ruled, file ?? defaultErrorPage(status, keep))));
    this.flushToClient();
    this.host.logStream(this, stream, status, stream.cause, stream.phase);
    if (!keep) return this.closeClient();
    this.bytesIn = 0;
    // A request with a body paused the client until a connection was ready; none will be.
    this.client.resume();
    this.idleAgain();
    // Failed at once, from inside its own head's parsing (no server at all): the parser ends that message first.
    if (this.inClientChunk) this.nextAfterChunk = true;
    else this.startNext();
  }

  streamCut(stream: HttpStream): void {
    this.flushToClient();
    this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    this.stream = undefined;
    this.client.destroy();
  }

  responseHeadSent(stream: HttpStream): void {
    this.host.logEarly?.(this, stream);
  }

  noteServerError(refusal: ProtocolRefusal, stream: HttpStream): void {
    this.host.countProtocolError("response", refusal, this.client, stream);
  }

  // ---- tunnel after 101 ----

  startTunnel(): void {
    this.state = "tunnel";
    // Bytes the client sent after its request head were held until now: they go first.
    this.mux.tunnel();
    this.stream?.flushToServer();
    this.rearm();
  }

  tunnelClosed(): void {
    const stream = this.stream;
    if (stream !== undefined) {
      stream.done = true;
      this.host.logStream(this, stream, 101, stream.cause, stream.phase);
      this.stream = undefined;
    }
    this.flushToClient();
    this.closeClient();
  }

  // ---- timeouts: one timer, re-armed when it fires ----

  /** Makes sure the timer fires by the current deadline (a later one just re-arms when it fires). */
  rearm(): void {
    if (this.state === "closed") return;
    this.armTimer(this.deadline());
  }

  private deadline(): number {
    const t = this.host.timeouts;
    switch (this.state) {
      case "idle":
        return this.requests === 0
          ? this.accepted + span(t.httpRequest || t.client)
          : this.idleSince + span(t.httpKeepAlive || t.httpRequest || t.client);
      case "head":
        return this.requestStart + span(t.httpRequest || t.client);
      case "stream": {
        // Waiting for the body: the wait's own time, and the client's inactivity (HAProxy's CF_READ_TIMEOUT).
        if (this.pending !== undefined) return Math.min(this.pending.deadline, this.lastClient + span(t.client));
        const stream = this.stream!;
        let d = stream.queueDeadline();
        if (stream.waitingOnServer && !this.serverHeld) d = Math.min(d, this.lastServer + span(stream.serverTimeout));
        if (this.expectingClient(stream)) d = Math.min(d, this.lastClient + span(t.client));
        return d;
      }
      case "tunnel": {
        // The stream's own (http-request set-timeout), else its backend's: `timeout tunnel`, else the longer of client and server.
        const stream = this.stream;
        const b = this.defaultBackend.timeouts;
        const limit = stream !== undefined ? stream.tunnelTimeout || Math.max(t.client, stream.serverTimeout) : b.tunnel || Math.max(t.client, b.server);
        return Math.max(this.lastClient, this.lastServer) + span(limit);
      }
      case "closing":
        return this.lastClient + span(this.host.timeouts.client);
      default:
        return Infinity;
    }
  }

  /** The client owes us bytes (request body) or has bytes to take (response), and we did not pause it. */
  private expectingClient(stream: HttpStream): boolean {
    if (this.clientHeld) return false;
    return !stream.requestComplete || this.client.pending > 0;
  }

  protected onTimer(): void {
    if (this.state === "closed") return;
    const now = this.tick();
    if (now < this.deadline()) return this.rearm();
    switch (this.state) {
      case "idle":
        // A new connection that never sent a byte: HAProxy's 408 (cR--), logged and counted, unless http-ignore-probes.
        if (this.requests === 0 && this.host.ignoreProbes !== true) {
          this.respondAndClose(408);
          this.host.logStream(this, undefined, 408, Cause.clientTimeout, Phase.request);
          return;
        }
        // An idle keep-alive connection just goes.
        this.closeClient();
        return;
      case "head":
        this.respondAndClose(408);
        this.host.logStream(this, undefined, 408, Cause.clientTimeout, Phase.request);
        return;
      case "stream": {
        if (this.pending !== undefined) {
          // The body did not come in time: HAProxy's 408, cR, the connection closed after it.
          const late = this.settlePending();
          this.stream = late;
          return late.fail(408, Cause.clientTimeout, Phase.request);
        }
        const stream = this.stream!;
        if (now >= stream.queueDeadline()) return stream.queueExpired();
        if (stream.waitingOnServer && now >= this.lastServer + span(stream.serverTimeout)) {
          return stream.serverTimedOut();
        }
        stream.setTermination(Cause.clientTimeout, stream.phaseNow());
        if (!stream.responseStarted && !stream.requestComplete) {
          stream.abort(Cause.clientTimeout);
          return this.streamFailed(stream, 408);
        }
        return stream.cut(Cause.clientTimeout, Phase.data);
      }
      case "tunnel":
        this.stream?.setTermination(Cause.clientTimeout, Phase.data);
        this.stream?.closeServer();
        this.client.destroy();
        return;
      case "closing":
        this.client.destroy();
        return;
    }
  }

  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.cancelTimer();
    // Its private connections close with it; none goes to a shared pool.
    this.host.ownership.sessionEnded(this);
    this.host.sessionEnded(this);
  }
}
