// Opening HTTP/2 connections to a server for the streams that need one. Under
// `http-reuse always`, streams that find no free slot while a connection is
// being opened wait for that one rather than each opening its own (invariant
// 16: concurrency / slots connections), up to the slots it will have.
import type { HttpReuse } from "../config/types.ts";
import type { Server } from "../core/server.ts";
import { H2ClientConnection } from "../http2/client-connection.ts";
import type { ServerPool } from "../pool/server-pool.ts";
import type { Runtime, Socket } from "../runtime/types.ts";

/** A stream waiting for a connection: told once it is open (or failed); `opened`: this stream asked for it. */
export interface MuxWaiter {
  muxReady(conn: H2ClientConnection | undefined, error: unknown, opened: boolean): void;
}

interface PendingMux {
  room: number;
  readonly waiters: MuxWaiter[];
}
const pendingMuxes = new WeakMap<ServerPool, PendingMux[]>();

export interface MuxRequest {
  server: Server;
  runtime: Pick<Runtime, "connect" | "defer">;
  timeoutMs: number;
  /** Reads the clock: connect results are events of their own. */
  tick(): void;
  mode: HttpReuse;
  /** A new connection of its own, never one being opened for others (a retry after a refusal). */
  fresh: boolean;
}

/** Gets `waiter` a new HTTP/2 connection to the server: one being opened (always), or a new one. */
export function connectMux(req: MuxRequest, waiter: MuxWaiter): void {
  const { server, mode } = req;
  const pool = server.pool;
  let pending: PendingMux | undefined;
  if (mode === "always") {
    let list = pendingMuxes.get(pool);
    if (list === undefined) pendingMuxes.set(pool, list = []);
    const joined = req.fresh ? undefined : list.find((p) => p.room > 0);
    if (joined !== undefined) {
      joined.room--;
      joined.waiters.push(waiter);
      return;
    }
    const o = server.h2Options;
    pending = { room: Math.min(o.localMaxStreams, o.maxReuse < 0 ? Infinity : o.maxReuse) - 1, waiters: [] };
    list.push(pending);
  }
  const settle = (): MuxWaiter[] => {
    if (pending === undefined) return [];
    const list = pendingMuxes.get(pool)!;
    list.splice(list.indexOf(pending), 1);
    return pending.waiters;
  };
  // Bytes the server sends before the connection object takes the socket (its SETTINGS) wait here.
  const early: Uint8Array[] = [];
  const hold = (chunk: Uint8Array) => early.push(chunk.slice());
  req.runtime.connect(
    { hostname: server.host, port: server.port, timeoutMs: req.timeoutMs },
    { data: hold, drain() {}, end() {}, close() {} },
  ).then(
    (socket: Socket) => {
      req.tick();
      const conn = new H2ClientConnection(socket, {
        slots() {},
        closed: (c) => pool.removeMux(c),
      }, req.runtime, { ...server.h2Options });
      conn.start(early);
      pool.addMux(conn);
      const waiters = settle();
      waiter.muxReady(conn, undefined, true);
      for (const w of waiters) w.muxReady(conn, undefined, false);
    },
    (error) => {
      req.tick();
      const waiters = settle();
      waiter.muxReady(undefined, error, true);
      for (const w of waiters) w.muxReady(undefined, error, false);
    },
  );
}
