// The Deno adapter: Runtime over Deno.listen / Deno.connect (TCP); the socket
// itself is in deno-socket.ts, TLS through node:tls (node-tls.ts).
import {
  type ClientTlsOptions,
  ConnectError,
  orderAddresses,
  ResolveError,
  type ConnectFailure,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type ProgramExit,
  type ProgramOptions,
  type Runtime,
  type RunningProgram,
  type SignalName,
  type Socket,
  type SocketEvents,
  type TimerHandle,
} from "./types.ts";
import { connectFrom, connectThrough } from "./node-hop.ts";
import { connectTls, listenTls } from "./node-tls.ts";
import { addressOf, asError, DenoSocket, noop, NO_EVENTS } from "./deno-socket.ts";
import { findProgram } from "./program-path.ts";
import { openDatagram } from "./node-udp.ts";


// ------------------------------------------------------------------ runtime

function connectFailure(e: unknown): ConnectFailure {
  if (e instanceof Deno.errors.ConnectionRefused) return "refused";
  if (e instanceof Deno.errors.TimedOut) return "timeout";
  if (
    e instanceof Deno.errors.NetworkUnreachable ||
    e instanceof Deno.errors.AddrNotAvailable ||
    e instanceof Deno.errors.NotFound
  ) {
    return "unreachable";
  }
  const code = (e as { code?: unknown })?.code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ETIMEDOUT") return "timeout";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ENOTFOUND") {
    return "unreachable";
  }
  return "error";
}

function isListenerClosed(e: unknown): boolean {
  return e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted;
}

export class DenoListener implements Listener {
  readonly hostname: string;
  readonly port: number;
  #listener: Deno.TcpListener | Deno.UnixListener;
  #closed = false;
  /** Settles when the accept loop has ended (after close(): its last accept settled). */
  readonly acceptsEnded: Promise<void>;

  constructor(listener: Deno.TcpListener | Deno.UnixListener, onAccept: (socket: Socket) => void) {
    this.#listener = listener;
    [this.hostname, this.port] = addressOf(listener.addr);
    this.acceptsEnded = this.#acceptLoop(onAccept).catch(noop);
  }

  async #acceptLoop(onAccept: (socket: Socket) => void): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn | Deno.UnixConn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (this.#closed || isListenerClosed(e)) return;
        // EMFILE and friends: back off a little rather than spin.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      // Accepted as close() ran (the kernel had it queued): it is a client's
      // connection all the same, handed over like any other (a stopping
      // frontend serves its first request with Connection: close); closing it
      // here would fail a client during a reload.
      let socket: DenoSocket;
      try {
        socket = new DenoSocket(conn, NO_EVENTS);
      } catch {
        try {
          conn.close();
        } catch { /* */ }
        continue;
      }
      try {
        onAccept(socket);
      } catch {
        socket.destroy();
        continue;
      }
      socket.start();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Deno's node:tls (rustls) resumes no session it is handed (checked against
 * openssl s_server, TLS 1.2 and 1.3): none are kept, each connection makes a
 * full handshake.
 */
function withoutSessions(tls: ClientTlsOptions): ClientTlsOptions {
  if (tls.sessions === undefined) return tls;
  const { sessions: _unused, ...rest } = tls;
  return rest;
}

/** Settings Deno's node:tls ignores on connections (rustls: its own cipher list); refused at start. */
function clientTlsGap(tls: ClientTlsOptions): string | undefined {
  const ignored = [tls.ciphers && "ciphers", tls.ciphersuites && "ciphersuites"].filter(Boolean);
  if (ignored.length === 0) return undefined;
  return `${ignored.join(", ")} cannot be applied under Deno (its TLS library ignores them); remove them or run sluice on Bun`;
}

async function connect(options: ConnectOptions, events: SocketEvents): Promise<Socket> {
  const { hostname, port, timeoutMs } = options;
  if (options.through !== undefined && options.tls !== undefined) return connectThrough({ ...options, tls: withoutSessions(options.tls) }, options.through, events, "hold");
  if (options.tls !== undefined) return connectTls(hostname, port, timeoutMs, withoutSessions(options.tls), events, "hold", options.localAddress);
  if (options.localAddress !== undefined) return connectFrom(options, events, "hold");
  let conn: Deno.TcpConn;
  if (timeoutMs > 0) {
    const abort = new AbortController();
    const attempt = Deno.connect({ hostname, port, transport: "tcp", signal: abort.signal });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    let won: Deno.TcpConn | null;
    try {
      won = await Promise.race([attempt, expired]);
    } catch (e) {
      clearTimeout(timer);
      throw new ConnectError(connectFailure(e), hostname, port, asError(e).message);
    }
    clearTimeout(timer);
    if (won === null) {
      // A connection that completes after the deadline is closed, unused.
      attempt.then((late) => {
        try {
          late.close();
        } catch { /* */ }
      }, noop);
      abort.abort();
      throw new ConnectError("timeout", hostname, port, `${timeoutMs} ms`);
    }
    conn = won;
  } else {
    try {
      conn = await Deno.connect({ hostname, port, transport: "tcp" });
    } catch (e) {
      throw new ConnectError(connectFailure(e), hostname, port, asError(e).message);
    }
  }
  const socket = new DenoSocket(conn, events);
  socket.start();
  return socket;
}

function runProgram(options: ProgramOptions): RunningProgram {
  const found = findProgram(options.command, options.env.PATH);
  if ("error" in found) return { terminate() {}, exited: Promise.resolve({ code: null, signal: null, error: found.error }) };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(found.file, {
      args: [...options.args],
      env: { ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    return { terminate() {}, exited: Promise.resolve({ code: null, signal: null, error: error instanceof Error ? error.message : String(error) }) };
  }
  let done = false;
  const exited = child.status.then((s): ProgramExit => {
    done = true;
    return s.signal !== null ? { code: null, signal: s.signal } : { code: s.code, signal: null };
  });
  return {
    terminate: () => {
      if (done) return;
      try {
        child.kill("SIGTERM");
      } catch {
        // It exited between the check and the kill: nothing left to end.
      }
    },
    exited,
  };
}

export const denoRuntime: Runtime = {
  runProgram,
  openDatagram,
  name: "deno",
  version: Deno.version.deno,
  clientTlsGap,

  listen(options: ListenOptions, onAccept: (socket: Socket) => void): Promise<Listener> {
    const v6 = ipv6OnlyRefusal(options);
    if (v6 !== undefined) return Promise.reject(new Error(v6));
    // Several certificates by SNI: node:tls (bench/results/tls-listeners.md).
    if (options.tls !== undefined) {
      // Deno's node:tls runs on rustls and ignores these (checked with openssl
      // s_client; SSL_OP_NO_TICKET in secureOptions too: tickets are still
      // issued and resumed): refuse rather than serve other than configured.
      const t = options.tls;
      const ignored = [
        t.ciphers && "ciphers",
        t.ciphersuites && "ciphersuites",
        t.curves && "curves",
        !t.tickets && "no-tls-tickets",
        t.clientCertificates?.crl !== undefined && "crl-file",
        t.sessionLifetimeSec !== undefined && "tune.ssl.lifetime",
      ].filter(Boolean);
      if (ignored.length > 0) {
        return Promise.reject(
          new Error(`${options.hostname}:${options.port}: ${ignored.join(", ")} cannot be applied under Deno (its TLS library ignores them); remove them or run sluice on Bun`),
        );
      }
      return listenTls({ ...options, tls: t }, onAccept, "hold");
    }
    // Without --unstable-net, Deno.listen({ reusePort: true }) ends the process; only that flag defines Deno.listenDatagram.
    // A single process asks for SO_REUSEPORT only for an IPv4 bind beside a dual-stack `::` one on its port (workers get the flag).
    if (options.reusePort === true && !("listenDatagram" in Deno)) {
      return Promise.reject(new Error(`${options.hostname}:${options.port}: this bind shares its port with another of its frontend (an IPv4 address beside a dual-stack '::'), which needs SO_REUSEPORT: Deno offers it behind --unstable-net (run 'deno run -A --unstable-net'), or write 'v6only' on the '::' bind`));
    }
    try {
      const listener = Deno.listen({
        hostname: options.hostname,
        port: options.port,
        transport: "tcp",
        reusePort: options.reusePort ?? false,
      });
      return Promise.resolve(new DenoListener(listener, onAccept));
    } catch (e) {
      // AddrInUse, PermissionDenied…: a rejection, as for any async failure
      return Promise.reject(e);
    }
  },

  connect,

  /** Through node:dns's lookup (getaddrinfo, /etc/hosts included), which Deno.resolveDns is not. */
  async resolve(host: string): Promise<string[]> {
    try {
      const dns = await import("node:dns");
      const found = orderAddresses(await dns.promises.lookup(host, { all: true }));
      if (found.length > 0) return found;
    } catch (error) {
      throw new ResolveError(host, error instanceof Error ? error.message : String(error));
    }
    throw new ResolveError(host, "no address");
  },

  now(): number {
    return performance.now();
  },

  wallNow(): number {
    return Date.now();
  },

  // Deno's timer id is the handle: nothing is allocated around it.
  setTimer(fn: () => void, ms: number): TimerHandle {
    return setTimeout(fn, ms) as unknown as TimerHandle;
  },

  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as unknown as number);
  },

  defer(fn: () => void): void {
    setImmediate(fn);
  },

  onSignal(signal: SignalName, handler: () => void): void {
    Deno.addSignalListener(signal, handler);
  },

  args(): string[] {
    return Deno.args;
  },

  exit(code: number): never {
    Deno.exit(code);
  },
};

/**
 * Deno.listen cannot set IPV6_V6ONLY, and Deno's node:net ignores listen's
 * ipv6Only (checked: a v4 client still connects): its sockets follow the system's default
 * (Linux: net.ipv6.bindv6only). `v4v6` is met where that default is 0 (both
 * families); `v6only`, and `v4v6` where the default is 1, are refused.
 */
function ipv6OnlyRefusal(options: ListenOptions): string | undefined {
  if (options.ipv6Only === undefined) return undefined;
  const where = `[${options.hostname}]:${options.port}`;
  if (options.ipv6Only) return `${where}: v6only cannot be applied under Deno (Deno.listen cannot set IPV6_V6ONLY); run sluice on Bun`;
  let systemDefault = "0";
  try {
    systemDefault = Deno.readTextFileSync("/proc/sys/net/ipv6/bindv6only").trim();
  } catch {
    // no such file (not Linux): the platform's default is unknown, refuse below only if it said 1
  }
  if (systemDefault === "1") return `${where}: v4v6 cannot be applied under Deno (Deno.listen cannot clear IPV6_V6ONLY and net.ipv6.bindv6only is 1); run sluice on Bun`;
  return undefined;
}
