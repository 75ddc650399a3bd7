// Opens backend connections for streams: the one place that knows which
// client-side mux a server speaks (HTTP/1.1, or HTTP/2 with prior knowledge),
// as HAProxy picks a mux by `proto`. Every connection goes through the one
// connect path (conn/connect.ts). Under `http-reuse always`, streams that
// find no free HTTP/2 slot while a connection to the server is being opened
// wait for that one rather than each opening its own (invariant 16:
// concurrency / slots connections), up to the slots it will have.
import type { HttpReuse } from "../config/types.ts";
import { connectServer } from "../conn/connect.ts";
import { nextBackendConnId } from "../conn/ids.ts";
import type { ClientMux } from "../conn/types.ts";
import { H1ClientMux } from "../http1/client-mux.ts";
import type { H1Limits } from "../http1/types.ts";
import { H2ClientConnection } from "../http2/client-connection.ts";
import type { ClientTlsOptions, Runtime, Socket } from "../runtime/types.ts";
import type { MuxWaiter, PendingMux } from "./pending-mux.ts";
import type { Server } from "./server.ts";

export interface OpenRequest {
  /** Connects; defer() batches an HTTP/2 connection's writes once per turn. */
  runtime: Pick<Runtime, "connect" | "defer">;
  /** `timeout connect`, ms. */
  timeoutMs: number;
  /** Reads the clock: connect results are events of their own. */
  tick(): void;
  mode: HttpReuse;
  /** A new connection of its own, never one being opened for others (a retry after a refusal). */
  fresh: boolean;
  /** The reuse key: the SNI sent, then the PROXY header (send-proxy); "" for neither. */
  key: string;
  /** The PROXY header to send first, or "". */
  proxyHeader: string;
  /** The HTTP/1.1 codec's limits, for the response parser. */
  limits: H1Limits;
  /** Where to connect when the server follows the client's destination (Server.targetFor); absent: the server's address. */
  to?: { host: string; port: number };
  /** The TLS the connection speaks: the server's, or with `sni <expression>` the transaction's name in it (Server.tlsFor). */
  tls: ClientTlsOptions | undefined;
}

/** Gets `waiter` a new connection to `server`: one being opened (HTTP/2 under always), or a new one. */
export function openConnection(server: Server, req: OpenRequest, waiter: MuxWaiter): void {
  if (server.multiplexed) return openMultiplexed(server, req, waiter);
  const conn = new H1ClientMux(nextBackendConnId(), server.pool, req.limits, req.key, server.caseAdjust);
  const opening = server.pool.connecting();
  connectServer(
    req.runtime,
    { host: req.to?.host ?? server.address, port: req.to?.port ?? server.port, timeoutMs: req.timeoutMs, proxyHeader: req.proxyHeader, tls: req.tls, keepAlive: server.tcpKeepAlive, socks4: server.socks4, source: server.source },
    conn.socketEvents,
    (socket) => {
      req.tick();
      opening.ended();
      conn.attachSocket(socket);
      waiter.muxReady(conn, undefined, true);
    },
    (error) => {
      req.tick();
      opening.ended();
      waiter.muxReady(undefined, error, true);
    },
  );
}

function openMultiplexed(server: Server, req: OpenRequest, waiter: MuxWaiter): void {
  const pool = server.pool;
  const list = server.pendingMuxes;
  let pending: PendingMux | undefined;
  if (req.mode === "always") {
    const joined = req.fresh ? undefined : list.find((p) => p.room > 0 && p.key === req.key);
    if (joined !== undefined) {
      joined.room--;
      joined.waiters.push(waiter);
      return;
    }
    const o = server.h2Options;
    pending = { key: req.key, room: Math.min(o.localMaxStreams, o.maxReuse < 0 ? Infinity : o.maxReuse) - 1, waiters: [] };
    list.push(pending);
  }
  const settle = (): MuxWaiter[] => {
    if (pending === undefined) return [];
    list.splice(list.indexOf(pending), 1);
    return pending.waiters;
  };
  // Bytes the server sends before the connection object takes the socket (its SETTINGS) wait here.
  const early: Uint8Array[] = [];
  const hold = (chunk: Uint8Array) => early.push(chunk.slice());
  connectServer(
    req.runtime,
    { host: req.to?.host ?? server.address, port: req.to?.port ?? server.port, timeoutMs: req.timeoutMs, proxyHeader: "", tls: req.tls, keepAlive: server.tcpKeepAlive, socks4: server.socks4, source: server.source },
    { data: hold, drain() {}, end() {}, close() {} },
    (socket: Socket) => {
      req.tick();
      // ALPN chose HTTP/1.1 (or nothing) on a server that offered h2 too: an HTTP/1.1 connection;
      // streams that waited to share it get connections of their own.
      if (server.proto !== "h2" && socket.tls !== undefined && socket.tls.alpn !== "h2") {
        const h1 = new H1ClientMux(nextBackendConnId(), pool, req.limits, req.key, server.caseAdjust);
        socket.events = h1.socketEvents;
        h1.attachSocket(socket);
        for (const chunk of early) h1.socketEvents.data(chunk);
        const waiters = settle();
        waiter.muxReady(h1, undefined, true);
        for (const w of waiters) openConnection(server, { ...req, fresh: true }, w);
        return;
      }
      const conn = new H2ClientConnection(socket, {
        slots() {},
        closed: (c) => pool.removeMux(c),
      }, req.runtime, { ...server.h2Options });
      conn.start(early);
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
