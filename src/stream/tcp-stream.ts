// A TCP-mode stream: the client connection piped to one server connection,
// both ways, with backpressure and half-closes; its timeouts; its log line.
// Picking the server, queueing and connecting with retries are the Stream's
// (./stream.ts), exactly as for HTTP. It owns both sockets; it ends when
// both are closed.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";
import { Observed } from "../backend/server-state.ts";
import { connectServer } from "../conn/connect.ts";
import { proxyHeaderV1 } from "../conn/proxy-header.ts";
import type { Txn } from "../rules/types.ts";
import type { ClientTlsOptions, Runtime, Socket, SocketEvents } from "../runtime/types.ts";
import { span } from "./span.ts";
import type { TrafficCounters } from "../conn/counters.ts";
import { countTcpStream } from "./counting.ts";
import { creditTransfer } from "./credit.ts";
import { Stream } from "./stream.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";
import type { TraceFilter } from "./trace.ts";

/** What a TCP stream needs from the session and frontend it belongs to. */
export interface TcpStreamHost {
  readonly clientTimeout: number;
  readonly clientFinTimeout: number | undefined;
  readonly runtime: Pick<Runtime, "connect" | "now">;
  /** The stream's log line is due (at its end, or at its connect under logasap): the session layer reads it. */
  logTcp(stream: TcpStream): void;
  /** `option logasap`: the line is written once the server connection is up (not at the end). */
  readonly logAsap: boolean;
  /** The deadline may have moved. */
  rearm(): void;
  /** Both sockets are closed and the line is logged. */
  streamEnded(): void;
  /** The frontend's traffic counters. */
  readonly counters: TrafficCounters;
  /** `filter trace` of the frontend and this backend (issue 19, compress); undefined: none. */
  traceFilters?(backend: Backend): TraceFilter[] | undefined;
  /** `option contstats`: the counters move with each chunk, not at the end only. */
  readonly contstats?: boolean;
  /** The transaction a server's `sni <expression>` reads; undefined: none (no rules). */
  connectTxn(): Txn | undefined;
}

type State = "connect" | "data" | "closed";

export class TcpStream extends Stream {
  private state: State = "connect";
  /** `option logasap`: logged when the server connection came up. */
  private loggedEarly = false;
  /** Connecting, carrying data, or closed (the runtime API's `show sess`). */
  get activity(): string {
    return this.state;
  }
  private serverSocket: Socket | undefined;
  /** Monotonic ms the stream began (its log's %Tt counts from here). */
  readonly began: number;
  private bytesIn = 0;
  private bytesOut = 0;
  /** Client bytes received before the server connection exists. */
  private early: Uint8Array[] = [];
  private clientEnded = false;
  private clientClosed = false;
  private serverEnded = false;
  private serverClosed = false;
  /** Set while one side is paused because the other cannot take more. */
  private clientHeld = false;
  private serverHeld = false;
  private lastClient: number;
  private lastServer: number;
  private readonly serverEvents: SocketEvents;
  private readonly traces: TraceFilter[] | undefined;

  constructor(private readonly host: TcpStreamHost, backend: Backend, private readonly client: Socket) {
    super(backend);
    this.began = host.runtime.now();
    this.lastClient = this.lastServer = this.began;
    this.traces = host.traceFilters?.(backend);
    this.serverEvents = {
      data: (chunk) => this.onServerData(chunk),
      drain: () => this.onServerDrain(),
      end: () => this.onServerEnd(),
      close: (error) => this.onServerClose(error),
    };
  }

  /** Starts with bytes the client sent while the session waited to be accepted. */
  begin(early: Uint8Array[]): void {
    // The client's events are the stream's from here (a backend's content rules had them until now).
    this.client.events = {
      data: (chunk) => this.onClientData(chunk),
      drain: () => this.onClientDrain(),
      end: () => this.onClientEnd(),
      close: (error) => this.onClientClose(error),
    };
    if (this.traces !== undefined) for (const t of this.traces) t.streamStart(undefined, this.backend.name);
    for (const chunk of early) this.onClientData(chunk);
    if (this.clientClosed) return this.finish();
    if (this.backend.hashes) this.hash = this.backend.requestHash(this.client.remoteAddress, undefined, this.host.connectTxn());
    this.pick();
  }

  /**
   * Ends before any server was picked, the client connection already gone:
   * the backend's content rules rejected it (PR), it left (CR) or a hard stop
   * came (KR) while they looked at its first `bytesIn` bytes. Logged and
   * counted as HAProxy does: `<NOSRV>`, -1 for the times not reached.
   */
  endUnserved(cause: CauseCode, bytesIn: number): void {
    this.bytesIn += bytesIn;
    this.clientClosed = this.serverClosed = true;
    this.setTermination(cause, Phase.request);
    this.finish();
  }

  /** The server connection, once established (the log's %bi / %bp). */
  get serverConnection(): Socket | undefined {
    return this.serverSocket;
  }

  /** Bytes from the client, and to it, so far. */
  get bytesFromClient(): number {
    return this.bytesIn;
  }

  get bytesToClient(): number {
    return this.bytesOut;
  }

  /** Hard stop: both sides closed now. */
  kill(): void {
    if (this.state === "closed") return;
    this.setTermination(Cause.killed, this.currentPhase());
    this.abort();
  }

  /**
   * The runtime API's shutdown: both sides closed now, cause K. HAProxy 2.6
   * logs a stream killed in its data phase `K-` (no phase letter: measured
   * with option tcplog), one still queued or connecting with its phase.
   */
  shutdown(cause: CauseCode = Cause.killed): void {
    if (this.state === "closed") return;
    this.setTermination(cause, this.queued || this.connecting ? this.currentPhase() : Phase.none);
    this.abort();
  }

  protected now(): number {
    return this.host.runtime.now();
  }

  protected rearm(): void {
    this.host.rearm();
  }

  protected noServer(cause: CauseCode, phase: PhaseCode): void {
    this.setTermination(cause, phase);
    this.abort();
  }

  // ---- connect ----

  protected useServer(server: Server): void {
    this.state = "connect";
    this.server = server;
    this.client.pause();
    const began = this.host.runtime.now();
    const c = this.client;
    const proxyHeader = server.sendProxy ? proxyHeaderV1(c.remoteAddress, c.remotePort, c.localAddress, c.localPort) : "";
    connectServer(
      this.host.runtime,
      { ...server.targetFor(c), timeoutMs: this.backend.timeouts.connect, proxyHeader, tls: this.tlsTo(server), keepAlive: server.tcpKeepAlive, socks4: server.socks4, source: server.source },
      this.serverEvents,
      (socket) => {
        server.state.observer?.observe(Observed.connectOk);
        this.onConnected(socket, began);
      },
      (error) => this.onConnectFailed(server, error),
    );
  }

  /** The server's TLS, named by its `sni <expression>` for this connection when it has one. */
  private tlsTo(server: Server): ClientTlsOptions | undefined {
    const sniOf = server.sniOf;
    if (sniOf === undefined) return server.tls;
    const txn = this.host.connectTxn();
    return server.tlsFor(txn === undefined ? "" : sniOf(txn)).tls;
  }

  private onConnected(socket: Socket, began: number): void {
    if (!this.connecting || this.clientClosed) {
      // The stream ended or the client left while we connected: no one to serve.
      this.connecting = false;
      socket.destroy();
      if (this.state !== "closed") {
        this.serverSocket = socket;
        this.finish();
      }
      return;
    }
    this.connecting = false;
    this.serverSocket = socket;
    this.state = "data";
    const now = this.host.runtime.now();
    this.tc = now - began;
    this.lastClient = this.lastServer = now;
    for (const chunk of this.early) this.forwardToServer(chunk);
    this.early = [];
    if (this.clientEnded) socket.end();
    if (!this.clientHeld) this.client.resume();
    this.rearm();
    if (this.host.logAsap) {
      this.loggedEarly = true;
      this.host.logTcp(this);
    }
  }

  private onConnectFailed(server: Server, error: unknown): void {
    if (this.connecting && this.clientClosed) {
      // The client left while we connected: nothing to retry for.
      server.connectFailures++;
      this.connecting = false;
      return this.finish();
    }
    this.connectFailed(server, error);
  }

  // ---- client side ----

  private onClientData(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    if (this.traces !== undefined) for (const t of this.traces) t.payload("REQUEST", chunk);
    if (this.host.contstats === true) creditTransfer(this.host.counters, this, this.bytesIn, this.bytesOut, this.host.runtime.now());
    this.lastClient = this.host.runtime.now();
    if (this.state !== "data") {
      this.early.push(chunk);
      this.client.pause();
      return;
    }
    this.forwardToServer(chunk);
  }

  private forwardToServer(chunk: Uint8Array): void {
    const socket = this.serverSocket!;
    if (socket.write(chunk)) {
      this.lastServer = this.host.runtime.now();
    } else if (!this.clientHeld) {
      this.clientHeld = true;
      this.client.pause();
    }
  }

  private onClientDrain(): void {
    this.lastClient = this.host.runtime.now();
    if (this.serverHeld) {
      this.serverHeld = false;
      this.serverSocket?.resume();
      this.rearm();
    }
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.state === "data") this.serverSocket!.end();
    else if (this.bytesIn === 0 && (this.queued || this.connecting)) {
      // Closed before sending a byte, the server connection not up yet: there is nothing to carry, so
      // HAProxy gives the connect up (logged CC, or CQ from a queue; -1 for Tc) rather than open an empty exchange.
      this.setTermination(Cause.clientAbort, this.queued ? Phase.queue : Phase.connect);
      this.abort();
    }
  }

  private onClientClose(error: Error | undefined): void {
    this.clientClosed = true;
    const aborted = error !== undefined || !this.clientEnded;
    if (this.queued) {
      this.leaveQueue();
      this.setTermination(Cause.clientAbort, Phase.queue);
      return this.finish();
    }
    if (this.connecting) {
      // The pending connect settles later and finishes the stream.
      this.setTermination(Cause.clientAbort, Phase.connect);
      return;
    }
    if (this.state !== "data") return;
    if (aborted && !this.serverClosed) {
      this.setTermination(Cause.clientAbort, Phase.data);
      this.serverSocket!.destroy();
    }
    this.maybeFinish();
  }

  // ---- server side ----

  private onServerData(chunk: Uint8Array): void {
    this.bytesOut += chunk.length;
    if (this.traces !== undefined) for (const t of this.traces) t.payload("RESPONSE", chunk);
    if (this.host.contstats === true) creditTransfer(this.host.counters, this, this.bytesIn, this.bytesOut, this.host.runtime.now());
    const now = this.host.runtime.now();
    this.lastServer = now;
    if (this.client.write(chunk)) {
      this.lastClient = now;
    } else if (!this.serverHeld) {
      this.serverHeld = true;
      this.serverSocket!.pause();
    }
  }

  private onServerDrain(): void {
    this.lastServer = this.host.runtime.now();
    if (this.clientHeld) {
      this.clientHeld = false;
      this.client.resume();
      this.rearm();
    }
  }

  private onServerEnd(): void {
    this.serverEnded = true;
    this.client.end();
  }

  private onServerClose(error: Error | undefined): void {
    this.serverClosed = true;
    if (this.state !== "data") return;
    const aborted = error !== undefined || !this.serverEnded;
    if (aborted && !this.clientClosed) {
      this.setTermination(Cause.serverAbort, Phase.data);
      this.client.destroy();
    }
    this.maybeFinish();
  }

  // ---- timeouts ----

  private clientLimit(): number {
    const fin = this.clientEnded ? this.host.clientFinTimeout : undefined;
    return span(fin || this.host.clientTimeout);
  }

  private serverLimit(): number {
    const t = this.backend.timeouts;
    return span((this.serverEnded ? t.serverFin : undefined) || t.server);
  }

  /** `timeout tunnel`, when set, replaces the client and server timeouts once connected. */
  private tunnelLimit(): number | undefined {
    const tunnel = this.backend.timeouts.tunnel;
    return tunnel !== undefined && tunnel > 0 ? tunnel : undefined;
  }

  /** Monotonic time at which the next timeout may expire (Infinity: none). */
  deadline(): number {
    if (this.queued) return this.queueDeadline();
    if (this.state !== "data") return Infinity;
    const tunnel = this.tunnelLimit();
    if (tunnel !== undefined) return Math.max(this.lastClient, this.lastServer) + tunnel;
    // A side we paused ourselves is not idle through its own fault.
    const c = this.serverHeld ? Infinity : this.lastClient + this.clientLimit();
    const s = this.clientHeld ? Infinity : this.lastServer + this.serverLimit();
    return Math.min(c, s);
  }

  /** The session's timer fired. */
  onTimer(): void {
    const now = this.host.runtime.now();
    if (this.queued) {
      if (now < this.queueDeadline()) return this.rearm();
      return this.queueExpired();
    }
    if (this.state !== "data") return;
    const tunnel = this.tunnelLimit();
    let cause: CauseCode | undefined;
    if (tunnel !== undefined) {
      if (now >= Math.max(this.lastClient, this.lastServer) + tunnel) cause = Cause.clientTimeout;
    } else if (!this.serverHeld && now >= this.lastClient + this.clientLimit()) {
      cause = Cause.clientTimeout;
    } else if (!this.clientHeld && now >= this.lastServer + this.serverLimit()) {
      cause = Cause.serverTimeout;
    }
    if (cause === undefined) return this.rearm();
    this.setTermination(cause, Phase.data);
    this.abort();
  }

  // ---- the end ----

  private currentPhase(): PhaseCode {
    if (this.queued) return Phase.queue;
    if (this.connecting) return Phase.connect;
    return Phase.data;
  }

  /** Closes both sides now; the stream ends when both closes arrived. */
  private abort(): void {
    this.leaveQueue();
    const wasConnecting = this.connecting && this.serverSocket === undefined;
    this.connecting = false;
    this.state = "data"; // from here on, only closes are awaited
    if (wasConnecting || this.serverSocket === undefined) this.serverClosed = true;
    this.client.destroy();
    this.serverSocket?.destroy();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.clientClosed && this.serverClosed) this.finish();
  }

  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.traces !== undefined) for (const t of this.traces) t.streamStop();
    if (!this.clientClosed) this.client.destroy();
    const server = this.server;
    if (server !== undefined) {
      server.bytesIn += this.bytesIn;
      server.bytesOut += this.bytesOut;
    }
    this.releaseSlot();
    const now = this.host.runtime.now();
    countTcpStream(this.host.counters, this, this.bytesIn, this.bytesOut, now, now - this.began);
    // Logged before the session ends: HAProxy's %ac and %fc count the connection being logged (its server slot is already let go: %bc, %sc).
    if (!this.loggedEarly) this.host.logTcp(this);
    this.host.streamEnded();
  }
}
