// The server-side mux contract (the client-facing half of sluice's mux_ops):
// client bytes become request messages for the session's streams, and each
// stream writes its answer through a ResponseWriter without knowing the
// client's protocol. HTTP/1.1 implements it now (http1/server-mux.ts);
// HTTP/2 towards clients is its second implementation.
import type { Head, ProtocolRefusal } from "../http/message.ts";

/** What a server-side mux tells its session. */
export interface ServerMuxEvents {
  /** `n` bytes from the client are about to be handled (read the clock, count them). */
  clientBytes(n: number): void;
  /** A complete request head: a stream begins. */
  requestHead(head: Head): void;
  requestData(chunk: Uint8Array): void;
  requestTrailers(trailers: Head): void;
  requestEnd(): void;
  /** The client's bytes are not an acceptable request; the mux parses nothing more. */
  requestError(refusal: ProtocolRefusal): void;
  /** One client chunk was handled: write what it produced. */
  clientChunkDone(): void;
  /** The client took what was pending. */
  clientDrain(): void;
  /** The client half-closed (FIN). */
  clientEnd(): void;
  /** The client connection is closed. */
  clientClose(): void;
}

/** The answer of one stream, as the stream writes it. */
export interface ResponseWriter {
  /** An interim (1xx, not 101) response, passed on as it is. */
  interim(head: Head): void;
  /**
   * The final response head for `request`. `keepAlive`: the session would keep
   * the client connection after it. Returns whether the connection is kept
   * (the client's protocol may still have to close it, e.g. an HTTP/1.0
   * client and a body of unknown length).
   */
  head(head: Head, request: Head, keepAlive: boolean): boolean;
  data(chunk: Uint8Array): void;
  /** The response is complete, with its trailer fields if any. */
  end(trailers: Head | undefined): void;
  /** A 101: the head goes out, then raw bytes both ways (data() passes them on as they are). */
  switching(head: Head): void;
  /** Bytes written to the client on this connection. */
  readonly bytesOut: number;
}

// ---- multiplexed server-side muxes (HTTP/2 towards clients) ----
// One client connection carries many requests at once: each gets its own
// ServerStream (its answer's writer and its own backpressure), and the
// session hears each request through the RequestSink it returns for it.
// HTTP/1.1's mux is the single-stream case above (the session is its own
// sink, the mux its one writer).

/** One request stream of a multiplexed mux: where its answer goes, and the client side of that stream alone. */
export interface ServerStream extends ResponseWriter {
  /** The protocol's stream id (for messages). */
  readonly id: number;
  /** Bytes its request head took from the client (HTTP/2: the header block), counted in the log's %U. */
  readonly headBytes: number;
  /** Stop taking the client's request body on this stream (its window is not given back) / take it again. */
  hold(): void;
  release(): void;
  /** Answer bytes queued for the client on this stream and not yet sent (its window or the socket is full). */
  readonly queuedBytes: number;
  /** Monotonic ms since the client's window has been closed with answer bytes waiting; -1 when not. */
  readonly blockedSince: number;
  /** Over on the client's side: the answer went out in full, or the stream was reset. */
  readonly closed: boolean;
  /** A complete response of sluice's own (an error page, an errorfile as raw HTTP/1.1 bytes), in place of any answer. */
  page(bytes: Uint8Array): void;
  /**
   * Ends the stream abruptly: `refused` (never processed, the client may retry
   * it) or `cancel`; `code`, when given, is the protocol's own error code to
   * send in place of cancel's (the code the server reset its side with).
   */
  reset(why: "cancel" | "refused", code?: number): void;
}

/** What the session hears about one request stream after its head. */
export interface RequestSink {
  requestData(chunk: Uint8Array): void;
  requestTrailers(trailers: Head): void;
  requestEnd(): void;
  /** The request body broke its own framing (more or less than its content-length): the stream was reset. */
  requestBroken(refusal: ProtocolRefusal): void;
  /** The client reset the stream, or the connection went, before the stream was over. */
  streamAborted(): void;
  /** The stream's queued answer bytes left: its server side may send more. */
  streamDrain(): void;
}

/** What a multiplexed server-side mux tells its session. */
export interface MultiplexedMuxEvents {
  /** `n` bytes from the client are about to be handled (read the clock, count them). */
  clientBytes(n: number): void;
  /** A complete request head on a new stream: the session returns what hears the rest of it. */
  streamOpened(head: Head, stream: ServerStream): RequestSink;
  /** A request the mux refused by itself (malformed: the stream was reset; too large: answered `refusal.status`). */
  streamRefused(refusal: ProtocolRefusal, stream: ServerStream | undefined): void;
  /** One client chunk was handled. */
  clientChunkDone(): void;
  /** The mux ended the connection on a protocol error of the client's (GOAWAY sent). */
  connectionError(code: string, message: string): void;
  /** The client connection is closed; every open stream was aborted first. */
  clientClose(): void;
}

/** A multiplexed server-side mux as its session drives it. */
export interface MultiplexedServerMux {
  /** Bytes the client sent before the session began. */
  start(early: readonly Uint8Array[]): void;
  /** Streams open now. */
  readonly openStreams: number;
  /** The client's connection preface came in full (HTTP/2: its 24 octets); before that, a close is a probe's or a stranger's. */
  readonly greeted: boolean;
  /** Monotonic ms since the client owes the rest of a request head (the preface, a header block cut by CONTINUATION); -1 when not. */
  readonly headPendingSince: number;
  /** Monotonic ms since the socket has refused our writes; -1 when it takes them. */
  readonly writeBlockedSince: number;
  /** It sent its last frame and half-closed the connection: the client is expected to close its side. */
  readonly closing: boolean;
  /** Graceful stop: no new stream (GOAWAY with the last one taken), then close once the open ones end. */
  shutdown(): void;
  /** Closes now: GOAWAY (with `code`, an HTTP/2 error code; NO_ERROR without), open streams aborted, the socket half-closed (the session destroys it if the client never closes). */
  close(code?: number): void;
  /** Closes the socket at once. */
  destroy(): void;
}
