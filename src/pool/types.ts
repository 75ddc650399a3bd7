// What the pools and the ownership API know of a backend connection and of a
// session. Both HTTP/1.1 connections and (later) multiplexed HTTP/2 ones fit.
import type { ServerPool } from "./server-pool.ts";
import type { SessionConns } from "./session-conns.ts";

/** Where a backend connection is (../shared/docs/connection-ownership.md, "States"). */
export type ConnPlace = "new" | "in-use" | "private" | "idle" | "safe" | "closed";

/** A session as the ownership API sees it. */
export interface Owner {
  readonly id: number;
  /** Its private connections. */
  readonly conns: SessionConns;
}

export interface PoolConn {
  readonly id: number;
  /**
   * The reuse key: what the connection was opened with that depends on the
   * client (the exact PROXY header sent, later SNI and source address); "" when
   * nothing does. The server is implied by the pool holding it.
   */
  readonly key: string;
  /** The session it belongs to when private; undefined when shared. */
  owner: Owner | undefined;
  /** The session whose stream uses it now (in use), else undefined. */
  attachedTo: Owner | undefined;
  /** Its server's shared lists and counters. */
  readonly pool: ServerPool;
  place: ConnPlace;
  /** It carried a request after an earlier one completed: it survived reuse. */
  proven: boolean;
  /** Requests carried. */
  requests: number;
  /** Monotonic ms when it last went idle. */
  idleSince: number;
  /** Open, clean, nothing left over, the server did not end: fit for another request. */
  readonly reusable: boolean;
  close(): void;
  /** Set while held idle (pool or session list): called when it dies there. */
  onIdleClose: ((conn: PoolConn) => void) | undefined;
}

/**
 * A multiplexed (HTTP/2) backend connection as the pools see it. It is never
 * private through connection-based auth (invariant 5); under `never` it is
 * private to the session that opened it; under `safe` it is reserved to the
 * session whose streams are active on it.
 */
export interface MuxConn {
  readonly id: number;
  /** Streams that may start now (invariant 16). */
  readonly freeSlots: number;
  readonly activeStreams: number;
  /** Streams carried in its life. */
  readonly opened: number;
  readonly closed: boolean;
  /** Private to this session (http-reuse never). */
  owner: Owner | undefined;
  /** Under safe: the session with active streams on it; no other session's stream may start there. */
  reservedBy: Owner | undefined;
  /** Stop or reload: GOAWAY, then close once its streams are done. */
  shutdown(): void;
  /** Closes at once (a dead connection). */
  close(): void;
  /** Sends a PING for liveness; false if one is still unanswered. */
  ping(): boolean;
  readonly pingPending: boolean;
}
