// The server-side HTTP/1.1 mux: one client connection's bytes through the
// request parser, and the answers of its streams (one at a time) written
// back as HTTP/1.1 with the framing the client can take: Content-Length as
// the server gave it, chunked for a 1.1 client when the length is unknown,
// close-delimited for a 1.0 one. It collects what one received chunk
// produces and writes it in one write.
import type { ResponseWriter, ServerMuxEvents } from "../conn/server-mux.ts";
import type { Socket, SocketEvents } from "../runtime/types.ts";
import { Corked } from "./corked.ts";
import { H1Parser } from "./parser.ts";
import { CHUNKED, KEEP, lengthOf, NO_BODY, rewriteOf } from "./rewrite-args.ts";
import { chunkPrefix, CRLF, type Framing, serializeResponseHead, serializeTrailers } from "./serialize.ts";
import { BodyKind, type H1Error, type H1Events, type H1Limits, type Head } from "./types.ts";

// The parser's and the socket's events as two small objects with methods on
// their prototypes: a connection costs two objects rather than nine closures
// and their scope (bench/conn-objects.ts).

/** The request parser's events, passed to the session. */
class RequestEvents implements H1Events {
  constructor(private readonly to: ServerMuxEvents) {}
  head(head: Head): void {
    this.to.requestHead(head);
  }
  data(chunk: Uint8Array): void {
    this.to.requestData(chunk);
  }
  trailers(trailers: Head): void {
    this.to.requestTrailers(trailers);
  }
  end(): void {
    this.to.requestEnd();
  }
  error(refusal: H1Error): void {
    this.to.requestError(refusal);
  }
}

/** The client socket's events: bytes go through the mux, the rest to the session. */
class ClientSocketEvents implements SocketEvents {
  constructor(private readonly mux: H1ServerMux, private readonly to: ServerMuxEvents) {}
  data(chunk: Uint8Array): void {
    this.mux.onData(chunk);
  }
  drain(): void {
    this.to.clientDrain();
  }
  end(): void {
    this.to.clientEnd();
  }
  close(): void {
    this.to.clientClose();
  }
}

export class H1ServerMux implements ResponseWriter {
  private readonly parser: H1Parser;
  private readonly out = new Corked();
  /** The current response goes to the client chunked. */
  private chunked = false;
  bytesOut = 0;

  constructor(
    readonly client: Socket,
    limits: H1Limits,
    private readonly events: ServerMuxEvents,
    /** `option h1-case-adjust-bogus-client`: field names as the global h1-case-adjust writes them. */
    private readonly names?: ReadonlyMap<string, string>,
  ) {
    this.parser = new H1Parser("request", new RequestEvents(events), limits);
    client.events = new ClientSocketEvents(this, events);
  }

  /** Bytes the client sent before the session started (they waited past maxconn). */
  onData(chunk: Uint8Array): void {
    this.events.clientBytes(chunk.length);
    this.parser.push(chunk);
    this.events.clientChunkDone();
  }

  /** The current stream is over: the next pipelined request, if one waits, starts now. */
  next(): void {
    this.parser.next();
  }

  /** The client half-closed: what it sent is parsed to its end (a truncated request is an error). */
  finish(): void {
    this.parser.finish();
  }

  /** After a 101: the bytes the client sent after its request head are raw from here on. */
  tunnel(): void {
    this.parser.tunnel();
  }

  // ---- ResponseWriter ----

  interim(head: Head): void {
    this.out.push(serializeResponseHead(head, rewriteOf(NO_BODY, undefined, false, undefined, this.names)));
  }

  head(head: Head, request: Head, keepAlive: boolean): boolean {
    let close = !keepAlive || !request.keepAlive;
    const kind = head.bodyKind;
    let framing: Framing;
    this.chunked = false;
    if (kind === BodyKind.Length) {
      framing = lengthOf(head.contentLength);
    } else if (kind === BodyKind.Chunked || kind === BodyKind.UntilClose) {
      if (request.versionMinor === 1) {
        framing = CHUNKED;
        this.chunked = true;
      } else {
        // An HTTP/1.0 client cannot take chunks: the body ends with the connection.
        framing = NO_BODY;
        close = true;
      }
    } else {
      // No body. A response to HEAD (or a 304) still tells the length a GET would get; a status that has
      // content (a rule made a 204 reply a 200) says it is empty, else the client would read until the close.
      if (request.method === "HEAD" || head.status === 304) framing = KEEP;
      else framing = head.status >= 200 && head.status !== 204 ? lengthOf(0) : NO_BODY;
    }
    const connection = close ? "close" : request.versionMinor === 0 ? "keep-alive" : undefined;
    this.out.push(serializeResponseHead(head, rewriteOf(framing, connection, false, undefined, this.names)));
    return !close;
  }

  data(chunk: Uint8Array): void {
    if (this.chunked) {
      this.out.push(chunkPrefix(chunk.length));
      this.out.push(chunk);
      this.out.push(CRLF);
    } else {
      this.out.push(chunk);
    }
  }

  end(trailers: Head | undefined): void {
    if (this.chunked) this.out.push(serializeTrailers(trailers));
    this.chunked = false;
  }

  switching(head: Head): void {
    this.chunked = false;
    this.out.push(serializeResponseHead(head, rewriteOf(NO_BODY, "upgrade", true, undefined, this.names)));
  }

  // ---- the connection ----

  /** Writes what was collected; false when the client pushed back (the caller pauses the server side). */
  flush(): boolean {
    if (this.out.empty) return true;
    this.bytesOut += this.out.size;
    return this.out.writeTo(this.client);
  }

  get flushed(): boolean {
    return this.out.empty;
  }

  /** A complete response of sluice's own (an error page, an errorfile) replaces whatever was collected. */
  replaceOutput(page: Uint8Array): void {
    this.chunked = false;
    this.out.reset();
    this.out.push(page);
  }
}
