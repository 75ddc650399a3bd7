// The server-facing HTTP/1.1 side (the client-side H1 mux): one TCP connection
// to a server, carrying one stream at a time, its response parser, and the
// facts the pools need (requests carried, whether it ended clean, whether the
// server now authenticates the connection). Where it goes between streams is
// decided by the ownership API (src/pool/ownership.ts), never here.
import type { Server } from "../core/server.ts";
import type { ServerPool } from "../pool/server-pool.ts";
import type { ConnPlace, Owner, PoolConn } from "../pool/types.ts";
import type { Socket, SocketEvents } from "../runtime/types.ts";
import { isConnectionAuthChallenge } from "./conn-auth.ts";
import { H1Parser } from "./parser.ts";
import type { H1Error, H1Events, H1Limits, Head } from "./types.ts";

/** The stream using a connection: it hears the response and the connection's fate. */
export interface ConnectionUser {
  /** Bytes or the server's FIN arrived; parsing follows (the user reads its clock, counts activity). */
  serverEvent(): void;
  responseHead(head: Head): void;
  responseData(chunk: Uint8Array): void;
  responseTrailers(trailers: Head): void;
  responseEnd(): void;
  responseError(error: H1Error): void;
  /** One received chunk was parsed: write what it produced. */
  responseFlush(): void;
  /** The connection can take more request bytes. */
  connectionDrain(): void;
  /** The connection closed while this user had it. */
  connectionClosed(error: Error | undefined): void;
}

export type ConnectionState = "busy" | "idle" | "closed";

let nextConnectionId = 1;

export class BackendConnection implements PoolConn {
  readonly id = nextConnectionId++;
  state: ConnectionState = "busy";
  // ---- for the ownership API (PoolConn) ----
  owner: Owner | undefined;
  attachedTo: Owner | undefined;
  place: ConnPlace = "new";
  proven = false;
  /** Requests this connection has carried (a reused one has carried at least one before). */
  requests = 0;
  /** Monotonic ms when it last went idle. */
  idleSince = 0;
  /** Called when an idle connection dies, so that its pool or session forgets it. */
  onIdleClose: ((conn: PoolConn) => void) | undefined;
  readonly pool: ServerPool;
  /**
   * The server answered a connection-based authentication challenge (NTLM,
   * Negotiate) on it: from now on it belongs to the session that got it. The
   * HTTP/1 mux alone decides this (a shared multiplexed connection never may).
   */
  authenticates = false;
  /** The server sent its FIN: no further request may go on this connection. */
  peerEnded = false;
  user: ConnectionUser | undefined;
  readonly parser: H1Parser;
  private socket: Socket | undefined;
  readonly socketEvents: SocketEvents;

  /** @param key the reuse key: what it was opened with that depends on the client ("" for nothing). */
  constructor(readonly server: Server, limits: H1Limits, readonly key = "") {
    this.pool = server.pool;
    const parserEvents: H1Events = {
      head: (head) => {
        if (!this.authenticates && isConnectionAuthChallenge(head)) this.authenticates = true;
        this.user?.responseHead(head);
      },
      data: (chunk) => this.user?.responseData(chunk),
      trailers: (t) => this.user?.responseTrailers(t),
      end: () => this.user?.responseEnd(),
      error: (e) => this.user?.responseError(e),
    };
    this.parser = new H1Parser("response", parserEvents, limits);
    this.socketEvents = {
      data: (chunk) => this.onData(chunk),
      drain: () => this.user?.connectionDrain(),
      end: () => this.onEnd(),
      close: (error) => this.onClose(error),
    };
  }

  attachSocket(socket: Socket): void {
    this.socket = socket;
  }

  get open(): boolean {
    return this.state !== "closed" && this.socket !== undefined && !this.socket.closed;
  }

  /** Fit for another request: open, clean, nothing left over, the server did not end. */
  get reusable(): boolean {
    return this.open && !this.peerEnded && this.parser.buffered === 0;
  }

  write(bytes: Uint8Array): boolean {
    return this.socket!.write(bytes);
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket?.resume();
  }

  /** A stream paused our socket (its client could not take more). */
  private paused = false;

  /** Half-close towards the server (tunnels pass the client's FIN on). */
  endWrite(): void {
    this.socket?.end();
  }

  /** Hands the connection to a stream for one request (after the ownership API attached it). */
  take(user: ConnectionUser, method: string): void {
    this.state = "busy";
    this.user = user;
    this.answered = false;
    this.parser.setRequestMethod(method);
  }

  /** Some response byte came for the current user. */
  private answered = false;

  /** Back from a stream after a complete exchange; the ownership API then keeps or closes it. */
  release(): void {
    this.user = undefined;
    this.state = "idle";
    this.parser.next();
    // Reads may have been paused for a slow client: the next user starts fresh.
    this.resume();
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.user = undefined;
    if (this.place !== "new") this.pool.closed(this);
    this.socket?.destroy();
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === "idle") {
      // A server speaking while nobody asked: the connection is out of sync.
      this.close();
      this.onIdleClose?.(this);
      return;
    }
    const user = this.user;
    this.answered = true;
    user?.serverEvent();
    this.parser.push(chunk);
    user?.responseFlush();
  }

  private onEnd(): void {
    this.peerEnded = true;
    if (this.state === "idle") {
      this.close();
      this.onIdleClose?.(this);
      return;
    }
    this.user?.serverEvent();
    this.parser.finish();
    // The server ended before any response byte (invariant 15): nothing more
    // can come, so the connection closes and its user hears it at once
    // (half-open, it would wait for timeout server).
    if (this.user !== undefined && !this.answered) this.socket?.destroy();
  }

  private onClose(error: Error | undefined): void {
    const user = this.user;
    const wasIdle = this.state === "idle";
    this.state = "closed";
    this.user = undefined;
    if (this.place !== "new" && this.place !== "closed") this.pool.closed(this);
    if (wasIdle) this.onIdleClose?.(this);
    user?.connectionClosed(error);
  }
}
