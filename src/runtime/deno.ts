// The Deno adapter: Socket and Runtime over Deno.listen / Deno.connect (TCP).
//
// Deno's conn.read()/conn.write() are async ops. A write op is polled eagerly
// (what the kernel takes is in the kernel when conn.write() returns), but how
// much it took is known only when its promise settles. So write() starts an op
// at once when none is in flight, queues behind it otherwise, and always says
// false: the bytes stay `pending` until the op reports them, and `drain`
// follows. Measured through a Deno-adapter proxy (loopback, 2 cores), this
// costs nothing against returning true for chunks up to 64 KiB handed straight
// to an op: bulk ~580 vs ~600 MiB/s, 100 B ping-pong ~14 k vs ~13 k/s (noise).
// Chunks queued while an op is in flight are joined into one op.
import {
  ConnectError,
  orderAddresses,
  ResolveError,
  type ConnectFailure,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type Runtime,
  type SignalName,
  type Socket,
  type SocketEvents,
  type TimerHandle,
} from "./types.ts";
import { connectTls, listenTls } from "./node-tls.ts";

/** Size of one conn.read(). */
const READ_SIZE = 64 * 1024;
/**
 * A read shorter than this is copied out and the read buffer kept for the next
 * read; a longer one is handed over as is (a view of the read buffer) and the
 * next read gets a new buffer. Measured on Deno 2.9.6, loopback, 2 cores:
 * a fresh 64 KiB buffer per read halves small-message round trips (100 B
 * ping-pong: ~15 k/s vs ~33 k/s copying) and pins 64 KiB behind every small
 * chunk; copying every read costs a few % on bulk (2 GiB: ~1.35 vs ~1.45 GiB/s,
 * within noise); this split matched the best of both in each test.
 */
const READ_COPY_BELOW = 32 * 1024;
/**
 * Copied reads go into a shared slab rather than into a buffer of their own:
 * V8 allocates a small typed array with its own store in ~0.5 µs, a view of a
 * slab in ~0.08 µs, and a buffer per 16 KiB response made V8 collect far more
 * often (external memory). A slab is freed once no chunk of it is referenced.
 */
const SLAB_SIZE = 256 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabOff = 0;

function copyOut(buf: Uint8Array, n: number): Uint8Array {
  if (slabOff + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOff = 0;
  }
  const out = new Uint8Array(slab, slabOff, n);
  out.set(n === buf.length ? buf : buf.subarray(0, n));
  slabOff += n;
  return out;
}
/** Queued chunks are joined into one write op up to this many bytes. */
const COALESCE_MAX = 256 * 1024;
/** Chunks at least this big are written on their own rather than copied. */
const COALESCE_CHUNK_MAX = 64 * 1024;

/** A chunk read while paused, or EOF read while paused. */
const HELD_EOF = null;

const noop = () => {};
const NO_EVENTS: SocketEvents = { data: noop, drain: noop, end: noop, close: noop };

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class DenoSocket implements Socket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  events: SocketEvents;

  #conn: Deno.TcpConn | Deno.UnixConn;
  #closed = false;

  // read side
  #paused = false;
  #loopRunning = false;
  /** A read result that arrived while paused: chunk, HELD_EOF, or undefined (none). */
  #held: Uint8Array | null | undefined = undefined;
  /** The peer sent FIN (delivered as `end`, or held while paused). */
  #readDone = false;
  /** The buffer for the next read, kept when the last read was copied out. */
  #readBuf: Uint8Array | undefined;
  #endEmitted = false;

  // write side
  #queue: Uint8Array[] = [];
  #pending = 0;
  #writing = false;
  #needDrain = false;
  #endCalled = false;
  #finSent = false;
  /** closeWrite() has completed: our FIN is on its way. */
  #finDone = false;

  constructor(conn: Deno.TcpConn | Deno.UnixConn, events: SocketEvents) {
    this.#conn = conn;
    this.events = events;
    [this.remoteAddress, this.remotePort] = addressOf(conn.remoteAddr);
    [this.localAddress, this.localPort] = addressOf(conn.localAddr);
    if (!("setNoDelay" in conn)) return;
    try {
      conn.setNoDelay(true);
    } catch {
      // a conn reset before we got here: the first read reports it
    }
  }

  get pending(): number {
    return this.#pending;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Begin reading (after the owner has set `events`). */
  start(): void {
    this.#startReading();
  }

  // ---------------------------------------------------------------- reading

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#startReading();
  }

  #startReading(): void {
    if (this.#loopRunning || this.#closed || this.#paused) return;
    if (this.#readDone && this.#held === undefined) return;
    this.#loopRunning = true;
    // #readLoop catches everything itself; the catch is a belt for the braces.
    this.#readLoop().catch((e) => this.#fail(e));
  }

  async #readLoop(): Promise<void> {
    try {
      // Held data is delivered from a later microtask, never from inside resume().
      if (this.#held !== undefined) await null;
      while (!this.#closed && !this.#paused) {
        let chunk: Uint8Array | null;
        if (this.#held !== undefined) {
          chunk = this.#held;
          this.#held = undefined;
        } else {
          if (this.#readDone) return;
          const buf = this.#readBuf ??= new Uint8Array(READ_SIZE);
          let n: number | null;
          try {
            n = await this.#conn.read(buf);
          } catch (e) {
            if (!this.#closed) this.#fail(e);
            return;
          }
          if (this.#closed) return;
          if (n === null) {
            this.#readDone = true;
            chunk = null;
          } else if (n < READ_COPY_BELOW) {
            chunk = copyOut(buf, n);
          } else {
            // The buffer goes with the chunk: never reused, never touched again.
            chunk = buf.subarray(0, n);
            this.#readBuf = undefined;
          }
          if (this.#paused) {
            this.#held = chunk;
            return;
          }
        }
        if (chunk === HELD_EOF) {
          this.#onPeerEnd();
          return;
        }
        try {
          this.events.data(chunk);
        } catch (e) {
          this.#fail(e);
          return;
        }
      }
    } finally {
      this.#loopRunning = false;
    }
  }

  #onPeerEnd(): void {
    if (this.#endEmitted || this.#closed) return;
    this.#endEmitted = true;
    try {
      this.events.end();
    } catch (e) {
      this.#fail(e);
      return;
    }
    this.#maybeFinish();
  }

  // ---------------------------------------------------------------- writing

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#endCalled) return false;
    const len = chunk.byteLength;
    if (len === 0) return this.#pending === 0;
    this.#pending += len;
    if (this.#writing) {
      this.#queue.push(chunk);
      this.#needDrain = true;
      return false;
    }
    this.#writing = true;
    this.#issue(chunk);
    // The op has run once already (what the kernel took is in the kernel), but
    // only its promise says how much that was: until then the bytes count as
    // pending, so write() says false and `drain` follows when the op is done.
    this.#needDrain = true;
    return false;
  }

  end(): void {
    if (this.#closed || this.#endCalled) return;
    this.#endCalled = true;
    if (!this.#writing) this.#sendFin();
  }

  /**
   * One write op for `buf`; #onWritten continues with its rest, then with what
   * was queued meanwhile, in order. Callbacks bound once rather than an async
   * loop per write: this runs twice per proxied request.
   */
  #issue(buf: Uint8Array): void {
    this.#current = buf;
    this.#conn.write(buf).then(this.#onWritten, this.#onWriteError);
  }

  #current: Uint8Array | undefined;

  readonly #onWritten = (n: number): void => {
    if (this.#closed) return;
    this.#pending -= n;
    const buf = this.#current!;
    if (n < buf.byteLength) return this.#issue(buf.subarray(n));
    if (this.#queue.length !== 0) return this.#issue(this.#takeQueued());
    this.#current = undefined;
    this.#writing = false;
    if (this.#needDrain) {
      this.#needDrain = false;
      try {
        this.events.drain();
      } catch (e) {
        this.#fail(e);
        return;
      }
      if (this.#closed || this.#writing) return;
    }
    if (this.#endCalled) this.#sendFin();
  };

  readonly #onWriteError = (e: unknown): void => {
    if (!this.#closed) this.#fail(e);
  };

  /** The next buffer to write: the head chunk, or several small ones joined. */
  #takeQueued(): Uint8Array {
    const q = this.#queue;
    const head = q[0]!;
    if (q.length === 1 || head.byteLength >= COALESCE_CHUNK_MAX) {
      q.shift();
      return head;
    }
    let count = 0;
    let total = 0;
    while (count < q.length) {
      const len = q[count]!.byteLength;
      if (count > 0 && (total + len > COALESCE_MAX || len >= COALESCE_CHUNK_MAX)) break;
      total += len;
      count++;
    }
    if (count === 1) {
      q.shift();
      return head;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const c = q[i]!;
      out.set(c, at);
      at += c.byteLength;
    }
    q.splice(0, count);
    return out;
  }

  #sendFin(): void {
    if (this.#finSent || this.#closed) return;
    this.#finSent = true;
    this.#conn.closeWrite().then(
      () => {
        this.#finDone = true;
        this.#maybeFinish();
      },
      (e) => {
        if (!this.#closed) this.#fail(e);
      },
    );
  }

  // ---------------------------------------------------------------- closing

  /** Both directions done: we sent FIN after flushing, and the peer's FIN was delivered. */
  #maybeFinish(): void {
    if (this.#closed || !this.#endEmitted || !this.#finDone) return;
    this.#shutdown(undefined);
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    // `close` is never emitted from inside a call the owner made.
    queueMicrotask(() => this.#emitClose(undefined));
  }

  #fail(e: unknown): void {
    if (this.#closed) return;
    this.#shutdown(asError(e));
  }

  #shutdown(error: Error | undefined): void {
    this.#closed = true;
    this.#release();
    this.#emitClose(error);
  }

  #release(): void {
    this.#queue.length = 0;
    this.#pending = 0;
    this.#held = undefined;
    this.#readBuf = undefined;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  #emitClose(error: Error | undefined): void {
    const events = this.events;
    this.events = NO_EVENTS;
    try {
      events.close(error);
    } catch (e) {
      // A throwing close handler is the owner's bug: surface it like any
      // uncaught exception, never as an unhandled rejection.
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

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

/** A TCP address as host and port; a unix socket's as its path and 0. */
function addressOf(addr: Deno.Addr): [string, number] {
  if (addr.transport === "tcp" || addr.transport === "udp") return [addr.hostname, addr.port];
  return ["path" in addr ? addr.path ?? "" : "", 0];
}

function isListenerClosed(e: unknown): boolean {
  return e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted;
}

export class DenoListener implements Listener {
  readonly hostname: string;
  readonly port: number;
  #listener: Deno.TcpListener | Deno.UnixListener;
  #closed = false;

  constructor(listener: Deno.TcpListener | Deno.UnixListener, onAccept: (socket: Socket) => void) {
    this.#listener = listener;
    [this.hostname, this.port] = addressOf(listener.addr);
    this.#acceptLoop(onAccept).catch(noop);
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

async function connect(options: ConnectOptions, events: SocketEvents): Promise<Socket> {
  const { hostname, port, timeoutMs } = options;
  if (options.tls !== undefined) return connectTls(hostname, port, timeoutMs, options.tls, events, "hold");
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

export const denoRuntime: Runtime = {
  name: "deno",
  version: Deno.version.deno,

  listen(options: ListenOptions, onAccept: (socket: Socket) => void): Promise<Listener> {
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
      ].filter(Boolean);
      if (ignored.length > 0) {
        return Promise.reject(
          new Error(`${options.hostname}:${options.port}: ${ignored.join(", ")} cannot be applied under Deno (its TLS library ignores them); remove them or run sluice on Bun`),
        );
      }
      return listenTls({ ...options, tls: t }, onAccept, "hold");
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
