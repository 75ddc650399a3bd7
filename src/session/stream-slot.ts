// One request stream of a multiplexed session (an HTTP/2 client connection):
// the host its HttpStream sees (HttpStreamHost), the sink its mux stream
// feeds (RequestSink) and the subject of its own log line. Backpressure is
// this stream's alone: a server that cannot take more body holds this
// stream's window; a client that does not open this stream's window pauses
// this stream's server. Its timeouts (server, client, a closed window) are
// its own too; the session's one timer fires for the earliest of them.
import type { TrafficCounters } from "../conn/counters.ts";
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import type { RequestSink, ServerStream } from "../conn/server-mux.ts";
import type { Owner } from "../conn/types.ts";
import { defaultErrorPage } from "../http/error-pages.ts";
import { proxyErrorPage } from "./proxy-error-page.ts";
import type { Txn } from "../rules/types.ts";
import { pageFor } from "../http/raw-response.ts";
import { ErrorCode } from "../http2/constants.ts";
import type { Head, HeadLimits, ProtocolRefusal } from "../http/message.ts";
import type { Ownership } from "../pool/ownership.ts";
import type { Runtime, Socket, Timers } from "../runtime/types.ts";
import type { HttpStream } from "../stream/http-stream.ts";
import { span } from "../stream/span.ts";
import { Cause, Phase } from "../stream/termination.ts";
import type { HttpStreamHost } from "../stream/types.ts";
import type { HttpLogSubject } from "./log-subject.ts";
import type { HttpSessionHost } from "./http-session.ts";
import { pageAfterResponse } from "../stream/response-rules.ts";
import type { PendingRequest } from "./pending-request.ts";

/** What a slot needs from its session. */
export interface SlotSession extends Owner {
  readonly host: HttpSessionHost;
  readonly client: Socket;
  readonly defaultBackend: Backend;
  readonly acceptDate: number;
  readonly accepted: number;
  readonly proxyHeader: string;
  readonly stopping: boolean;
  authServer: Server | undefined;
  previousServer: Server | undefined;
  now(): number;
  tick(): number;
  /** The timer fires by `at` at the latest. */
  armBy(at: number): void;
  /** Its request data arrived in the chunk being handled: flush it to the server after the chunk. */
  touch(slot: StreamSlot): void;
  /** The slot is over (logged, its mux stream closed or closing). */
  slotDone(slot: StreamSlot): void;
  /** The whole connection goes now, with GOAWAY `code` (a backend's `tcp-request content reject`). */
  closeConnection(code: number): void;
}

export class StreamSlot implements HttpStreamHost<HttpStream>, RequestSink, HttpLogSubject {
  stream: HttpStream | undefined;
  /** A request whose rules wait for its body (option http-buffer-request, wait-for-body): no stream yet. */
  pending: PendingRequest | undefined;
  readonly requestStart: number;
  readonly idleSince: number;
  bytesIn = 0;
  readonly httpVersion = "HTTP/2.0";
  /** The HttpStream is over and logged; the slot waits for its answer to leave. */
  logged = false;
  /** Flushed to the server after the client chunk being handled. */
  touched = false;
  private lastClient: number;
  private lastServer: number;
  /** The server cannot take more body: the stream's window is held. */
  private clientHeld = false;
  /** The client's window is closed: the server's side is paused. */
  private serverHeld = false;
  private over = false;
  /**
   * An extended CONNECT (RFC 8441): "waiting" until its server switches
   * protocols (what the client sends meanwhile is kept), then "open": a
   * tunnel, bytes both ways as DATA.
   */
  private tunnel: "none" | "waiting" | "open" = "none";
  private tunnelBytes: Uint8Array[] | undefined;
  private tunnelEnd = false;

  constructor(
    readonly session: SlotSession,
    readonly writer: ServerStream,
    /** Requests of the session so far, this one included (1: the first, for http-reuse safe). */
    readonly requests: number,
  ) {
    this.requestStart = this.idleSince = this.lastClient = this.lastServer = session.now();
    // Its header block is what the client sent for it so far (the log's %U).
    this.bytesIn = writer.headBytes;
  }

  // ---- HttpStreamHost: the session's facts ----

  get owner(): Owner {
    return this.session;
  }
  get runtime(): Pick<Runtime, "connect" | keyof Timers> {
    return this.session.host.runtime;
  }
  get ownership(): Ownership {
    return this.session.host.ownership;
  }
  get limits(): HeadLimits {
    return this.session.host.limits;
  }
  get maxSessionSrvConns(): number {
    return this.session.host.maxSessionSrvConns;
  }
  /** One stream's end never closes an HTTP/2 connection (GOAWAY does, when the proxy stops). */
  get keepsClient(): boolean {
    return !this.session.stopping;
  }
  get clientDestination(): Socket {
    return this.session.client;
  }

  get clientAddress(): string {
    return this.session.client.remoteAddress;
  }

  get proxyHeader(): string {
    return this.session.proxyHeader;
  }
  get authServer(): Server | undefined {
    return this.session.authServer;
  }
  set authServer(server: Server | undefined) {
    this.session.authServer = server;
  }
  get contstats(): TrafficCounters | undefined {
    return this.session.host.contstats;
  }
  get previousServer(): Server | undefined {
    return this.session.previousServer;
  }
  set previousServer(server: Server | undefined) {
    this.session.previousServer = server;
  }
  now(): number {
    return this.session.now();
  }
  tick(): number {
    return this.session.tick();
  }
  rearm(): void {
    this.session.armBy(this.deadline());
  }

  // ---- HttpLogSubject ----

  get id(): number {
    return this.session.id;
  }
  get client(): Socket {
    return this.session.client;
  }
  get host(): { readonly name: string } {
    return this.session.host;
  }
  get defaultBackend(): Backend {
    return this.session.defaultBackend;
  }
  /** A stream of a multiplexed connection is logged from its own start, as HAProxy does (its Tt is the stream's, not the connection's). */
  get acceptDate(): number {
    return this.session.acceptDate + Math.round(this.requestStart - this.session.accepted);
  }
  get accepted(): number {
    return this.requestStart;
  }

  // ---- backpressure ----

  serverActivity(): void {
    this.lastServer = this.now();
  }

  holdClient(): void {
    if (this.clientHeld) return;
    this.clientHeld = true;
    this.writer.hold();
  }

  releaseClient(): void {
    if (!this.clientHeld) return;
    this.clientHeld = false;
    this.writer.release();
    this.rearm();
  }

  resumeClient(): void {
    if (!this.clientHeld) this.writer.release();
  }

  /** The answer's bytes were given to the mux: if they wait on the client's window, the server side pauses. */
  flushToClient(): void {
    const stream = this.stream;
    if (this.writer.queuedBytes === 0 || this.serverHeld || stream === undefined || stream.exchange === undefined) return;
    this.serverHeld = true;
    stream.pauseServer();
    this.rearm();
  }

  // ---- the stream's outcomes ----

  streamDone(stream: HttpStream, _keepClient: boolean): void {
    this.log(stream, stream.status);
    this.finish();
  }

  streamFailed(stream: HttpStream, status: number): void {
    // The error page is sent before the line is written: its bytes are the stream's %B, as HAProxy counts them.
    const page = proxyErrorPage(status, stream.backend, this.session.host, stream.ruled?.txn) ?? defaultErrorPage(status);
    this.writer.page(pageFor(stream.request.method, pageAfterResponse(stream.ruled, page)));
    this.log(stream, status);
    this.finish();
  }

  streamCut(stream: HttpStream): void {
    this.log(stream, stream.status);
    // A backend's `tcp-request content reject` kills the connection, as HAProxy 2.6 does: the stream reset,
    // then GOAWAY, both ENHANCE_YOUR_CALM, and the other streams aborted.
    if (stream.ruled?.rejected === true) {
      this.writer.reset("cancel", ErrorCode.ENHANCE_YOUR_CALM);
      this.finish();
      return this.session.closeConnection(ErrorCode.ENHANCE_YOUR_CALM);
    }
    // A server's reset reaches the client with its own code (gRPC maps it to the call's status). Else, as
    // HAProxy: NO_ERROR when the client had sent its whole request (a timeout or a server gone mid-answer:
    // gRPC's INTERNAL, never read as the client's own cancel), CANCEL when it was still sending.
    const code = stream.serverResetCode >= 0 ? stream.serverResetCode : stream.requestComplete ? ErrorCode.NO_ERROR : ErrorCode.CANCEL;
    this.writer.reset("cancel", code);
    this.finish();
  }

  /** An extended CONNECT: the stream becomes a tunnel if its server switches protocols; until then the client's bytes wait. */
  awaitTunnel(): void {
    this.tunnel = "waiting";
    this.writer.hold();
  }

  /**
   * The server switched protocols. The writer sent the client a 200 if the
   * stream was an extended CONNECT whose key the server accepted; else it
   * reset the stream (no 101 can reach an HTTP/2 client): the server side goes too.
   */
  startTunnel(): void {
    const stream = this.stream;
    if (this.tunnel !== "waiting" || this.writer.closed || stream === undefined) {
      stream?.cut(Cause.proxy, Phase.data);
      return;
    }
    this.tunnel = "open";
    const held = this.tunnelBytes;
    this.tunnelBytes = undefined;
    if (held !== undefined) for (const chunk of held) stream.requestData(chunk);
    if (this.tunnelEnd) {
      // What the client sent goes out before its FIN.
      stream.flushToServer();
      stream.endTunnelWrite();
    }
    this.writer.release();
    this.session.touch(this);
    this.rearm();
  }

  tunnelClosed(): void {
    const stream = this.stream;
    if (stream !== undefined && !this.logged) this.log(stream, stream.status);
    // The server's side ended: so does the stream's (END_STREAM after what is still queued).
    this.writer.end(undefined);
    this.finish();
  }

  responseHeadSent(stream: HttpStream): void {
    this.session.host.logEarly?.(this, stream);
  }

  noteServerError(refusal: ProtocolRefusal, stream: HttpStream): void {
    this.session.host.countProtocolError("response", refusal, this.client, stream);
  }

  /** The proxy's page for `status` (else sluice's own) on this stream, built with `txn` when it has one; then the slot is over once it left. */
  answer(status: number, backend: Backend, txn?: Txn): void {
    this.writer.page(proxyErrorPage(status, backend, this.session.host, txn) ?? defaultErrorPage(status));
    this.finish();
  }

  /** The stream begins: a body still to come waits in the client's window until a connection is ready. */
  startStream(stream: HttpStream): void {
    this.stream = stream;
    if (!stream.requestComplete) this.writer.hold();
    stream.start();
    this.rearm();
  }

  /** The rules waited for the body and decided: the stream gets the body held so far, then starts. */
  private decided(pending: PendingRequest, stream: HttpStream): void {
    this.pending = undefined;
    pending.body.replay(stream);
    this.startStream(stream);
    this.session.touch(this);
  }

  /** The stream of a request whose body wait cannot end well (a bad body, a timeout): made for its answer and log line. */
  private settlePending(): HttpStream {
    const stream = this.pending!.unfinished();
    this.pending = undefined;
    this.stream = stream;
    return stream;
  }

  // ---- RequestSink: the client's side ----

  requestData(chunk: Uint8Array): void {
    this.lastClient = this.now();
    this.bytesIn += chunk.length;
    const pending = this.pending;
    if (pending !== undefined) {
      const stream = pending.data(chunk, this.now());
      if (stream !== undefined) this.decided(pending, stream);
      return;
    }
    // The tunnel is not open yet: kept (a copy, the chunk's buffer is reused) until it is, or dropped with the stream.
    if (this.tunnel === "waiting") {
      (this.tunnelBytes ??= []).push(chunk.slice());
      return;
    }
    const stream = this.stream;
    // A stream already over (answered early, failed) takes no more body: nothing would ever drain it.
    if (stream === undefined || stream.done) return;
    stream.requestData(chunk);
    this.session.touch(this);
  }

  requestTrailers(trailers: Head): void {
    if (this.pending !== undefined) return this.pending.trailers(trailers);
    this.stream?.requestTrailers(trailers);
  }

  requestEnd(): void {
    const pending = this.pending;
    if (pending !== undefined) {
      const stream = pending.end(this.now());
      if (stream !== undefined) this.decided(pending, stream);
      return;
    }
    if (this.tunnel === "waiting") {
      this.tunnelEnd = true;
      return;
    }
    // The client closed its side of the tunnel: so does the server side (a half-close), after what it sent.
    if (this.tunnel === "open") {
      this.stream?.flushToServer();
      this.stream?.endTunnelWrite();
    } else {
      this.stream?.requestEnd();
    }
    this.session.touch(this);
  }

  requestBroken(refusal: ProtocolRefusal): void {
    this.session.host.countProtocolError("request", refusal);
    if (this.pending !== undefined) this.settlePending();
    const stream = this.stream;
    if (stream !== undefined && !stream.done) {
      stream.abort(Cause.proxy);
      this.log(stream, refusal.status);
    }
    this.finish();
  }

  streamAborted(): void {
    this.session.tick();
    if (this.pending !== undefined) {
      // Gone while the rules waited for its body: they decide on what came, and the request goes no further (CR).
      this.stream = this.pending.clientGone(this.now());
      this.pending = undefined;
      this.log(this.stream, this.stream.status);
      return this.finish();
    }
    const stream = this.stream;
    if (stream !== undefined && !stream.done) {
      stream.abort(Cause.clientAbort);
      this.log(stream, stream.status);
    }
    this.finish();
  }

  streamDrain(): void {
    this.lastClient = this.session.tick();
    if (this.serverHeld) {
      this.serverHeld = false;
      this.stream?.resumeServer();
    }
    if (this.logged) this.finish();
    else this.rearm();
  }

  // ---- timeouts ----

  /** The earliest of this stream's deadlines (monotonic ms), or Infinity. */
  deadline(): number {
    const client = span(this.session.host.timeouts.client);
    const blocked = this.writer.blockedSince;
    let d = blocked >= 0 ? blocked + client : Infinity;
    // Waiting for the body: the wait's own time, and the client's inactivity.
    if (this.pending !== undefined) return Math.min(d, this.pending.deadline, this.lastClient + client);
    const stream = this.stream;
    if (stream === undefined || stream.done) return d;
    if (this.tunnel === "open") return Math.min(d, Math.max(this.lastClient, this.lastServer) + span(this.tunnelTimeout(stream)));
    d = Math.min(d, stream.queueDeadline());
    if (stream.waitingOnServer && !this.serverHeld) d = Math.min(d, this.lastServer + span(stream.serverTimeout));
    if (this.clientOwesBody(stream)) d = Math.min(d, this.lastClient + client);
    return d;
  }

  /**
   * The client owes request body and nothing else bounds the wait: while the
   * stream waits on its server, timeout server does (a silent bidirectional
   * stream, a gRPC call, is cut by timeout server, as HAProxy's HTTP/2 streams
   * are), and timeout client applies to the connection alone.
   */
  private clientOwesBody(stream: HttpStream): boolean {
    return !stream.requestComplete && !this.clientHeld && !stream.waitingOnServer;
  }

  /** The session's timer fired at `now`: whatever of this stream's deadlines passed ends it. */
  expire(now: number): void {
    const client = span(this.session.host.timeouts.client);
    const stream = this.stream;
    const blocked = this.writer.blockedSince;
    if (this.pending !== undefined) {
      if (now < this.pending.deadline && now < this.lastClient + client) return;
      // The body did not come in time: HAProxy's 408 (cR).
      return this.settlePending().fail(408, Cause.clientTimeout, Phase.request);
    }
    if (stream === undefined || stream.done) {
      // Its answer waits on a window the client never opens (zero-window hold): the stream goes.
      if (blocked >= 0 && now >= blocked + client) {
        this.writer.reset("cancel");
        this.finish();
      }
      return;
    }
    if (this.tunnel === "open") {
      // A tunnel idle both ways for `timeout tunnel` (else the longer of client and server): both sides go.
      if (now < Math.max(this.lastClient, this.lastServer) + span(this.tunnelTimeout(stream))) return;
      stream.setTermination(Cause.clientTimeout, Phase.data);
      stream.closeServer();
      this.writer.reset("cancel");
      return;
    }
    if (now >= stream.queueDeadline()) return stream.queueExpired();
    if (stream.waitingOnServer && !this.serverHeld && now >= this.lastServer + span(stream.serverTimeout)) {
      return stream.serverTimedOut();
    }
    if (blocked >= 0 && now >= blocked + client) return stream.cut(Cause.clientTimeout, Phase.data);
    if (this.clientOwesBody(stream) && now >= this.lastClient + client) {
      if (stream.responseStarted) return stream.cut(Cause.clientTimeout, Phase.data);
      stream.abort(Cause.clientTimeout);
      this.log(stream, 408);
      this.answer(408, stream.backend, stream.ruled?.txn);
    }
  }

  /** HAProxy's: `timeout tunnel`, else the longer of `timeout client` and `timeout server`. */
  private tunnelTimeout(stream: HttpStream): number {
    return stream.tunnelTimeout || Math.max(this.session.host.timeouts.client, stream.serverTimeout);
  }

  // ---- the end ----

  private log(stream: HttpStream, status: number): void {
    if (this.logged) return;
    this.logged = true;
    this.session.host.logStream(this, stream, status, stream.cause, stream.phase);
  }

  /** Over once its answer left (or the stream was reset): the session forgets it. */
  private finish(): void {
    this.logged = true;
    if (this.over || !this.writer.closed) return;
    this.over = true;
    this.session.slotDone(this);
  }
}
