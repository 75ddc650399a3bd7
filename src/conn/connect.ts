// The one way sluice opens a connection to a server, for every mode and
// protocol: the runtime's connect with `timeout connect`, then the PROXY
// protocol header first when the server has `send-proxy`. Failures come back
// as the runtime's typed ConnectError (refused, timeout, unreachable).
import { type ClientTlsOptions, ConnectError, type ConnectOptions, type Runtime, type Socket, type SocketEvents } from "../runtime/types.ts";

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
  runtime.connect(options, events).then((socket) => {
    if (target.keepAlive === true) socket.setKeepAlive(true);
    if (target.proxyHeader !== "") socket.write(ascii.encode(target.proxyHeader));
    opened(socket);
  }, failed);
}
