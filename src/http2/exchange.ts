// One exchange carried on an HTTP/2 server stream: the request goes out as a
// header list and DATA, the server's HEADERS/DATA/trailers come back as the
// heads, bytes and trailers of the message model (RFC 9113 §8,
// src/http2/translate.ts). Receive window is given back only as the client
// takes the bytes, so a slow client holds back its own stream and no other.
import { type Exchange, type ExchangeEvents, Lost, type OutgoingRequest } from "../conn/types.ts";
import { BodyKind, type Head, type ProtocolRefusal } from "../http/message.ts";
import type { ClientMuxBase, MuxConn } from "../conn/types.ts";
import type { H2ClientStream, H2StreamEvents } from "./client-stream.ts";
import { ErrorCode } from "./constants.ts";
import { type HeaderField, HeaderListTooLarge } from "./hpack/index.ts";
import { MalformedFields, requestFields, responseHead, trailersHead } from "./translate.ts";

/** The connection an exchange opens its stream on (client-connection.ts; an interface, so that the two files do not import each other). */
export interface StreamOpener extends MuxConn, ClientMuxBase {
  open(fields: readonly HeaderField[], endStream: boolean, events: H2StreamEvents): H2ClientStream;
}

/** A malformed HTTP/2 response, counted like a codec's refusal. */
function malformed(reason: string): ProtocolRefusal {
  return { status: 502, code: "h2-malformed", message: `a malformed HTTP/2 response: ${reason}` };
}

export class H2Exchange implements H2StreamEvents, Exchange {
  readonly stream: H2ClientStream;
  /** A final (non-1xx) head was relayed. */
  private final = false;
  /** Content-Length of the response, -1 when it has none: the DATA must add up (RFC 9113 §8.1.1). */
  private expected = -1;
  private received = 0;
  /** The client cannot take more: response bytes are not given back to the server's window yet. */
  private held = false;
  private owed = 0;
  /** Response bytes handed to the client side since the last flush. */
  private taken = 0;

  /**
   * The request's stream on `conn`, or 431 with nothing sent when its header
   * list is above the server's SETTINGS_MAX_HEADER_LIST_SIZE (the answer the
   * server would have given).
   */
  static open(conn: StreamOpener, request: OutgoingRequest, user: ExchangeEvents): H2Exchange | 431 {
    try {
      return new H2Exchange(conn, request.head, user, request.added);
    } catch (e) {
      if (e instanceof HeaderListTooLarge) return 431;
      throw e;
    }
  }

  private constructor(
    readonly conn: StreamOpener,
    private readonly request: Head,
    private readonly user: ExchangeEvents,
    added: OutgoingRequest["added"],
  ) {
    const fields = requestFields(request, added, "http");
    this.stream = conn.open(fields, request.bodyKind === BodyKind.None, this);
  }

  // ---- request body, from the client ----

  /** False: the server's windows are full; the client is paused until connectionDrain. */
  sendBody(chunk: Uint8Array): boolean {
    // The parser's chunk may be a view of a buffer reused later: HTTP/2 keeps it until the window allows.
    return this.stream.write(chunk.slice());
  }

  endBody(trailers: Head | undefined): void {
    if (trailers === undefined || trailers.fieldCount === 0) return this.stream.end();
    const fields: HeaderField[] = [];
    for (let i = 0; i < trailers.fieldCount; i++) fields.push([trailers.name(i), trailers.value(i)]);
    this.stream.trailers(fields);
  }

  /** Frames are written by the connection, once per turn of the event loop. */
  readonly hasQueued = false;

  writeQueued(): boolean {
    return true;
  }

  /** The connection stays for other streams whatever happened to this one. */
  get reusable(): boolean {
    return !this.conn.closed;
  }

  /** HTTP/2 has no 101 (RFC 9113 §8.6): a server's 101 is refused as malformed before this could be asked. */
  tunnel(): void {
    throw new Error("an HTTP/2 stream cannot become a tunnel");
  }

  endTunnelWrite(): void {}

  done(cancel: boolean): void {
    if (cancel) this.stream.cancel(ErrorCode.CANCEL);
  }

  /** The client's socket is full / drained. */
  pause(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    if (this.owed !== 0) {
      this.stream.consumed(this.owed);
      this.owed = 0;
    }
  }

  // ---- H2StreamEvents: the server's side ----

  headers(fields: HeaderField[], endStream: boolean): void {
    this.user.serverEvent();
    try {
      if (!this.final) {
        const head = responseHead(fields, this.request.method);
        if (head.status >= 200) {
          this.final = true;
          this.expected = head.bodyKind === BodyKind.Length ? head.contentLength : -1;
        }
        this.user.responseHead(head);
        if (endStream) this.finish();
      } else {
        this.user.responseTrailers(trailersHead(fields));
        this.finish();
      }
    } catch (e) {
      if (!(e instanceof MalformedFields)) throw e;
      this.stream.cancel(ErrorCode.PROTOCOL_ERROR);
      return this.user.responseBroken(malformed(e.message));
    }
  }

  data(chunk: Uint8Array, endStream: boolean): void {
    this.user.serverEvent();
    this.received += chunk.length;
    if (this.expected >= 0 && this.received > this.expected) {
      this.stream.cancel(ErrorCode.PROTOCOL_ERROR);
      return this.user.responseBroken(malformed("more DATA than its content-length"));
    }
    if (chunk.length !== 0) this.user.responseData(chunk);
    this.taken += chunk.length;
    if (endStream) this.finish();
  }

  /** The chunk that brought headers or data is processed: one write to the client, then window back unless it pushed back. */
  flush(): void {
    this.user.responseFlush();
    const n = this.taken;
    if (n === 0) return;
    this.taken = 0;
    if (this.held) this.owed += n;
    else this.stream.consumed(n);
  }

  reset(code: number, retryable: boolean): void {
    this.user.serverEvent();
    this.user.exchangeLost(retryable ? Lost.refused : Lost.broken, code);
  }

  drain(): void {
    this.user.drain();
  }

  private finish(): void {
    if (this.expected >= 0 && this.received !== this.expected) {
      return this.user.responseBroken(malformed(`DATA of ${this.received} bytes for a content-length of ${this.expected}`));
    }
    this.user.responseEnd();
  }
}
