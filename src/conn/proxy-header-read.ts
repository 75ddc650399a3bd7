// `accept-proxy`: reads the PROXY header off a new connection before anything
// else sees it. The connection's owner meanwhile is this reader: bytes are
// gathered until the parser has a header (the rest of the read goes on to the
// session as its first bytes) or an error, or until `timeout client` (as
// HAProxy 2.6 bounds a connection still in its handshake). A failure closes
// the connection with HAProxy's reason for its log line.
import type { Socket, SocketEvents, TimerHandle, Timers } from "../runtime/types.ts";
import { ProxiedSocket } from "./proxied-socket.ts";
import { parseProxyHeader, ProxyHeaderError } from "./proxy-header-parse.ts";

/** How a connection failed to send its header, with HAProxy's text (CO_ER_PRX_*). */
export interface ProxyHeaderFailureReport {
  readonly reason: string;
  /** Nothing was received: `option dontlognull` leaves such connections out of the log, as HAProxy does. */
  readonly empty: boolean;
}

export interface ProxyHeaderOutcome {
  /** The header is read: `socket` carries its addresses; `early` are the bytes after it (maybe none). */
  proxied(socket: Socket, early: Uint8Array[]): void;
  /** The connection is closed already. */
  failed(socket: Socket, failure: ProxyHeaderFailureReport): void;
}

export class ProxyHeaderReader implements SocketEvents {
  private received: Uint8Array = new Uint8Array(0);
  private timer: TimerHandle | undefined;
  private settled = false;

  constructor(
    readonly socket: Socket,
    private readonly timers: Timers,
    timeoutMs: number,
    private readonly outcome: ProxyHeaderOutcome,
  ) {
    socket.events = this;
    if (timeoutMs > 0) this.timer = timers.setTimer(this.onTimeout, timeoutMs);
  }

  data(chunk: Uint8Array): void {
    if (this.settled) return;
    let bytes = chunk;
    if (this.received.length > 0) {
      bytes = new Uint8Array(this.received.length + chunk.length);
      bytes.set(this.received);
      bytes.set(chunk, this.received.length);
    }
    let parsed;
    try {
      parsed = parseProxyHeader(bytes);
    } catch (e) {
      if (!(e instanceof ProxyHeaderError)) throw e;
      this.fail(e.reason, false);
      return;
    }
    if (!parsed.done) {
      this.received = bytes;
      return;
    }
    this.settle();
    const rest = parsed.consumed < bytes.length ? [bytes.subarray(parsed.consumed)] : [];
    this.outcome.proxied(new ProxiedSocket(this.socket, parsed.header), rest);
  }

  drain(): void {}

  end(): void {
    if (this.settled) return;
    const empty = this.received.length === 0;
    this.fail(empty ? "Connection closed while waiting for PROXY protocol header" : "Truncated PROXY protocol header received", empty);
  }

  close(error?: Error): void {
    if (this.settled) return;
    this.settle();
    const empty = this.received.length === 0;
    const reason = error !== undefined
      ? "Connection error while waiting for PROXY protocol header"
      : empty
      ? "Connection closed while waiting for PROXY protocol header"
      : "Truncated PROXY protocol header received";
    this.outcome.failed(this.socket, { reason, empty });
  }

  /** Hard stop: the connection goes without a log line. */
  kill(): void {
    this.settle();
    this.socket.destroy();
  }

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    if (!this.settled) this.fail("Timeout while waiting for PROXY protocol header", false);
  };

  private fail(reason: string, empty: boolean): void {
    this.settle();
    this.socket.destroy();
    this.outcome.failed(this.socket, { reason, empty });
  }

  private settle(): void {
    this.settled = true;
    if (this.timer !== undefined) this.timers.clearTimer(this.timer);
    this.timer = undefined;
  }
}
