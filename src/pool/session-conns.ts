// A session's private backend connections (owner = that session): the idle
// ones per server, ready for its next streams, and every one it owns, so that
// all of them close when it ends (invariant 3).
import type { ConnHome, MuxConn, OwnedConns, PoolConn } from "../conn/types.ts";

export class SessionConns implements OwnedConns {
  /** Idle private connections per server, most recently used last. */
  private readonly idle = new Map<ConnHome, PoolConn[]>();
  /** Every private connection of the session, idle or in use. */
  readonly owned = new Set<PoolConn>();
  /** Multiplexed (HTTP/2) connections private to the session (http-reuse never): they close with it too. */
  readonly ownedMuxes = new Set<MuxConn>();
  /** Idle private connections, all servers together (bounded by max-session-srv-conns). */
  idleCount = 0;
  /** The multiplexed connection the session's last stream used, and its server's pool (tried first next time). */
  lastMux: MuxConn | undefined;
  lastMuxPool: ConnHome | undefined;
  /** Streams the session has open on each multiplexed connection (a reservation ends with the last). */
  readonly muxStreams = new Map<MuxConn, number>();

  /** An idle private connection died (the server closed it): forgotten at once. */
  readonly died = (conn: PoolConn): void => {
    this.dropIdle(conn.pool, conn);
    conn.pool.closed(conn);
  };

  /** The most recently used idle private connection to `pool` with reuse key `key`. */
  take(pool: ConnHome, key: string): PoolConn | undefined {
    const list = this.idle.get(pool);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const conn = list[i]!;
      if (conn.key !== key) continue;
      list.splice(i, 1);
      this.idleCount--;
      conn.onIdleClose = undefined;
      if (conn.reusable) return conn;
      this.owned.delete(conn);
      pool.closed(conn);
      conn.close();
      i = Math.min(i, list.length);
    }
    return undefined;
  }

  putIdle(pool: ConnHome, conn: PoolConn): void {
    let list = this.idle.get(pool);
    if (list === undefined) this.idle.set(pool, list = []);
    list.push(conn);
    this.idleCount++;
  }

  /** Forgets an idle connection that died. */
  dropIdle(pool: ConnHome, conn: PoolConn): void {
    const list = this.idle.get(pool);
    const i = list?.indexOf(conn) ?? -1;
    if (i >= 0) {
      list!.splice(i, 1);
      this.idleCount--;
    }
    this.owned.delete(conn);
  }

  clearIdle(): void {
    this.idle.clear();
    this.idleCount = 0;
  }
}
