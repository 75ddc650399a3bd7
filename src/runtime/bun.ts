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
  type ProgramExit,
  type ProgramOptions,
  type RunningProgram,
  type SignalName,
  type Socket,
  type SocketEvents,
  type TimerHandle,
  type Timers,
} from "./types.ts";
import { connectFrom, connectThrough } from "./node-hop.ts";
import { connectTls, listenTls } from "./node-tls.ts";
import { tlsAcceptor } from "./node-tls-acceptor.ts";
import { BunSocket, handlers, isKnownEnd, noEvents, type KnownEnd, type RawSocket } from "./bun-socket.ts";
import { fitsNativeTls, listenNativeTls } from "./bun-tls.ts";
import { HANDSHAKE_SLOTS, HandshakeGate } from "./handshake-gate.ts";
import { bunSystem } from "./bun-system.ts";
import { findProgram } from "./program-path.ts";
import { openDatagram } from "./node-udp.ts";

type NativeTimer = ReturnType<typeof setTimeout>;

function failureOf(error: unknown): ConnectFailure {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ETIMEDOUT") return "timeout";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "unreachable";
  return "error";
}

const nativeTimers: Pick<Timers, "now" | "setTimer" | "clearTimer"> = {
  now: () => performance.now(),
  // The runtime's own timer object is the handle: nothing is allocated around it.
  setTimer: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as NativeTimer),
};

/**
 * One gate for the process: Bun's budget of handshake reads is per event loop, shared by every TLS listener.
 * SLUICE_HANDSHAKE_SLOTS=0 turns it off (for A/B runs of bench/edge.ts).
 */
const handshakeSlots = Number(process.env.SLUICE_HANDSHAKE_SLOTS ?? HANDSHAKE_SLOTS);
const handshakeGate = handshakeSlots > 0 ? new HandshakeGate(nativeTimers, handshakeSlots) : undefined;

async function listen(options: ListenOptions, onAccept: (socket: Socket) => void): Promise<Listener> {
  // One certificate and settings Bun.listen can express: Bun's own TLS (cheaper per
  // request and per handshake); several certificates by SNI and the rest: node:tls
  // (bench/results/tls-listeners.md).
  if (options.tls !== undefined) {
    const tls = options.tls;
    if (fitsNativeTls(tls)) return Promise.resolve(listenNativeTls({ ...options, tls }, onAccept, handshakeGate));
    return listenTls({ ...options, tls }, onAccept, "stream", handshakeGate);
  }
  // Set once listening (before any accept): the port may have been 0.
  let local: KnownEnd | undefined;
  const server = Bun.listen<BunSocket>({
    hostname: options.hostname,
    port: options.port,
    allowHalfOpen: true,
    // SO_REUSEPORT: Bun takes it on listen sockets though its types list it for Bun.serve only.
    ...({ reusePort: options.reusePort ?? false } as object),
    ...(options.ipv6Only === undefined ? {} : { ipv6Only: options.ipv6Only }),
    socket: {
      ...handlers,
      // Bun sets TCP_NODELAY itself on accepted and connected sockets.
      open(raw) {
        const socket = new BunSocket(raw, noEvents, local);
        raw.data = socket;
        onAccept(socket);
      },
    },
  });
  const bound = { hostname: options.hostname, port: server.port };
  if (isKnownEnd(bound)) local = bound;
  return {
    hostname: server.hostname ?? options.hostname,
    port: server.port,
    close: () => server.stop(false),
  };
}

/**
 * A connect in flight: what `open` or `connectError` settle. It rides in the
 * raw socket's `data` until the socket opens, so that every connect shares one
 * handler object (a handler object per connect, with its two closures and its
 * timer closure, was made for every server connection; under churn that is
 * one per request).
 */
class PendingConnect {
  settled = false;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  constructor(
    readonly hostname: string,
    readonly port: number,
    readonly timeoutMs: number,
    readonly events: SocketEvents,
    readonly resolve: (socket: Socket) => void,
    readonly reject: (error: ConnectError) => void,
  ) {}

  /** Settles as failed (refused, unreachable...), unless it is settled already. */
  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.reject(new ConnectError(failureOf(error), this.hostname, this.port, (error as Error)?.message));
  }

  timedOut(): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(new ConnectError("timeout", this.hostname, this.port, `after ${this.timeoutMs} ms`));
  }
}

function timeOutConnect(pending: PendingConnect): void {
  pending.timedOut();
}

type ConnectingSocket = import("bun").Socket<BunSocket | PendingConnect>;

// The socket handlers of every outgoing connection: until `open`, `data` holds
// the PendingConnect, and the shared handlers leave it alone.
const connectHandlers = {
  data(raw: ConnectingSocket, chunk: Uint8Array) {
    const s = raw.data;
    if (s instanceof BunSocket && !s.closed) s.events.data(chunk);
  },
  drain(raw: ConnectingSocket) {
    const s = raw.data;
    if (s instanceof BunSocket) s.onDrain();
  },
  end(raw: ConnectingSocket) {
    const s = raw.data;
    if (s instanceof BunSocket) s.onPeerEnd();
  },
  error(raw: ConnectingSocket, error: Error) {
    const s = raw.data;
    if (s instanceof BunSocket) s.onError(error);
  },
  close(raw: ConnectingSocket, error?: Error) {
    const s = raw.data;
    if (!(s instanceof BunSocket)) return;
    if (error !== undefined) s.onError(error);
    s.onClose();
  },
  open(raw: ConnectingSocket) {
    const pending = raw.data;
    if (!(pending instanceof PendingConnect) || pending.settled) {
      // Too late: the caller gave up on this connection.
      raw.end();
      return;
    }
    pending.settled = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    const socket = new BunSocket(raw as RawSocket, pending.events, undefined, isKnownEnd(pending) ? pending : undefined);
    raw.data = socket;
    pending.resolve(socket);
  },
  connectError(raw: ConnectingSocket, error: Error) {
    const pending = raw.data;
    if (pending instanceof PendingConnect) pending.fail(error);
  },
};

function connect(options: ConnectOptions, events: SocketEvents): Promise<Socket> {
  const { hostname, port, timeoutMs } = options;
  if (options.through !== undefined && options.tls !== undefined) return connectThrough({ ...options, tls: options.tls }, options.through, events, "stream");
  if (options.tls !== undefined) return connectTls(hostname, port, timeoutMs, options.tls, events, "stream", options.localAddress);
  if (options.localAddress !== undefined) return connectFrom(options, events, "stream");
  return new Promise<Socket>((resolve, reject) => {
    const pending = new PendingConnect(hostname, port, timeoutMs, events, resolve, reject);
    if (timeoutMs > 0) pending.timer = setTimeout(timeOutConnect, timeoutMs, pending);
    Bun.connect<BunSocket | PendingConnect>({ hostname, port, allowHalfOpen: true, data: pending, socket: connectHandlers })
      .catch((error) => pending.fail(error));
  });
}

function runProgram(options: ProgramOptions): RunningProgram {
  const found = findProgram(options.command, options.env.PATH);
  if ("error" in found) return { terminate() {}, exited: Promise.resolve({ code: null, signal: null, error: found.error }) };
  let child: ReturnType<typeof Bun.spawn>;
  try {
    // Bun.spawn's env is the child's whole environment.
    child = Bun.spawn({ cmd: [found.file, ...options.args], env: { ...options.env }, stdio: ["ignore", "inherit", "inherit"] });
  } catch (error) {
    return { terminate() {}, exited: Promise.resolve({ code: null, signal: null, error: error instanceof Error ? error.message : String(error) }) };
  }
  return {
    terminate: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
    exited: child.exited.then((code): ProgramExit => (child.signalCode !== null ? { code: null, signal: String(child.signalCode) } : { code, signal: null })),
  };
}

export const bunRuntime: HostRuntime = {
  ...bunSystem,
  name: "bun",
  version: Bun.version,
  listen,
  connect,
  tlsAcceptor: (tls) => tlsAcceptor(tls, "stream"),
  async resolve(host: string): Promise<string[]> {
    try {
      const found = orderAddresses(await Bun.dns.lookup(host, {}));
      if (found.length > 0) return found;
    } catch (error) {
      throw new ResolveError(host, error instanceof Error ? error.message : String(error));
    }
    throw new ResolveError(host, "no address");
  },
  runProgram,
  openDatagram,
  now: nativeTimers.now,
  wallNow: () => Date.now(),
  setTimer: nativeTimers.setTimer,
  clearTimer: nativeTimers.clearTimer,
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
