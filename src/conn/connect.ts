// The one way sluice opens a connection to a server, for every mode and
// protocol: the runtime's connect with `timeout connect`, then the PROXY
// protocol header first when the server has `send-proxy`, through a SOCKS4
// proxy when it has `socks4`, from its backend's `source` address. Failures come back
// as the runtime's typed ConnectError (refused, timeout, unreachable).
import { type ClientTlsOptions, ConnectError, type ConnectHop, type ConnectOptions, type Runtime, type Socket, type SocketEvents } from "../runtime/types.ts";
import { socks4Hop } from "./socks4.ts";

/** Where to connect and what to send first. */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  /** `timeout connect`, ms (0: none). */
  readonly timeoutMs: number;
  /** The PROXY protocol line to send before anything else, or "" (no send-proxy). */
  readonly proxyHeader: string;
  /** `server ... ssl`: TLS on the connection (never with a PROXY line: the config refuses both). */
  readonly tls?: ClientTlsOptions | undefined;
  /** `option srvtcpka`/`tcpka`: SO_KEEPALIVE on the connection. */
  readonly keepAlive?: boolean;
  /** `socks4 ADDR:PORT`: the connection goes through this SOCKS4 proxy. */
  readonly socks4?: { readonly host: string; readonly port: number } | undefined;
  /** `source ADDR[:PORT]`: the local address (port 0: any) it goes from. */
  readonly source?: { readonly host: string; readonly port: number } | undefined;
}

const ascii = new TextEncoder();

/**
 * Opens the connection; `events` are in place before any byte can arrive.
 * `opened` runs in the very callback the runtime's connect settles in (no
 * promise hop more): a server that speaks first, or closes at once, must not
 * find its events delivered before its stream knows the socket.
 */
export function connectServer(
  runtime: Pick<Runtime, "connect">,
  target: ConnectTarget,
  events: SocketEvents,
  opened: (socket: Socket) => void,
  failed: (error: unknown) => void,
): void {
  if (!(target.port >= 1 && target.port <= 65535)) {
    // A server that takes the client's destination port, offset out of range (or none: 0).
    const error = new ConnectError("error", target.host, target.port, "no destination port to connect to");
    void Promise.resolve().then(() => failed(error));
    return;
  }
  const options: ConnectOptions = { hostname: target.host, port: target.port, timeoutMs: target.timeoutMs };
  if (target.tls !== undefined) options.tls = target.tls;
  if (target.source !== undefined) options.localAddress = target.source;
  if (target.socks4 !== undefined) {
    const hop = socks4Hop(target.socks4, target.host, target.port);
    if (typeof hop === "string") {
      const error = new ConnectError("error", target.host, target.port, hop);
      void Promise.resolve().then(() => failed(error));
      return;
    }
    if (target.tls === undefined) return connectThroughHop(runtime, options, hop, target, events, opened, failed);
    options.through = hop;
  }
  runtime.connect(options, events).then((socket) => {
    if (target.keepAlive === true) socket.setKeepAlive(true);
    if (target.proxyHeader !== "") socket.write(ascii.encode(target.proxyHeader));
    opened(socket);
  }, failed);
}

/**
 * A plain connection through a hop (`socks4` without `ssl`), on the runtime's
 * own socket: connect to the hop, send its request, read its reply; then the
 * socket is the destination's, and bytes that came with the reply (a
 * server that speaks first) go to its owner right after `opened`. TLS
 * through a hop is the runtime's (ConnectOptions.through).
 */
function connectThroughHop(
  runtime: Pick<Runtime, "connect">,
  options: ConnectOptions,
  hop: ConnectHop,
  target: ConnectTarget,
  events: SocketEvents,
  opened: (socket: Socket) => void,
  failed: (error: unknown) => void,
): void {
  const where = `${hop.hostname}:${hop.port}`;
  let reply = new Uint8Array(0);
  let socket: Socket | undefined;
  let settled = false;
  const refuse = (detail: string) => {
    if (settled) return;
    settled = true;
    socket?.destroy();
    failed(new ConnectError("refused", options.hostname, options.port, `${where}: ${detail}`));
  };
  const handshake: SocketEvents = {
    data(chunk) {
      const all = new Uint8Array(reply.length + chunk.length);
      all.set(reply);
      all.set(chunk, reply.length);
      reply = all;
      if (reply.length < hop.replyLength || settled || socket === undefined) return;
      const refusal = hop.refusal(reply.subarray(0, hop.replyLength));
      if (refusal !== undefined) return refuse(refusal);
      settled = true;
      const early = reply.subarray(hop.replyLength);
      socket.events = events;
      if (target.keepAlive === true) socket.setKeepAlive(true);
      if (target.proxyHeader !== "") socket.write(ascii.encode(target.proxyHeader));
      opened(socket);
      if (early.length > 0 && !socket.closed) events.data(early);
    },
    drain() {},
    end: () => refuse("closed the connection before its reply"),
    close: () => refuse("closed the connection before its reply"),
  };
  const toHop: ConnectOptions = { hostname: hop.hostname, port: hop.port, timeoutMs: options.timeoutMs };
  if (options.localAddress !== undefined) toHop.localAddress = options.localAddress;
  runtime.connect(toHop, handshake).then((s) => {
    socket = s;
    s.write(hop.request);
  }, (error: unknown) => {
    settled = true;
    failed(error instanceof ConnectError ? new ConnectError(error.code, options.hostname, options.port, `through ${where}: ${error.message}`) : error);
  });
}
