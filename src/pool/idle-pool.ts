// A server's idle HTTP/1.1 connections, most recently used first. It holds only
// connections that ended a clean exchange; one that dies while idle is removed
// at once (its close tells us), so a request is not sent on a dead connection
// when that can be known.
import type { BackendConnection } from "../http1/backend-connection.ts";

export class IdlePool {
  private readonly conns: BackendConnection[] = [];
  /** Connections handed out again (reuse that happened). */
  reused = 0;

  /** @param maxIdle most idle connections kept; -1 = unlimited (HAProxy's pool-max-conn). */
  constructor(private readonly maxIdle = -1) {}

  get size(): number {
    return this.conns.length;
  }

  /** The most recently used live connection, or undefined. */
  take(): BackendConnection | undefined {
    for (;;) {
      const conn = this.conns.pop();
      if (conn === undefined) return undefined;
      conn.onIdleClose = undefined;
      if (conn.reusable) {
        this.reused++;
        return conn;
      }
      conn.close();
    }
  }

  /** Keeps `conn` if there is room; false means the caller must close it. */
  put(conn: BackendConnection): boolean {
    if (!conn.reusable || (this.maxIdle >= 0 && this.conns.length >= this.maxIdle)) return false;
    conn.onIdleClose = this.forget;
    this.conns.push(conn);
    return true;
  }

  closeAll(): void {
    for (const conn of this.conns.splice(0)) {
      conn.onIdleClose = undefined;
      conn.close();
    }
  }

  private readonly forget = (conn: BackendConnection): void => {
    const i = this.conns.indexOf(conn);
    if (i >= 0) this.conns.splice(i, 1);
  };
}
