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
