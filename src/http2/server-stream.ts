// One stream of an HTTP/2 client connection, as sluice serves it: the
// request side (its receive window, given back only as the session takes the
// bytes; its content-length count) and the answer side (a ResponseWriter that
// turns the message model into HEADERS and DATA, holding what the client's
// windows do not allow yet). One slow stream holds back its own answer only.
import type { RequestSink, ServerStream } from "../conn/server-mux.ts";
import type { Head } from "../http/message.ts";
import { H1Parser } from "../http1/parser.ts";
import { DEFAULT_LIMITS } from "../http1/types.ts";
import { ErrorCode } from "./constants.ts";
import type { HeaderField } from "./hpack/index.ts";
import { trailerFields } from "./translate.ts";
import { setStatus } from "../http/edit-head.ts";
import { webSocketAccept } from "../http/websocket-key.ts";

/** What a stream needs from its connection. */
export interface ServerStreamHost {
  now(): number;
  /** Encodes and queues a response head (final or 1xx) as HEADERS (+ CONTINUATION), without END_STREAM. */
  sendHead(s: H2ServerStream, head: Head, final: boolean): void;
  /** Sets END_STREAM on the stream's last queued frame (its final HEADERS or a DATA frame) if still unwritten; returns whether it could. */
  endOnLastFrame(s: H2ServerStream): boolean;
  /** Frames all of `chunk` as DATA now if the windows and the socket allow it (nothing pending before it); returns whether it did. */
  sendNow(s: H2ServerStream, chunk: Uint8Array): boolean;
  /** Sends what the stream's pending answer bytes the windows allow. */
  sendPending(s: H2ServerStream): void;
  /** RST_STREAM with `code`, and the stream is forgotten. */
  resetStream(s: H2ServerStream, code: number): void;
  /** The stream's answer is complete (END_STREAM queued). */
  localEnded(s: H2ServerStream): void;
  /** Request bytes taken by the session: window given back as due. */
  giveBack(s: H2ServerStream): void;
}

const EMPTY = new Uint8Array(0);

export class H2ServerStream implements ServerStream {
  // ---- request side ----
  /** The request's header block (HEADERS and CONTINUATION payloads), in bytes. */
  headBytes = 0;
  /** The client sent END_STREAM. */
  remoteDone = false;
  /** Our window for the client's DATA on this stream. */
  recvWindow: number;
  /** Bytes received and not yet given back in a WINDOW_UPDATE. */
  unacked = 0;
  /** The session cannot pass more body to its server: nothing is given back until release(). */
  held = false;
  /** The request's content-length, -1 when none; DATA must add up to it (§8.1.1). */
  expected = -1;
  received = 0;
  sink: RequestSink | undefined;
  // ---- answer side ----
  /** The client's window for our DATA on this stream (may go negative after its SETTINGS). */
  sendWindow: number;
  readonly pending: Uint8Array[] = [];
  pendingBytes = 0;
  /** END_STREAM (with these trailers, if any) goes after the pending bytes. */
  endPending = false;
  trailersPending: HeaderField[] | undefined;
  /** We queued END_STREAM. */
  localDone = false;
  /** A final head was queued. */
  answered = false;
  /** The stream's last queued final HEADERS or DATA frame: the turn it was queued in (-1: none) and where in that turn's output. */
  lastFrameTurn = -1;
  lastFrameMark = 0;
  closed = false;
  bytesOut = 0;
  blockedSince = -1;
  /**
   * Opened by an extended CONNECT (RFC 8441): a server's 101 opens the tunnel
   * (a 200 to the client). The Sec-WebSocket-Key sent for it ("" for other
   * protocols); undefined: an ordinary request, which no 101 can answer.
   */
  upgradeKey: string | undefined = undefined;

  constructor(
    readonly id: number,
    private readonly host: ServerStreamHost,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  get queuedBytes(): number {
    return this.pendingBytes;
  }

  // ---- request flow control ----

  hold(): void {
    this.held = true;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.host.giveBack(this);
  }

  // ---- ResponseWriter ----

  interim(head: Head): void {
    if (this.closed || this.answered) return;
    this.host.sendHead(this, head, false);
  }

  head(head: Head, request: Head, _keepAlive: boolean): boolean {
    // A response without a body (HEAD, 204, 304) ends with its head: end() sets END_STREAM on it while it is queued.
    this.writeHead(head);
    // The connection is HTTP/2's: one stream's end never closes it.
    return true;
  }

  private writeHead(head: Head): void {
    if (this.closed || this.answered) return;
    this.answered = true;
    this.host.sendHead(this, head, true);
  }

  data(chunk: Uint8Array): void {
    if (this.closed || this.localDone || this.endPending || chunk.length === 0) return;
    if (this.pendingBytes === 0 && this.host.sendNow(this, chunk)) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.host.sendPending(this);
    // Kept past this call only when the windows or the socket hold it back:
    // then what is left of it (the last piece, the only one on its memory) is copied.
    const last = this.pending.length - 1;
    if (last >= 0 && this.pending[last]!.buffer === chunk.buffer) this.pending[last] = this.pending[last]!.slice();
  }

  end(trailers: Head | undefined): void {
    if (this.closed || this.localDone || this.endPending) return;
    const list = trailers !== undefined && trailers.fieldCount !== 0 ? trailerFields(trailers) : undefined;
    // The head or the last DATA frame is still queued: END_STREAM rides on it (no empty DATA frame).
    if (list === undefined && this.pendingBytes === 0 && this.host.endOnLastFrame(this)) return this.host.localEnded(this);
    this.endPending = true;
    this.trailersPending = list;
    this.host.sendPending(this);
  }

  /**
   * HTTP/2 has no 101 (RFC 9113 §8.6): an extended CONNECT's tunnel opens
   * with a 200 (RFC 8441 §5), once the server's Sec-WebSocket-Accept
   * matches the key sent; any other switch cannot be relayed, the stream is
   * reset (the session then drops the server side: slot.startTunnel).
   */
  switching(head: Head): void {
    const key = this.upgradeKey;
    if (key === undefined || (key !== "" && head.get("sec-websocket-accept") !== webSocketAccept(key))) return this.reset("cancel");
    // The server's fields go on (Sec-WebSocket-Accept too, as HAProxy relays them); Connection and Upgrade are HTTP/1's and dropped.
    this.writeHead(setStatus(head, 200)!);
  }

  /** sluice's own answer (error page, errorfile) given as raw HTTP/1.1 bytes: relayed as HTTP/2. */
  page(bytes: Uint8Array): void {
    if (this.closed || this.answered) return;
    let head: Head | undefined;
    const body: Uint8Array[] = [];
    const parser = new H1Parser("response", {
      head: (h) => (head ??= h),
      data: (c) => body.push(c),
      trailers() {},
      end() {},
      error() {},
    }, DEFAULT_LIMITS);
    parser.push(bytes);
    parser.finish();
    if (head === undefined) return this.reset("cancel");
    this.writeHead(head);
    for (const c of body) this.data(c);
    this.end(undefined);
  }

  reset(why: "cancel" | "refused", code?: number): void {
    if (this.closed) return;
    this.host.resetStream(this, why === "refused" ? ErrorCode.REFUSED_STREAM : code ?? ErrorCode.CANCEL);
  }

  /** Bytes framed for the client on this stream. */
  countOut(n: number): void {
    this.bytesOut += n;
  }

  /** What the connection sends next for this stream: the head of the pending bytes, up to `room`. */
  take(room: number): Uint8Array {
    const first = this.pending[0];
    if (first === undefined || room <= 0) return EMPTY;
    if (first.length <= room) {
      this.pending.shift();
      this.pendingBytes -= first.length;
      return first;
    }
    this.pending[0] = first.subarray(room);
    this.pendingBytes -= room;
    return first.subarray(0, room);
  }
}
