// Bun's TCP socket behind the Socket interface, shared by the plain and the
// native TLS listeners and by connect. Bun's socket.write() takes what the
// kernel accepts and keeps none of the rest, so this holds the remainder and
// writes it on `drain`.
import type { Socket, SocketEvents, TlsFacts } from "./types.ts";
import { socketClosed } from "./bun-gc-pacer.ts";

export type RawSocket = import("bun").Socket<BunSocket>;

export const noEvents: SocketEvents = {
  data() {},
  drain() {},
  end() {},
  close() {},
};

/**
 * The empty write queue every socket starts with, never grown: a socket takes
 * a queue of its own the first time the kernel does not take a whole write
 * (most connections never), so an idle one holds no array.
 */
const NO_QUEUE: Uint8Array[] = [];

/** One end of a connection, as the kernel would report it (a PendingConnect is one: no object per connect). */
export interface KnownEnd {
  readonly hostname: string;
  readonly port: number;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Whether a socket to or from `end` has exactly that end as the kernel would
 * report it: an IPv4 literal (IPv6 has several spellings of one address, a
 * wildcard or a name is resolved by the kernel) and a set port.
 */
export function isKnownEnd(end: KnownEnd): boolean {
  return end.port > 0 && end.hostname !== "0.0.0.0" && IPV4.test(end.hostname);
}

export class BunSocket implements Socket {
  events: SocketEvents;
  /** What the handshake settled, on a socket of a native TLS listener (bun-tls.ts). */
  tls: TlsFacts | undefined = undefined;
  pending = 0;
  closed = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  private queue: Uint8Array[] = NO_QUEUE;
  private ending = false;
  private wroteFin = false;
  private peerEnded = false;
  private error: Error | undefined;

  /**
   * `local`/`remote`: an end the caller knows already (the listener's own
   * address, the server it connected to). Bun asks the kernel for each
   * address and each port on its own (a getsockname or getpeername every
   * time), four system calls per socket otherwise; under churn that is eight
   * per request. Read once here, never after close (when the kernel no longer
   * has them).
   */
  constructor(readonly raw: RawSocket, events: SocketEvents, local?: KnownEnd, remote?: KnownEnd) {
    this.events = events;
    this.remoteAddress = remote === undefined ? raw.remoteAddress : remote.hostname;
    this.remotePort = remote === undefined ? raw.remotePort : remote.port;
    this.localAddress = local === undefined ? raw.localAddress : local.hostname;
    this.localPort = local === undefined ? raw.localPort : local.port;
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.ending) return false;
    if (this.queue.length > 0) {
      this.queue.push(chunk); // a queue of its own: only a non-empty one is pushed to
      this.pending += chunk.length;
      return false;
    }
    const n = this.raw.write(chunk);
    if (n === chunk.length) return true;
    if (n < 0) return this.brokenWrite();
    if (this.queue === NO_QUEUE) this.queue = [];
    this.queue.push(n === 0 ? chunk : chunk.subarray(n));
    this.pending += chunk.length - n;
    return false;
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.queue.length === 0) this.sendFin();
  }

  destroy(): void {
    this.closeNow(false);
  }

  reset(): void {
    this.closeNow(true);
  }

  /** Pending bytes dropped; Bun's end() sends a FIN, its terminate() a reset (SO_LINGER 0). */
  private closeNow(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.pending = 0;
    if (reset) this.raw.terminate();
    else this.raw.end();
  }

  setKeepAlive(on: boolean): void {
    if (!this.closed) this.raw.setKeepAlive(on);
  }

  pause(): void {
    this.raw.pause();
  }

  resume(): void {
    this.raw.resume();
  }

  onDrain(): void {
    const queue = this.queue;
    if (queue.length === 0 || this.closed) return;
    while (queue.length > 0) {
      const head = queue[0]!;
      const n = this.raw.write(head);
      if (n < 0) {
        this.brokenWrite();
        return;
      }
      if (n < head.length) {
        if (n > 0) {
          queue[0] = head.subarray(n);
          this.pending -= n;
        }
        return;
      }
      queue.shift();
      this.pending -= n;
    }
    if (this.ending) this.sendFin();
    if (!this.closed) this.events.drain();
  }

  onPeerEnd(): void {
    if (this.closed || this.peerEnded) return;
    this.peerEnded = true;
    this.events.end();
    if (this.wroteFin && !this.closed) this.raw.end();
  }

  /**
   * A socket error, or an exception thrown by our owner's handler (Bun routes
   * both here and would keep the socket open): either way the connection is
   * finished, and `close` carries the error.
   */
  onError(error: Error): void {
    this.error ??= error;
    if (!this.closed) this.raw.end();
  }

  /**
   * Bun's write() says -1 once the connection is gone (reset): nothing more
   * can be sent. The socket is not ended here: what the peer sent before its
   * reset (a server's early answer to an upload it did not read) is still in
   * the kernel's receive queue, and Bun delivers it as data before it reports
   * the close. Later writes are refused by `ending`.
   */
  private brokenWrite(): false {
    this.error ??= new Error("connection reset by peer");
    this.queue.length = 0;
    this.pending = 0;
    this.ending = true;
    this.wroteFin = true;
    return false;
  }

  onClose(): void {
    if (this.events === noEvents && this.closed) return;
    const events = this.events;
    // After our FIN, Bun reports the peer's FIN as a close without an `end`
    // call: pass it on as the end it is.
    const cleanEnd = !this.closed && this.wroteFin && !this.peerEnded && this.error === undefined;
    this.closed = true;
    socketClosed();
    this.events = noEvents;
    this.queue.length = 0;
    this.pending = 0;
    if (cleanEnd) {
      this.peerEnded = true;
      events.end();
    }
    events.close(this.error);
  }

  private sendFin(): void {
    if (this.wroteFin) return;
    this.wroteFin = true;
    this.raw.shutdown();
    // Both directions are done: nothing more can flow, so release the socket.
    if (this.peerEnded) this.raw.end();
  }
}

// One handler object for every socket: no closures per connection.
export const handlers = {
  data(raw: RawSocket, chunk: Uint8Array) {
    const s = raw.data;
    if (s !== undefined && !s.closed) s.events.data(chunk);
  },
  drain(raw: RawSocket) {
    raw.data?.onDrain();
  },
  end(raw: RawSocket) {
    raw.data?.onPeerEnd();
  },
  error(raw: RawSocket, error: Error) {
    raw.data?.onError(error);
  },
  close(raw: RawSocket, error?: Error) {
    const s = raw.data;
    if (s === undefined) return;
    if (error !== undefined) s.onError(error);
    s.onClose();
  },
};
