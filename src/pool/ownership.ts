// The one API that moves backend connections between sessions and pools:
// acquire one for a stream, register a new one, release after a stream, make
// private, attach, detach, and end a session. It speaks the client-side mux
// contract (conn/types.ts): exclusive and multiplexed connections go through
// the same calls, which differ inside only where the spec says they differ.
// Every move checks its preconditions; attaching a connection another
// session owns is a bug that is never let pass silently (invariant 1).
import type { HttpReuse } from "../config/types.ts";
import type { ClientMux, ConnHome, MuxConn, Owner, PoolConn } from "../conn/types.ts";
import { sharedLists } from "./reuse.ts";
import type { ServerPool } from "./server-pool.ts";

/** A broken ownership rule: which connection, which server, which sessions. */
export class OwnershipViolation extends Error {
  constructor(
    readonly what: string,
    readonly connId: number,
    readonly server: string,
    readonly session: number,
    readonly owner: number | undefined,
  ) {
    super(
      `ownership violation: ${what} (backend connection #${connId} to ${server}, session #${session}, owner ${
        owner === undefined ? "none" : `session #${owner}`
      })`,
    );
    this.name = "OwnershipViolation";
  }
}

export interface OwnershipOptions {
  /** Throw on a violation (tests) instead of logging it, closing the connection and going on. */
  strict: boolean;
  /** Where a violation is reported when not strict (sluice's own log). */
  report(violation: OwnershipViolation): void;
}

export class Ownership {
  /** ownership_violations_total */
  violations = 0;

  constructor(private readonly options: OwnershipOptions) {}

  /**
   * A connection for a stream of `session` to the server of `pool`, already
   * attached, in the spec's lookup order: the session's own private
   * connections (every mode), then the server's available multiplexed ones,
   * then the idle/safe lists as the reuse mode allows. Undefined: open one.
   */
  acquire(session: Owner, pool: ServerPool, key: string, mode: HttpReuse, firstRequest: boolean): ClientMux | undefined {
    const own = this.takeOwn(session, pool, key);
    if (own !== undefined) return own;
    for (;;) {
      const m = this.takeMux(session, pool, mode, firstRequest);
      if (m === undefined) break;
      if (this.startStream(session, pool, m, mode)) return m;
    }
    return this.takeShared(session, pool, key, mode, firstRequest);
  }

  /** A connection the stream of `session` just opened: registered with its pool and attached to the stream. False: refused (counted, closed). */
  openedFor(session: Owner, pool: ServerPool, conn: ClientMux, mode: HttpReuse): boolean {
    if (!conn.multiplexed) {
      this.opened(session, pool, conn, mode);
      return conn.attachedTo === session;
    }
    pool.addMux(conn);
    return this.startStream(session, pool, conn, mode);
  }

  /** A connection being opened for others was handed to this stream too (http-reuse always): attached as any reused one. */
  attachStream(session: Owner, pool: ServerPool, conn: ClientMux, mode: HttpReuse): boolean {
    return conn.multiplexed ? this.startStream(session, pool, conn, mode) : this.attach(session, pool, conn);
  }

  /** A connection opened for a stream that no longer wants it: a multiplexed one serves others (unless never), an exclusive one goes. */
  unneeded(pool: ServerPool, conn: ClientMux, mode: HttpReuse): void {
    if (conn.multiplexed && mode !== "never") pool.addMux(conn);
    else conn.close();
  }

  /**
   * A connection for a stream of `session` to the server of `pool`, in the
   * spec's lookup order: the session's own private connections (every mode),
   * then the shared lists its reuse mode allows. Undefined: open a new one.
   */
  take(session: Owner, pool: ServerPool, key: string, mode: HttpReuse, firstRequest: boolean): PoolConn | undefined {
    return this.takeOwn(session, pool, key) ?? this.takeShared(session, pool, key, mode, firstRequest);
  }

  private takeOwn(session: Owner, pool: ServerPool, key: string): PoolConn | undefined {
    for (;;) {
      const own = session.conns.take(pool, key);
      if (own === undefined) return undefined;
      if (this.attach(session, pool, own)) {
        pool.reused++;
        return own;
      }
    }
  }

  private takeShared(session: Owner, pool: ServerPool, key: string, mode: HttpReuse, firstRequest: boolean): PoolConn | undefined {
    for (const which of sharedLists(mode, firstRequest)) {
      for (;;) {
        const conn = pool.take(which, key);
        if (conn === undefined) break;
        if (this.attach(session, pool, conn)) {
          pool.reused++;
          return conn;
        }
      }
    }
    return undefined;
  }

  /**
   * A multiplexed connection for a stream of `session` (lookup order of the
   * spec): one it owns or has reserved with a free slot first; then, unless
   * `never`, the server's available list as the mode allows a first request
   * (safe: none; aggressive: a proven one, which carried a stream before;
   * always: any), skipping connections reserved to or owned by another
   * session. Undefined: open a new one. The stream is attached by startStream.
   */
  private takeMux(session: Owner, pool: ServerPool, mode: HttpReuse, firstRequest: boolean): MuxConn | undefined {
    // The connection the session used last, when it may serve again: no scan of every connection per request.
    const last = session.conns.lastMux;
    if (last !== undefined && session.conns.lastMuxPool === pool && !last.closed && last.freeSlots > 0) {
      if (last.owner === session || last.reservedBy === session) return last;
      if (mode !== "never" && last.owner === undefined && (last.reservedBy === undefined || mode === "always")) return last;
    }
    let shared: MuxConn | undefined;
    for (const m of pool.muxes) {
      if (m.closed || m.freeSlots <= 0) continue;
      if (m.owner === session || m.reservedBy === session) return m;
      if (mode === "never" || m.owner !== undefined || shared !== undefined) continue;
      if (m.reservedBy !== undefined && mode !== "always") continue;
      if (firstRequest && (mode === "safe" || (mode === "aggressive" && m.opened === 0))) continue;
      shared = m;
    }
    return shared;
  }

  /** A stream of `session` starts on `m` (the check of every attach, for multiplexed connections). */
  private startStream(session: Owner, pool: ServerPool, m: MuxConn, mode: HttpReuse): boolean {
    if (m.owner !== undefined && m.owner !== session) {
      this.muxViolation(pool, m, session, "a stream attached to a connection another session owns");
      return false;
    }
    if (m.reservedBy !== undefined && m.reservedBy !== session && mode !== "always") {
      this.muxViolation(pool, m, session, "a stream attached to a connection reserved to another session");
      return false;
    }
    if (mode === "never") {
      m.owner = session;
      session.conns.ownMux(m);
    } else if (mode !== "always") m.reservedBy = session;
    session.conns.streamStarted(m);
    session.conns.lastMux = m;
    session.conns.lastMuxPool = pool;
    pool.reused += m.opened > 0 ? 1 : 0;
    return true;
  }

  /** A stream of `session` on `m` ended: under safe, the connection returns to the shared list once the session has no stream left on it. */
  private endStream(session: Owner, m: MuxConn): void {
    if (session.conns.streamEnded(m) > 0) return;
    if (m.reservedBy === session) m.reservedBy = undefined;
  }

  /** A refused stream start: the multiplexed connection goes on serving its rightful streams. */
  private muxViolation(pool: ServerPool, m: MuxConn, session: Owner, what: string): void {
    this.count(pool, new OwnershipViolation(what, m.id, pool.id, session.id, m.owner?.id ?? m.reservedBy?.id));
  }

  /** Counted, then thrown (strict) or reported. */
  private count(pool: ServerPool, v: OwnershipViolation): void {
    this.violations++;
    pool.violations++;
    if (this.options.strict) throw v;
    this.options.report(v);
  }

  /** A connection the stream of `session` just opened: registered with its pool and attached (private at once under `never`). */
  opened(session: Owner, pool: ServerPool, conn: PoolConn, mode: HttpReuse): void {
    if (conn.place !== "new") this.violation(pool, conn, session, `a connection opened twice (it is ${conn.place})`);
    pool.added(conn);
    if (mode === "never") {
      conn.owner = session;
      session.conns.own(conn);
    }
    this.attach(session, pool, conn);
  }

  /**
   * The check that runs on every attach: a connection may be attached to a
   * session only if no other session owns it or uses it. False: it was refused
   * (counted, reported, closed); the caller uses another connection.
   */
  attach(session: Owner, pool: ServerPool, conn: PoolConn): boolean {
    const owner = conn.owner;
    if (owner !== undefined && owner !== session) {
      this.violation(pool, conn, session, "attach to a session while another session owns it");
      return false;
    }
    if (conn.attachedTo !== undefined && conn.attachedTo !== session) {
      this.violation(pool, conn, session, "attach to a session while another session's stream uses it");
      return false;
    }
    if (conn.place === "closed") {
      this.violation(pool, conn, session, "attach of a closed connection");
      return false;
    }
    conn.attachedTo = session;
    pool.move(conn, "in-use");
    conn.requests++;
    return true;
  }

  /**
   * Makes the connection `session` uses private to it (NTLM/Negotiate on
   * HTTP/1.1, decided by the HTTP/1 mux). Idempotent for its owner.
   */
  makePrivate(session: Owner, pool: ServerPool, conn: PoolConn): void {
    if (conn.attachedTo !== session) {
      return this.violation(pool, conn, session, "made private by a session that is not using it");
    }
    if (conn.owner !== undefined && conn.owner !== session) {
      return this.violation(pool, conn, session, "made private while another session owns it");
    }
    conn.owner = session;
    session.conns.own(conn);
  }

  /**
   * The stream of `session` is done with `conn`. A reusable one goes back to
   * the session (private, up to `maxSessionConns` idle ones) or to its server's
   * shared lists; anything else is closed. Returns where it went.
   */
  release(session: Owner, pool: ServerPool, conn: ClientMux, reusable: boolean, now: number, maxSessionConns: number): "private" | "pooled" | "closed" {
    if (conn.multiplexed) {
      this.endStream(session, conn);
      return conn.closed ? "closed" : "pooled";
    }
    if (conn.attachedTo !== session) {
      this.violation(pool, conn, session, "released by a session that is not using it");
      return "closed";
    }
    conn.attachedTo = undefined;
    conn.idleSince = now;
    // It survived reuse once it completed a second request.
    if (conn.requests >= 2) conn.proven = true;
    if (conn.owner === session) {
      if (reusable && session.conns.idleCount < maxSessionConns && !pool.isRetired(conn)) {
        pool.move(conn, "private");
        conn.onIdleClose = session.conns.died;
        session.conns.putIdle(pool, conn);
        return "private";
      }
      session.conns.disown(conn);
      this.close(pool, conn);
      return "closed";
    }
    if (reusable && pool.put(conn)) return "pooled";
    this.close(pool, conn);
    return "closed";
  }

  /** A connection given up mid-stream (error, abort, tunnel end): closed, never pooled. */
  discard(session: Owner, pool: ServerPool, conn: ClientMux): void {
    // A multiplexed connection goes on carrying other streams: only this one was given up (cancelled by its exchange).
    if (conn.multiplexed) return this.endStream(session, conn);
    if (conn.attachedTo !== undefined && conn.attachedTo !== session) {
      this.violation(pool, conn, session, "discarded by a session that is not using it");
      return;
    }
    conn.attachedTo = undefined;
    if (conn.owner === session) session.conns.disown(conn);
    this.close(pool, conn);
  }

  /**
   * Takes a private connection away from its session (it is no longer the
   * session's: the caller closes it or hands it on; it is never shared while
   * the server may still authenticate it for that client).
   */
  detach(session: Owner, pool: ServerPool, conn: PoolConn): void {
    if (conn.owner !== session) return this.violation(pool, conn, session, "detached by a session that does not own it");
    if (conn.place === "private") session.conns.dropIdle(pool, conn);
    else session.conns.disown(conn);
    conn.owner = undefined;
    conn.onIdleClose = undefined;
  }

  /** The session ended: every connection it owns is closed, none is pooled (invariant 3). */
  sessionEnded(session: Owner): void {
    session.conns.release(
      (conn) => {
        conn.onIdleClose = undefined;
        conn.attachedTo = undefined;
        this.close(conn.pool, conn);
      },
      // GOAWAY, then closed once the streams still on it (cancelled with the session) are gone.
      (m) => m.shutdown(),
      // Its reservations end with it (its streams were cancelled before).
      (m) => {
        if (m.reservedBy === session) m.reservedBy = undefined;
      },
    );
  }

  private close(pool: ConnHome, conn: PoolConn): void {
    // Held idle (a violation on a pooled or private idle connection): out of
    // that list too, or a dead connection would keep its pool-max-conn /
    // max-session-srv-conns slot and be counted idle.
    const held = conn.onIdleClose;
    conn.onIdleClose = undefined;
    held?.(conn);
    pool.closed(conn);
    conn.close();
  }

  private violation(pool: ServerPool, conn: PoolConn, session: Owner, what: string): void {
    this.count(pool, new OwnershipViolation(what, conn.id, pool.id, session.id, conn.owner?.id ?? conn.attachedTo?.id));
    // A connection in doubt serves nobody.
    this.close(pool, conn);
  }
}
