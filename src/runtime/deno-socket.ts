// Deno's TCP and unix connections behind the Socket interface.
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
import type { Socket, SocketEvents } from "./types.ts";

/** Size of one conn.read() once reads come big (a body streaming in). */
const READ_SIZE = 64 * 1024;
/**
 * Size of the first read, and of the next one after a short read. A pending
 * read holds its buffer until bytes come, so an idle keep-alive connection
 * (client or server side) held 64 KiB for nothing: 124 KiB per idle client
 * with its server connection (bench/churn-memory.ts, idle). A read that fills
 * this buffer makes the next one READ_SIZE; one shorter than it makes the next
 * one small again.
 */
const READ_SMALL = 4 * 1024;
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

export const noop = () => {};
export const NO_EVENTS: SocketEvents = { data: noop, drain: noop, end: noop, close: noop };

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** A TCP address as host and port; a unix socket's as its path and 0. */
export function addressOf(addr: Deno.Addr): [string, number] {
  if (addr.transport === "tcp" || addr.transport === "udp") return [addr.hostname, addr.port];
  return ["path" in addr ? addr.path ?? "" : "", 0];
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
  /** The size of the next read buffer: READ_SMALL, or READ_SIZE while reads come big. */
  #readSize = READ_SMALL;
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
  /** A write failed (the peer reset): reported with `close` once the read side is done. */
  #writeError: Error | undefined = undefined;

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
          const buf = this.#readBuf ??= new Uint8Array(this.#readSize);
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
            // Filled: more is coming, read big. Short on a big buffer: back to small (the buffer goes).
            if (n === buf.length) {
              this.#readSize = READ_SIZE;
              this.#readBuf = undefined;
            } else if (n < READ_SMALL && buf.length !== READ_SMALL) {
              this.#readSize = READ_SMALL;
              this.#readBuf = undefined;
            }
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

  /**
   * The peer reset the connection (or our side of it broke): nothing more can
   * be sent, but what the peer sent before (a server's early answer to an
   * upload it did not read) is still readable, so the read side goes on and
   * ends the socket, with this error, when it meets the reset. A paused
   * reader would hold that forever: then the socket ends now.
   */
  readonly #onWriteError = (e: unknown): void => {
    if (this.#closed) return;
    this.#writeError ??= asError(e);
    this.#queue.length = 0;
    this.#pending = 0;
    this.#current = undefined;
    this.#writing = false;
    this.#needDrain = false;
    this.#endCalled = true;
    this.#finSent = true;
    this.#finDone = true;
    if (this.#paused || this.#readDone) this.#fail(e);
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
    this.#shutdown(this.#writeError);
  }

  setKeepAlive(on: boolean): void {
    if (this.#closed || !("setKeepAlive" in this.#conn)) return;
    try {
      this.#conn.setKeepAlive(on);
    } catch {
      // a conn reset before we got here: the next read reports it
    }
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    // `close` is never emitted from inside a call the owner made.
    queueMicrotask(() => this.#emitClose(undefined));
  }

  /** Deno's Conn has no SO_LINGER: a plain close. */
  reset(): void {
    this.destroy();
  }

  #fail(e: unknown): void {
    if (this.#closed) return;
    this.#shutdown(this.#writeError ?? asError(e));
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
