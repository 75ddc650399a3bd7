// Bun adapter: Bun.listen / Bun.connect behind the Socket interface (the
// socket itself in bun-socket.ts), TLS listeners native (bun-tls.ts) or
// through node:tls (node-tls.ts), timers, signals.
import {
  ConnectError,
  orderAddresses,
  ResolveError,
  type ConnectFailure,
  type ConnectOptions,
  type HostRuntime,
  type Listener,
  type ListenOptions,
  type SignalName,
  type Socket,
  type SocketEvents,
  type TimerHandle,
} from "./types.ts";
import { connectTls, listenTls } from "./node-tls.ts";
import { BunSocket, handlers, noEvents } from "./bun-socket.ts";
import { fitsNativeTls, listenNativeTls } from "./bun-tls.ts";
import { bunSystem } from "./bun-system.ts";

type NativeTimer = ReturnType<typeof setTimeout>;

function failureOf(error: unknown): ConnectFailure {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ETIMEDOUT") return "timeout";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "unreachable";
  return "error";
}

async function listen(options: ListenOptions, onAccept: (socket: Socket) => void): Promise<Listener> {
  // One certificate and settings Bun.listen can express: Bun's own TLS (cheaper per
  // request and per handshake); several certificates by SNI and the rest: node:tls
  // (bench/results/tls-listeners.md).
  if (options.tls !== undefined) {
    const tls = options.tls;
    if (fitsNativeTls(tls)) return Promise.resolve(listenNativeTls({ ...options, tls }, onAccept));
    return listenTls({ ...options, tls }, onAccept, "stream");
  }
  const server = Bun.listen<BunSocket>({
    hostname: options.hostname,
    port: options.port,
    allowHalfOpen: true,
    // SO_REUSEPORT: Bun takes it on listen sockets though its types list it for Bun.serve only.
    ...({ reusePort: options.reusePort ?? false } as object),
    socket: {
      ...handlers,
      open(raw) {
        raw.setNoDelay(true);
        const socket = new BunSocket(raw, noEvents);
        raw.data = socket;
        onAccept(socket);
      },
    },
  });
  return {
    hostname: server.hostname ?? options.hostname,
    port: server.port,
    close: () => server.stop(false),
  };
}

function connect(options: ConnectOptions, events: SocketEvents): Promise<Socket> {
  const { hostname, port, timeoutMs } = options;
  if (options.tls !== undefined) return connectTls(hostname, port, timeoutMs, options.tls, events, "stream");
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new ConnectError("timeout", hostname, port, `after ${timeoutMs} ms`));
      }, timeoutMs);
    }
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      reject(new ConnectError(failureOf(error), hostname, port, (error as Error)?.message));
    };
    Bun.connect<BunSocket>({
      hostname,
      port,
      allowHalfOpen: true,
      socket: {
        ...handlers,
        open(raw) {
          if (settled) {
            // Too late: the caller gave up on this connection.
            raw.end();
            return;
          }
          settled = true;
          if (timer !== undefined) clearTimeout(timer);
          raw.setNoDelay(true);
          const socket = new BunSocket(raw, events);
          raw.data = socket;
          resolve(socket);
        },
        connectError(_raw, error) {
          fail(error);
        },
      },
    }).catch(fail);
  });
}

export const bunRuntime: HostRuntime = {
  ...bunSystem,
  name: "bun",
  version: Bun.version,
  listen,
  connect,
  async resolve(host: string): Promise<string[]> {
    try {
      const found = orderAddresses(await Bun.dns.lookup(host, {}));
      if (found.length > 0) return found;
    } catch (error) {
      throw new ResolveError(host, error instanceof Error ? error.message : String(error));
    }
    throw new ResolveError(host, "no address");
  },
  now: () => performance.now(),
  wallNow: () => Date.now(),
  // The runtime's own timer object is the handle: nothing is allocated around it.
  setTimer: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as NativeTimer),
  defer(fn) {
    setImmediate(fn);
  },
  onSignal(signal: SignalName, handler: () => void) {
    process.on(signal, handler);
  },
  args: () => process.argv.slice(2),
  exit(code: number): never {
    process.exit(code);
  },
};
