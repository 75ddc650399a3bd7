// One stream of an HTTP/2 backend connection, as the request side sees it:
// send the body (as far as the peer's windows allow, the rest waits here),
// trailers, cancel; and give back receive window as the response's bytes are
// taken, so that a slow client holds back its own stream only.
import type { HeaderField } from "./hpack/index.ts";

export interface H2StreamEvents {
  /** A header block: 1xx, the final response, or trailers (endStream true). */
  headers(fields: HeaderField[], endStream: boolean): void;
  data(chunk: Uint8Array, endStream: boolean): void;
  /**
   * The stream ended abnormally: the server reset it, or the connection went.
   * `retryable`: the server never processed it (REFUSED_STREAM, or above a
   * GOAWAY's last stream id), so sending it again elsewhere is safe.
   */
  reset(code: number, retryable: boolean): void;
  /** Request data may flow again (windows reopened, socket drained). */
  drain(): void;
  /**
   * The received chunk that brought this stream's headers or data is fully
   * processed: what they produced may be written out now, in one write.
   */
  flush(): void;
}

/** What a stream needs from its connection. */
export interface StreamHost {
  sendData(stream: H2ClientStream): void;
  sendTrailers(stream: H2ClientStream, fields: readonly HeaderField[]): void;
  cancel(stream: H2ClientStream, code: number): void;
  consumed(stream: H2ClientStream, n: number): void;
}

export class H2ClientStream {
  /** The peer's window for our DATA on this stream (may go negative after a SETTINGS change). */
  sendWindow: number;
  /** Our window for the peer's DATA on this stream. */
  recvWindow: number;
  /** Taken by the user, not yet given back in a WINDOW_UPDATE. */
  unacked = 0;
  /** Request bytes waiting for window, in order. */
  readonly pending: Uint8Array[] = [];
  pendingBytes = 0;
  /** END_STREAM is due after the pending bytes. */
  endPending = false;
  /** We sent END_STREAM (or trailers). */
  localDone = false;
  /** The peer sent END_STREAM. */
  remoteDone = false;
  closed = false;
  /** The user was told no (window or socket full) and waits for drain(). */
  wantsDrain = false;
  /** A final (non-1xx) response head arrived. */
  responded = false;
  /** Headers or data of the chunk being read reached this stream: flush() is due after it. */
  touched = false;

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    public events: H2StreamEvents,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /**
   * Request body bytes (the caller must not reuse `chunk`'s memory). False:
   * they wait for the peer's window or the socket; stop producing until drain().
   */
  write(chunk: Uint8Array, endStream = false): boolean {
    if (this.closed || this.localDone || this.endPending) return false;
    if (chunk.length !== 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    if (endStream) this.endPending = true;
    this.host.sendData(this);
    if (this.pendingBytes !== 0) {
      this.wantsDrain = true;
      return false;
    }
    return true;
  }

  /** Ends the request body without trailers. */
  end(): void {
    this.write(new Uint8Array(0), true);
  }

  /** Ends the request with trailer fields (after any pending data). */
  trailers(fields: readonly HeaderField[]): void {
    if (this.closed || this.localDone) return;
    this.host.sendTrailers(this, fields);
  }

  /** The user gives up on the stream: RST_STREAM (CANCEL by default). */
  cancel(code = 0x8): void {
    if (this.closed) return;
    this.host.cancel(this, code);
  }

  /** The user passed `n` response bytes on (to its client): the server may send that many more. */
  consumed(n: number): void {
    if (this.closed || n <= 0) return;
    this.host.consumed(this, n);
  }
}
