// A TCP-mode session: one client connection piped to one server connection.
// It owns both sockets and its one timer; it ends when both sockets are closed.
import type { Backend, QueueWaiter } from "../core/backend.ts";
import type { Server } from "../core/server.ts";
import type { TcpLogRecord } from "../log/tcp-log.ts";
import { ConnectError, type Runtime, type Socket, type SocketEvents, type TimerHandle, type Timers } from "../runtime/types.ts";
import { span } from "./span.ts";
import { proxyHeaderV1 } from "./proxy-header.ts";
import { Cause, type CauseCode, Phase, type PhaseCode } from "./termination.ts";

/** What a session needs from the frontend that accepted it. */
export interface SessionHost {
  readonly name: string;
  readonly clientTimeout: number;
  readonly clientFinTimeout: number | undefined;
  readonly current: number;
  readonly runtime: Pick<Runtime, "connect" | keyof Timers>;
  logTcp(record: TcpLogRecord): void;
  sessionEnded(session: TcpSession): void;
}

type State = "queue" | "connect" | "data" | "closed";



let nextSessionId = 1;

export class TcpSession implements QueueWaiter {
  readonly id = nextSessionId++;
  readonly tried = new Set<Server>();
  private state: State = "connect";
  private server: Server | undefined;
  private serverSocket: Socket | undefined;
  private retries = 0;
  /** True while this session holds a slot on `server` (taken by the backend, released once). */
  private slotHeld = false;
  private readonly acceptDate: Date;
  private readonly start: number;
  private queueStart = -1;
  private tw = -1;
  private tc = -1;
  private bytesIn = 0;
  private bytesOut = 0;
  private cause: CauseCode = Cause.none;
  private phase: PhaseCode = Phase.none;
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
  private timer: TimerHandle | undefined;
  private readonly clientEvents: SocketEvents;
  private readonly serverEvents: SocketEvents;

  constructor(
    private readonly host: SessionHost,
    private readonly backend: Backend,
    private readonly client: Socket,
  ) {
    this.start = host.runtime.now();
    this.acceptDate = new Date(host.runtime.wallNow());
    this.lastClient = this.lastServer = this.start;
    this.clientEvents = {
      data: (chunk) => this.onClientData(chunk),
      drain: () => this.onClientDrain(),
      end: () => this.onClientEnd(),
      close: (error) => this.onClientClose(error),
    };
    this.serverEvents = {
      data: (chunk) => this.onServerData(chunk),
      drain: () => this.onServerDrain(),
      end: () => this.onServerEnd(),
      close: (error) => this.onServerClose(error),
    };
    client.events = this.clientEvents;
  }

  /** Starts with bytes the client sent while the session waited to be accepted. */
  begin(early: Uint8Array[]): void {
    for (const chunk of early) this.onClientData(chunk);
    this.findServer();
  }

  /** Hard stop: both sides closed now. */
  kill(): void {
    if (this.state === "closed") return;
    this.setTermination(Cause.killed);
    this.abort();
  }

  granted(server: Server): void {
    if (this.state !== "queue") {
      this.backend.release(server);
      return;
    }
    this.slotHeld = true;
    this.tw = this.host.runtime.now() - this.queueStart;
    this.connectTo(server);
  }

  // ---- server selection, queue and connect with retries ----

  private findServer(): void {
    if (this.clientClosed) return this.finish();
    const pick = this.backend.take(this.tried);
    if (typeof pick !== "string") {
      this.slotHeld = true;
      if (this.tw < 0) this.tw = 0;
      return this.connectTo(pick);
    }
    if (pick === "none") {
      this.setTermination(Cause.serverAbort, Phase.connect);
      return this.abort();
    }
    this.state = "queue";
    this.queueStart = this.host.runtime.now();
    this.backend.enqueue(this);
    this.armTimer();
  }

  private connectTo(server: Server): void {
    this.state = "connect";
    this.server = server;
    this.client.pause();
    const began = this.host.runtime.now();
    this.host.runtime.connect(
      { hostname: server.host, port: server.port, timeoutMs: this.backend.timeouts.connect },
      this.serverEvents,
    ).then(
      (socket) => this.onConnected(socket, began),
      (error) => this.onConnectFailed(server, error),
    );
  }

  private onConnected(socket: Socket, began: number): void {
    if (this.state !== "connect" || this.clientClosed) {
      // The session ended or the client left while we connected: no one to serve.
      socket.destroy();
      if (this.state !== "closed") {
        this.serverSocket = socket;
        this.finish();
      }
      return;
    }
    this.serverSocket = socket;
    this.state = "data";
    const now = this.host.runtime.now();
    this.tc = now - began;
    this.lastClient = this.lastServer = now;
    if (this.server!.sendProxy) {
      const c = this.client;
      this.forwardToServer(new TextEncoder().encode(proxyHeaderV1(c.remoteAddress, c.remotePort, c.localAddress, c.localPort)));
    }
    for (const chunk of this.early) this.forwardToServer(chunk);
    this.early = [];
    if (this.clientEnded) socket.end();
    if (!this.clientHeld) this.client.resume();
    this.armTimer();
  }

  private onConnectFailed(server: Server, error: unknown): void {
    server.connectFailures++;
    this.tried.add(server);
    this.releaseSlot(server);
    this.server = undefined;
    if (this.state !== "connect") return;
    if (this.clientClosed) return this.finish();
    if (this.retries < this.backend.retries) {
      this.retries++;
      return this.findServer();
    }
    const timedOut = error instanceof ConnectError && error.code === "timeout";
    this.setTermination(timedOut ? Cause.serverTimeout : Cause.serverAbort, Phase.connect);
    this.server = server;
    this.abort();
  }

  // ---- client side ----

  private onClientData(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
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
      this.armTimer();
    }
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.state === "data") this.serverSocket!.end();
  }

  private onClientClose(error: Error | undefined): void {
    this.clientClosed = true;
    const aborted = error !== undefined || !this.clientEnded;
    if (this.state === "queue") {
      this.backend.dequeue(this);
      this.setTermination(Cause.clientAbort, Phase.queue);
      return this.finish();
    }
    if (this.state === "connect") {
      // The pending connect settles later and finishes the session.
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
      this.armTimer();
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

  // ---- timeouts: one timer per session, re-armed only when it fires ----

  private armTimer(): void {
    if (this.timer !== undefined || this.state === "closed") return;
    const delay = this.nextDeadline() - this.host.runtime.now();
    if (!Number.isFinite(delay)) return;
    this.timer = this.host.runtime.setTimer(() => {
      this.timer = undefined;
      this.onTimer();
    }, Math.max(1, Math.ceil(delay)));
  }

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
  private nextDeadline(): number {
    if (this.state === "queue") {
      return this.queueStart + span(this.backend.timeouts.queue || this.backend.timeouts.connect);
    }
    if (this.state !== "data") return Infinity;
    const tunnel = this.tunnelLimit();
    if (tunnel !== undefined) return Math.max(this.lastClient, this.lastServer) + tunnel;
    // A side we paused ourselves is not idle through its own fault.
    const c = this.serverHeld ? Infinity : this.lastClient + this.clientLimit();
    const s = this.clientHeld ? Infinity : this.lastServer + this.serverLimit();
    return Math.min(c, s);
  }

  private onTimer(): void {
    const now = this.host.runtime.now();
    if (this.state === "queue") {
      if (now < this.nextDeadline()) return this.armTimer();
      this.backend.dequeue(this);
      this.tw = now - this.queueStart;
      this.setTermination(Cause.serverTimeout, Phase.queue);
      return this.abort();
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
    if (cause === undefined) return this.armTimer();
    this.setTermination(cause, Phase.data);
    this.abort();
  }

  // ---- the end ----

  private setTermination(cause: CauseCode, phase?: PhaseCode): void {
    if (this.cause !== Cause.none) return;
    this.cause = cause;
    this.phase = phase ?? this.currentPhase();
  }

  private currentPhase(): PhaseCode {
    if (this.state === "queue") return Phase.queue;
    if (this.state === "connect") return Phase.connect;
    return Phase.data;
  }

  /** Closes both sides now; the session ends when both closes arrived. */
  private abort(): void {
    if (this.state === "queue") this.backend.dequeue(this);
    const wasConnecting = this.state === "connect" && this.serverSocket === undefined;
    this.state = "data"; // from here on, only closes are awaited
    if (wasConnecting) this.serverClosed = true;
    if (this.serverSocket === undefined) this.serverClosed = true;
    this.client.destroy();
    this.serverSocket?.destroy();
    this.maybeFinish();
  }

  private releaseSlot(server: Server): void {
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.backend.release(server);
  }

  private maybeFinish(): void {
    if (this.clientClosed && this.serverClosed) this.finish();
  }

  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.timer !== undefined) this.host.runtime.clearTimer(this.timer);
    this.timer = undefined;
    if (!this.clientClosed) this.client.destroy();
    const server = this.server;
    if (server !== undefined) {
      server.bytesIn += this.bytesIn;
      server.bytesOut += this.bytesOut;
      this.releaseSlot(server);
    }
    this.host.sessionEnded(this);
    this.host.logTcp({
      clientAddress: this.client.remoteAddress,
      clientPort: this.client.remotePort,
      acceptDate: this.acceptDate,
      frontend: this.host.name,
      backend: this.backend.name,
      server: server?.name ?? "<NOSRV>",
      tw: Math.round(this.tw),
      tc: Math.round(this.tc),
      tt: Math.round(this.host.runtime.now() - this.start),
      bytesOut: this.bytesOut,
      bytesIn: this.bytesIn,
      termination: this.cause + this.phase,
      frontendConns: this.host.current,
      backendConns: this.backend.servers.reduce((n, s) => n + s.current, 0),
      serverConns: server?.current ?? 0,
      retries: this.retries,
    });
  }
}
