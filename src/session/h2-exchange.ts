// One HTTP/1.1 client stream carried on an HTTP/2 server stream: the request
// goes out as a header list and DATA, the server's HEADERS/DATA/trailers come
// back as the Head, bytes and trailers the client side relays (RFC 9113 §8,
// src/http2/translate.ts). Receive window is given back only as the client
// takes the bytes, so a slow client holds back its own stream and no other.
import type { H2ClientConnection } from "../http2/client-connection.ts";
import type { H2ClientStream, H2StreamEvents } from "../http2/client-stream.ts";
import { ErrorCode } from "../http2/constants.ts";
import { type HeaderField, HeaderListTooLarge } from "../http2/hpack/index.ts";
import { MalformedFields, requestFields, responseHead, trailersHead } from "../http2/translate.ts";
import { BodyKind, type Head } from "../http1/types.ts";
import type { AddedFields } from "./forwarding.ts";

/** What the exchange needs from the HttpStream it serves. */
export interface H2ExchangeUser {
  readonly request: Head;
  serverEvent(): void;
  responseHead(head: Head): void;
  responseData(chunk: Uint8Array): void;
  responseTrailers(trailers: Head): void;
  responseEnd(): void;
  responseFlush(): void;
  /** The server's answer is unusable (malformed, length mismatch): 502 before the head went out, else the client is cut. */
  serverBroken(reason: string): void;
  /** The stream was reset by the server or lost with its connection. */
  serverReset(code: number, retryable: boolean): void;
  /** The server can take more request body. */
  connectionDrain(): void;
}

export class H2Exchange implements H2StreamEvents {
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
  static open(conn: H2ClientConnection, user: H2ExchangeUser, added: Readonly<AddedFields>): H2Exchange | 431 {
    try {
      return new H2Exchange(conn, user, added);
    } catch (e) {
      if (e instanceof HeaderListTooLarge) return 431;
      throw e;
    }
  }

  private constructor(
    readonly conn: H2ClientConnection,
    private readonly user: H2ExchangeUser,
    added: Readonly<AddedFields>,
  ) {
    const request = user.request;
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

  cancel(): void {
    this.stream.cancel(ErrorCode.CANCEL);
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
        const head = responseHead(fields, this.user.request.method);
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
      return this.user.serverBroken(e.message);
    }
  }

  data(chunk: Uint8Array, endStream: boolean): void {
    this.user.serverEvent();
    this.received += chunk.length;
    if (this.expected >= 0 && this.received > this.expected) {
      this.stream.cancel(ErrorCode.PROTOCOL_ERROR);
      return this.user.serverBroken("more DATA than its content-length");
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
    this.user.serverReset(code, retryable);
  }

  drain(): void {
    this.user.connectionDrain();
  }

  private finish(): void {
    if (this.expected >= 0 && this.received !== this.expected) {
      return this.user.serverBroken(`DATA of ${this.received} bytes for a content-length of ${this.expected}`);
    }
    this.user.responseEnd();
  }
}
