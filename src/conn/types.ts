// The client-side mux contract as the pools and the ownership API see it
// (sluice's half of HAProxy's mux_ops): a backend connection is either
// exclusive (HTTP/1.1: one stream at a time, lives in idle/safe/private lists)
// or multiplexed (HTTP/2: many streams of many sessions, lives in the
// server's available list). Both carry exchanges through one interface
// (Exchange, below); nothing above this folder casts to an implementation.
import type { AddedFields, Head, ProtocolRefusal } from "../http/message.ts";

/** Where a backend connection is (../shared/docs/connection-ownership.md, "States"). */
export type ConnPlace = "new" | "in-use" | "private" | "idle" | "safe" | "closed";

/** A session as a backend connection sees it: who owns it, who uses it, and the list of what it owns. */
export interface Owner {
  readonly id: number;
  readonly conns: OwnedConns;
}

/** A session's private connections (pool/session-conns.ts keeps them). */
export interface OwnedConns {
  /** Idle private connections, all servers together (bounded by max-session-srv-conns). */
  readonly idleCount: number;
  /** The multiplexed connection the session's last stream used, and its server's pool (tried first next time). */
  lastMux: MuxConn | undefined;
  lastMuxPool: ConnHome | undefined;
  /** Called when one of its idle private connections dies. */
  readonly died: (conn: PoolConn) => void;
  /** Whether `conn` is one of the session's private exclusive connections, idle or in use. */
  owns(conn: PoolConn): boolean;
  readonly ownedCount: number;
  own(conn: PoolConn): void;
  disown(conn: PoolConn): void;
  /** A multiplexed connection private to the session (http-reuse never). */
  ownMux(m: MuxConn): void;
  streamStarted(m: MuxConn): void;
  /** How many streams the session still has on `m`. */
  streamEnded(m: MuxConn): number;
  take(pool: ConnHome, key: string): PoolConn | undefined;
  putIdle(pool: ConnHome, conn: PoolConn): void;
  dropIdle(pool: ConnHome, conn: PoolConn): void;
  release(close: (conn: PoolConn) => void, shutdown: (m: MuxConn) => void, unreserve: (m: MuxConn) => void): void;
}

/** The server pool that counts a connection: told when it closes, whatever closed it. */
export interface ConnHome {
  /** "backend/server", for messages. */
  readonly id: string;
  closed(conn: PoolConn): void;
}

/** What every backend connection offers its streams, whatever it multiplexes. */
export interface ClientMuxBase {
  readonly id: number;
  /**
   * The reuse key: what the connection was opened with that depends on the
   * client (the exact PROXY header sent, later SNI and source address); "" when
   * nothing does. The server is implied by the pool holding it.
   */
  readonly key: string;
  /** The session it belongs to when private; undefined when shared. */
  owner: Owner | undefined;
  /** Streams carried in its life, the current ones included. */
  readonly carried: number;
  /** Streams that may start on it now. */
  readonly freeSlots: number;
  /** Streams on it now. */
  readonly usedStreams: number;
  /** The server now authenticates this connection (NTLM/Negotiate): only an exclusive one ever does. */
  readonly authenticates: boolean;
  /** The connection's local address and port (HAProxy's %bi, %bp); "" and -1 until it has a socket. */
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /**
   * Starts one exchange for `request`; the caller made sure a slot is free and
   * the ownership API attached the connection. A number: refused before
   * anything was sent, with the status the server would have answered (431).
   */
  attach(request: OutgoingRequest, events: ExchangeEvents): Exchange | number;
  /** Closes at once (dead, in doubt, or not needed). */
  close(): void;
}

/** An exclusive connection: one stream at a time, pooled between streams. */
export interface PoolConn extends ClientMuxBase {
  readonly multiplexed: false;
  /** The session whose stream uses it now (in use), else undefined. */
  attachedTo: Owner | undefined;
  /** Its server's pool, which counts it. */
  readonly pool: ConnHome;
  place: ConnPlace;
  /** It carried a request after an earlier one completed: it survived reuse. */
  proven: boolean;
  /** Requests carried. */
  requests: number;
  /** Monotonic ms when it last went idle. */
  idleSince: number;
  /** Open, clean, nothing left over, the server did not end: fit for another request. */
  readonly reusable: boolean;
  /** Set while held idle (pool or session list): called when it dies there. */
  onIdleClose: ((conn: PoolConn) => void) | undefined;
}

/**
 * A multiplexed connection. It is never private through connection-based
 * auth (invariant 5); under `never` it is private to the session that opened
 * it; under `safe` it is reserved to the session whose streams are active on it.
 */
export interface MuxConn extends ClientMuxBase {
  readonly multiplexed: true;
  /** Streams that may start now (invariant 16). */
  readonly freeSlots: number;
  readonly activeStreams: number;
  /** Streams carried in its life. */
  readonly opened: number;
  readonly closed: boolean;
  /** Under safe: the session with active streams on it; no other session's stream may start there. */
  reservedBy: Owner | undefined;
  /** Stop or reload: GOAWAY, then close once its streams are done. */
  shutdown(): void;
  /** Sends a PING for liveness; false if one is still unanswered. */
  ping(): boolean;
  readonly pingPending: boolean;
}

/** A backend connection as a stream holds it, exclusive or multiplexed: the pools' view and the exchange API together. */
export type ClientMux = PoolConn | MuxConn;

// ---- one exchange ----
// One request/response carried by a client-side mux, as the stream drives it
// (Exchange) and as it hears the server (ExchangeEvents). HTTP/1.1 writes the
// request as text on its one connection; HTTP/2 as a header list and DATA on
// one of many streams: the stream above sees neither.

/** A request as it leaves for a server. */
export interface OutgoingRequest {
  /** The client's request head. */
  readonly head: Head;
  /** Fields the proxy adds (X-Forwarded-For, Forwarded, an empty Host for HTTP/1.0). */
  readonly added: Readonly<AddedFields>;
  /** Ask the server to keep the connection open afterwards (false: http-server-close, httpclose). */
  readonly keepAlive: boolean;
  /** `option http-pretend-keepalive`: not kept, but the server is not told so (no `Connection: close`). */
  readonly pretendKeepAlive?: boolean;
}

/** Why an exchange was lost before its end. */
export const Lost = {
  /** The server says it never processed it (REFUSED_STREAM, above a GOAWAY's last id): safe to send again. */
  refused: 0,
  /** The connection closed before any response byte: the server may or may not have acted on it. */
  closedEarly: 1,
  /** Reset or closed after that: nothing to retry. */
  broken: 2,
} as const;
export type Lost = (typeof Lost)[keyof typeof Lost];

/** What the stream hears from the exchange carrying its request. */
export interface ExchangeEvents {
  /** Bytes (or a close) from the server are about to be handled: read the clock, count activity. */
  serverEvent(): void;
  /** A response head: 1xx (relayed, another follows) or the final one. */
  responseHead(head: Head): void;
  responseData(chunk: Uint8Array): void;
  responseTrailers(trailers: Head): void;
  responseEnd(): void;
  /** One received chunk was handled: write what it produced, in one write. */
  responseFlush(): void;
  /** The server's answer is unusable (malformed, length mismatch); the exchange is dead. */
  responseBroken(refusal: ProtocolRefusal): void;
  /**
   * The exchange ended before the response did. `resetCode`: the HTTP/2 error
   * code the server reset its stream with, when it did (an HTTP/2 client's
   * stream is reset with the same code: gRPC maps it to the call's status).
   */
  exchangeLost(why: Lost, resetCode?: number): void;
  /** The server side can take more request body again. */
  drain(): void;
}

/** One exchange, as the stream drives it. */
export interface Exchange {
  readonly conn: ClientMux;
  /** Request body bytes (de-framed); false: the server side is full, pause the client until drain. */
  sendBody(chunk: Uint8Array): boolean;
  /** The request body is complete, with its trailer fields if any. */
  endBody(trailers: Head | undefined): void;
  /** Request bytes wait to be written (the mux writes them itself when false). */
  readonly hasQueued: boolean;
  /** Writes what was queued since the last flush (called once per client chunk); false: pushed back. */
  writeQueued(): boolean;
  /** The client cannot take more response bytes / can again. */
  pause(): void;
  resume(): void;
  /** The response ended and the connection may carry another exchange. */
  readonly reusable: boolean;
  /** After a 101: raw bytes both ways from now on (sendBody passes them as they are). */
  tunnel(): void;
  /** The client half-closed its side of a tunnel. */
  endTunnelWrite(): void;
  /** The exchange is done (complete or not); `cancel`: it did not complete and the server is told. */
  done(cancel: boolean): void;
}
