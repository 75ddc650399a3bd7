// An HTTP/1.1 client connection: its request parser, its streams one at a
// time (pipelined requests wait their turn), keep-alive between them, the
// timeouts of each phase, and the byte tunnel after a 101.
import type { Backend } from "../core/backend.ts";
import type { Server } from "../core/server.ts";
import type { Ownership } from "../pool/ownership.ts";
import { SessionConns } from "../pool/session-conns.ts";
import type { Owner } from "../pool/types.ts";
import { H1Parser } from "../http1/parser.ts";
import { BodyKind, type H1Error, type H1Events, type H1Limits, type Head } from "../http1/types.ts";
import type { Runtime, Socket, SocketEvents, TimerHandle, Timers } from "../runtime/types.ts";
import type { Clock } from "../core/clock.ts";
import { Corked } from "./corked.ts";
import { errorPage } from "./error-pages.ts";
import type { AddedFields, ForwardingPlan } from "./forwarding.ts";
import { HttpStream } from "./http-stream.ts";
import { proxyHeaderV1 } from "./proxy-header.ts";
import { span } from "./span.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";

/** What an HTTP session needs from the frontend that accepted it. */
export interface HttpSessionHost {
  readonly name: string;
  readonly runtime: Pick<Runtime, "connect" | keyof Timers>;
  /** Read once per event: tick() where an event enters, now() everywhere else. */
  readonly clock: Clock;
  readonly limits: H1Limits;
  readonly timeouts: {
    client: number;
    httpRequest?: number;
    httpKeepAlive?: number;
  };
  readonly errorFiles: Readonly<Record<number, Uint8Array>>;
  /** The one API that moves backend connections between sessions and pools. */
  readonly ownership: Ownership;
  /** `max-session-srv-conns`: idle private connections a session keeps. */
  readonly maxSessionSrvConns: number;
  /** Effective connection modes: keep the client / server connections alive between requests. */
  readonly clientKeepAlive: boolean;
  serverKeepAlive(backend: Backend): boolean;
  forwarding(backend: Backend): ForwardingPlan;
  /** One log line per stream (or per refused request, stream undefined). */
  logStream(session: HttpSession, stream: HttpStream | undefined, status: number, cause: CauseCode, phase: PhaseCode): void;
  sessionEnded(session: HttpSession): void;
  /** Counts a refused request or response (strict codec) by its code. */
  countProtocolError(side: "request" | "response", error: H1Error): void;
}

type SessionState = "idle" | "head" | "stream" | "tunnel" | "closing" | "closed";

let nextSessionId = 1;
const NO_FIELDS: Readonly<AddedFields> = Object.freeze([]) as Readonly<AddedFields>;


export class HttpSession implements Owner {
  readonly id = nextSessionId++;
  /** Backend connections this session owns (private). */
  readonly conns = new SessionConns();
  /** The server that challenged with NTLM/Negotiate: later requests go there (invariant 13). */
  authServer: Server | undefined;
  readonly acceptDate: number;
  readonly accepted: number;
  state: SessionState = "idle";
  stream: HttpStream | undefined;
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
  private readonly parser: H1Parser;
  private readonly out = new Corked();
  /** Bytes for the server of the current stream (streams take turns, so they share it). */
  readonly serverOut = new Corked();
  private timer: TimerHandle | undefined;
  private inClientChunk = false;

  constructor(
    readonly host: HttpSessionHost,
    readonly backend: Backend,
    readonly client: Socket,
  ) {
    this.serverKeepAlive = host.serverKeepAlive(backend);
    this.plan = host.forwarding(backend);
    const now = host.clock.tick();
    this.acceptDate = host.runtime.wallNow();
    this.accepted = this.requestStart = this.idleSince = this.lastClient = this.lastServer = now;
    const parserEvents: H1Events = {
      head: (head) => this.onRequestHead(head),
      data: (chunk) => this.stream?.requestData(chunk),
      trailers: (t) => this.stream?.requestTrailers(t),
      end: () => this.stream?.requestEnd(),
      error: (e) => this.onRequestError(e),
    };
    this.parser = new H1Parser("request", parserEvents, host.limits);
    const socketEvents: SocketEvents = {
      data: (chunk) => this.onClientData(chunk),
      drain: () => this.onClientDrain(),
      end: () => this.onClientEnd(),
      close: () => this.onClientClose(),
    };
    client.events = socketEvents;
  }

  get runtime(): Pick<Runtime, "connect" | keyof Timers> {
    return this.host.runtime;
  }

  get ownership(): Ownership {
    return this.host.ownership;
  }

  /** The PROXY v1 line for servers with send-proxy (and the reuse key of those connections). */
  get proxyHeader(): string {
    const c = this.client;
    return this.#proxyHeader ??= proxyHeaderV1(c.remoteAddress, c.remotePort, c.localAddress, c.localPort);
  }
  #proxyHeader: string | undefined;

  get limits(): H1Limits {
    return this.host.limits;
  }

  get clientKeepAlive(): boolean {
    return this.host.clientKeepAlive;
  }

  /** Keep server connections alive between requests (frontend and backend modes, fixed for the session). */
  readonly serverKeepAlive: boolean;
  /** The fields this frontend and backend add to forwarded requests. */
  private readonly plan: ForwardingPlan;

  /** The time of the event being handled (monotonic ms). */
  now(): number {
    return this.host.clock.now;
  }

  /** Reads the clock: first thing in every handler of an event from outside (socket, timer, connect). */
  tick(): number {
    return this.host.clock.tick();
  }

  begin(early: Uint8Array[]): void {
    for (const chunk of early) this.onClientData(chunk);
    this.rearm();
  }

  kill(): void {
    if (this.state === "closed") return;
    const stream = this.stream;
    if (stream !== undefined && stream.state !== "done") {
      stream.abort(Cause.killed);
      this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
      this.stream = undefined;
    }
    this.client.destroy();
  }

  /**
   * The proxy is stopping: an idle connection closes now, a busy one after
   * its current response (which says `Connection: close`).
   */
  softStop(): void {
    this.stopping = true;
    if (this.state === "idle") this.closeClient();
  }
  stopping = false;

  // ---- client side ----

  private onClientData(chunk: Uint8Array): void {
    this.lastClient = this.tick();
    if (this.state === "idle") {
      this.state = "head";
      this.requestStart = this.lastClient;
    }
    this.bytesIn += chunk.length;
    this.inClientChunk = true;
    this.parser.push(chunk);
    this.inClientChunk = false;
    this.stream?.flushToServer();
    this.flushToClient();
  }

  private onClientDrain(): void {
    this.lastClient = this.tick();
    if (this.serverHeld) {
      this.serverHeld = false;
      this.stream?.resumeServer();
      this.rearm();
    }
  }

  private onClientEnd(): void {
    this.tick();
    this.clientEnded = true;
    if (this.state === "tunnel") {
      this.stream?.conn?.endWrite();
      return;
    }
    if (this.state === "idle" || this.state === "head" && this.stream === undefined) {
      // Nothing (complete) was asked: leave quietly, as a server would.
      if (this.state === "head") this.host.logStream(this, undefined, -1, Cause.clientAbort, Phase.request);
      this.closeClient();
      return;
    }
    // A half-closed client still gets its answer (HAProxy without abortonclose).
    this.parser.finish();
  }

  private onClientClose(): void {
    this.tick();
    const stream = this.stream;
    if (stream !== undefined && stream.state !== "done") {
      stream.abort(Cause.clientAbort);
      this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    }
    this.stream = undefined;
    this.finish();
  }

  private onRequestHead(head: Head): void {
    this.requests++;
    this.state = "stream";
    // An HTTP/1.0 request without Host goes out as HTTP/1.1, which requires
    // one: an empty Host, as RFC 9112 §3.2 says for a target without authority.
    let added: AddedFields | undefined;
    if (!head.hasHost) added = [["Host", ""]];
    const plan = this.plan;
    if (!plan.empty) {
      plan.add(head, {
        clientAddress: this.client.remoteAddress,
        frontendAddress: this.client.localAddress,
        frontendPort: this.client.localPort,
      }, (added ??= []));
    }
    const stream = new HttpStream(this, head, this.backend, added ?? NO_FIELDS);
    this.stream = stream;
    // Until a connection is ready, the client's further bytes wait in the kernel.
    if (head.bodyKind !== BodyKind.None) this.client.pause();
    stream.start();
    this.rearm();
  }

  private onRequestError(error: H1Error): void {
    this.host.countProtocolError("request", error);
    const stream = this.stream;
    if (stream !== undefined && stream.state !== "done") {
      // A bad request body: the server got part of it, so its connection goes too.
      if (stream.responseStarted) return stream.cut(Cause.clientAbort, Phase.data);
      stream.abort(Cause.proxy);
      return this.streamFailed(stream, error.status);
    }
    this.respondAndClose(error.status);
    this.host.logStream(this, undefined, error.status, Cause.proxy, Phase.request);
  }

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

  // ---- towards the client ----

  toClient(bytes: Uint8Array): void {
    this.out.push(bytes);
  }

  flushToClient(): void {
    if (this.out.empty) return;
    this.clientBytesOut += this.out.size;
    if (!this.out.writeTo(this.client)) {
      if (!this.serverHeld && this.stream !== undefined && (this.stream.conn !== undefined || this.stream.h2x !== undefined)) {
        this.serverHeld = true;
        this.stream.pauseServer();
      }
    } else {
      this.lastClient = this.now();
    }
  }
  /** Bytes written to the client on this connection. */
  clientBytesOut = 0;

  private respondAndClose(status: number): void {
    this.out.reset();
    this.out.push(errorPage(status, this.backend.errorFiles, this.host.errorFiles));
    this.flushToClient();
    this.closeClient();
  }

  private closeClient(): void {
    if (this.state === "closed" || this.state === "closing") return;
    this.state = "closing";
    this.client.end();
    this.rearm();
  }

  // ---- stream outcomes ----

  streamDone(stream: HttpStream, keepClient: boolean): void {
    this.flushToClient();
    this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    this.stream = undefined;
    this.bytesIn = 0;
    if (!keepClient || this.clientEnded || this.stopping) return this.closeClient();
    this.state = "idle";
    this.idleSince = this.now();
    this.rearm();
    // The next pipelined request, if one is waiting, starts now.
    this.parser.next();
    if (!this.inClientChunk) {
      // parser.next() may have started the next stream (TS cannot see it).
      (this.stream as HttpStream | undefined)?.flushToServer();
      this.flushToClient();
    }
  }

  streamFailed(stream: HttpStream, status: number): void {
    this.host.logStream(this, stream, status, stream.cause, stream.phase);
    this.stream = undefined;
    this.respondAndClose(status);
  }

  streamCut(stream: HttpStream): void {
    this.flushToClient();
    this.host.logStream(this, stream, stream.status, stream.cause, stream.phase);
    this.stream = undefined;
    this.client.destroy();
  }

  noteServerError(error: H1Error): void {
    this.host.countProtocolError("response", error);
  }

  // ---- tunnel after 101 ----

  startTunnel(): void {
    this.state = "tunnel";
    // Bytes the client sent after its request head were held until now: they go first.
    this.parser.tunnel();
    this.stream?.flushToServer();
    this.rearm();
  }

  tunnelClosed(): void {
    const stream = this.stream;
    if (stream !== undefined) {
      stream.state = "done";
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
    const at = this.deadline();
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      this.host.runtime.clearTimer(this.timer);
      this.timer = undefined;
    }
    if (!Number.isFinite(at)) return;
    this.timerAt = at;
    this.timer = this.host.runtime.setTimer(this.onTimer, Math.max(1, Math.ceil(at - this.now())));
  }
  private timerAt = Infinity;

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
        const stream = this.stream!;
        let d = stream.queueDeadline();
        if (stream.waitingOnServer && !this.serverHeld) d = Math.min(d, this.lastServer + span(this.backend.timeouts.server));
        if (this.expectingClient(stream)) d = Math.min(d, this.lastClient + span(t.client));
        return d;
      }
      case "tunnel": {
        const limit = this.backend.timeouts.tunnel || Math.max(t.client, this.backend.timeouts.server);
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

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.state === "closed") return;
    const now = this.tick();
    if (now < this.deadline()) return this.rearm();
    switch (this.state) {
      case "idle":
        // An idle keep-alive (or silent new) connection just goes.
        this.closeClient();
        return;
      case "head":
        this.respondAndClose(408);
        this.host.logStream(this, undefined, 408, Cause.clientTimeout, Phase.request);
        return;
      case "stream": {
        const stream = this.stream!;
        if (now >= stream.queueDeadline()) return stream.queueExpired();
        if (stream.waitingOnServer && now >= this.lastServer + span(this.backend.timeouts.server)) {
          if (stream.responseStarted) return stream.cut(Cause.serverTimeout, Phase.data);
          return stream.fail(504, Cause.serverTimeout, Phase.header);
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
        this.stream?.conn?.close();
        this.client.destroy();
        return;
      case "closing":
        this.client.destroy();
        return;
    }
  };

  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.timer !== undefined) this.host.runtime.clearTimer(this.timer);
    this.timer = undefined;
    // Its private connections close with it; none goes to a shared pool.
    this.host.ownership.sessionEnded(this);
    this.host.sessionEnded(this);
  }
}
