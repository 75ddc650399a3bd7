// A session's private backend connections (owner = that session): the idle
// ones per server, ready for its next streams, and every one it owns, so that
// all of them close when it ends (invariant 3).
//
// Most sessions never own a connection (http-reuse safe shares them all), and
// an edge node holds thousands of idle keep-alive sessions: every collection
// here is made on first use, so such a session pays for none of them.
import type { ConnHome, MuxConn, OwnedConns, PoolConn } from "../conn/types.ts";

export class SessionConns implements OwnedConns {
  /** Idle private connections per server, most recently used last. */
  private idle: Map<ConnHome, PoolConn[]> | undefined;
  /** Every private connection of the session, idle or in use. */
  private owned: Set<PoolConn> | undefined;
  /** Multiplexed (HTTP/2) connections private to the session (http-reuse never): they close with it too. */
  private ownedMuxes: Set<MuxConn> | undefined;
  /** Streams the session has open on each multiplexed connection (a reservation ends with the last). */
  private muxStreams: Map<MuxConn, number> | undefined;
  /** Idle private connections, all servers together (bounded by max-session-srv-conns). */
  idleCount = 0;
  /** The multiplexed connection the session's last stream used, and its server's pool (tried first next time). */
  lastMux: MuxConn | undefined;
  lastMuxPool: ConnHome | undefined;
  private diedCallback: ((conn: PoolConn) => void) | undefined;

  /** An idle private connection died (the server closed it): forgotten at once. One function per session, made when first needed. */
  get died(): (conn: PoolConn) => void {
    return this.diedCallback ??= (conn: PoolConn): void => {
      this.dropIdle(conn.pool, conn);
      conn.pool.closed(conn);
    };
  }

  owns(conn: PoolConn): boolean {
    return this.owned?.has(conn) ?? false;
  }

  get ownedCount(): number {
    return this.owned?.size ?? 0;
  }

  own(conn: PoolConn): void {
    (this.owned ??= new Set()).add(conn);
  }

  disown(conn: PoolConn): void {
    this.owned?.delete(conn);
  }

  ownMux(m: MuxConn): void {
    (this.ownedMuxes ??= new Set()).add(m);
  }

  /** One more stream of the session on `m`. */
  streamStarted(m: MuxConn): void {
    const streams = this.muxStreams ??= new Map();
    streams.set(m, (streams.get(m) ?? 0) + 1);
  }

  /** One stream of the session on `m` ended: how many it still has there. */
  streamEnded(m: MuxConn): number {
    const streams = this.muxStreams;
    const left = (streams?.get(m) ?? 1) - 1;
    if (left > 0) streams!.set(m, left);
    else streams?.delete(m);
    return left;
  }

  /** The most recently used idle private connection to `pool` with reuse key `key`. */
  take(pool: ConnHome, key: string): PoolConn | undefined {
    const list = this.idle?.get(pool);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const conn = list[i]!;
      if (conn.key !== key) continue;
      list.splice(i, 1);
      this.idleCount--;
      conn.onIdleClose = undefined;
      if (conn.reusable) return conn;
      this.disown(conn);
      pool.closed(conn);
      conn.close();
      i = Math.min(i, list.length);
    }
    return undefined;
  }

  putIdle(pool: ConnHome, conn: PoolConn): void {
    const idle = this.idle ??= new Map();
    let list = idle.get(pool);
    if (list === undefined) idle.set(pool, list = []);
    list.push(conn);
    this.idleCount++;
  }

  /** Forgets an idle connection that died. */
  dropIdle(pool: ConnHome, conn: PoolConn): void {
    const list = this.idle?.get(pool);
    const i = list?.indexOf(conn) ?? -1;
    if (i >= 0) {
      list!.splice(i, 1);
      this.idleCount--;
    }
    this.disown(conn);
  }

  /**
   * The session ended: hands every connection it owns to `close`, every
   * multiplexed one it owns to `shutdown`, and every one it has streams on to
   * `unreserve`; then holds nothing.
   */
  release(close: (conn: PoolConn) => void, shutdown: (m: MuxConn) => void, unreserve: (m: MuxConn) => void): void {
    if (this.owned !== undefined) for (const conn of this.owned) close(conn);
    if (this.ownedMuxes !== undefined) for (const m of this.ownedMuxes) shutdown(m);
    if (this.muxStreams !== undefined) for (const m of this.muxStreams.keys()) unreserve(m);
    this.owned = this.ownedMuxes = this.muxStreams = this.idle = undefined;
    this.idleCount = 0;
    this.lastMux = this.lastMuxPool = undefined;
  }
}
