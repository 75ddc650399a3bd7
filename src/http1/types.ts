// The HTTP/1.1 codec's contract (RFC 9110/9112), shared by the client-facing
// and the server-facing sides. Pure: bytes in, events out; no I/O, no runtime.

export { BodyKind } from "../http/message.ts";
import type { Head as MessageHead, HeadLimits, RefusedBytes } from "../http/message.ts";
import { BUILTIN } from "../config/types.ts";

/** A head as the HTTP/1.1 parser makes it: the model's, plus the bytes it was parsed from. */
export interface Head extends MessageHead {
  /** The head's own bytes, start line to the blank line included. Owned by this head. */
  readonly raw: Uint8Array;
  /**
   * Field i occupies: name raw[f[4i]..f[4i+1]), value raw[f[4i+2]..f[4i+3])
   * (value without surrounding whitespace). Order as received.
   */
  readonly fieldOffsets: Uint32Array;
}

/** Why a message was refused. `status` is what sluice answers (a server's bad response becomes 502). */
export class H1Error extends Error {
  /** The head's bytes and where the parser refused them (a refused head only: not a body's framing, not a truncated message). */
  capture: RefusedBytes | undefined;

  constructor(
    /** 400, 414 (request line too long), 431 (headers too large / too many), 501 (unknown transfer coding), 505 (HTTP/2.0 in a request line), 502 (bad response). */
    readonly status: number,
    /** A short stable code for logs and tests: "cl-te", "cl-dup", "cl-invalid", "te-not-chunked", "chunk-size", "chunk-ext", "obs-fold", "bare-lf", "bare-cr", "space-before-colon", "bad-name", "bad-value", "bad-method", "bad-target", "bad-version", "host-missing", "host-dup", "host-mismatch", "line-too-long", "head-too-large", "too-many-fields", "truncated", ... */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "H1Error";
  }
}

/** Requests refused for their size get their own status; any other refusal is a 400. */
const REQUEST_STATUS: Record<string, number> = {
  "line-too-long": 414,
  "head-too-large": 431,
  "too-many-fields": 431,
  // A well-formed version of another major (HTTP/2.0, HTTP/3.0): RFC 9110 §15.6.6.
  "version-unsupported": 505,
};

/** What each code means, for the H1Error's message. */
const MESSAGES: Record<string, string> = {
  "cl-te": "both Content-Length and Transfer-Encoding",
  "cl-dup": "several differing Content-Length values",
  "cl-invalid": "Content-Length is not a decimal number within 2^53",
  "te-not-chunked": "Transfer-Encoding does not end with a single chunked",
  "te-http10": "Transfer-Encoding in an HTTP/1.0 message",
  "chunk-size": "invalid chunk size",
  "chunk-ext": "invalid chunk extension",
  "chunk-crlf": "chunk data not followed by CRLF",
  "obs-fold": "obsolete line folding",
  "bare-lf": "LF without CR",
  "bare-cr": "CR without LF",
  "space-before-colon": "whitespace between field name and colon",
  "bad-name": "invalid field name",
  "bad-value": "invalid byte in a field value",
  "bad-method": "invalid method",
  "bad-target": "invalid request-target",
  "bad-version": "not a well-formed HTTP/1.x version",
  "version-unsupported": "an HTTP major version other than 1 in an HTTP/1 message",
  "bad-status": "invalid status line",
  "bad-host": "invalid Host value",
  "host-missing": "HTTP/1.1 request without Host",
  "host-dup": "several Host fields",
  "host-mismatch": "absolute-form target's authority differs from Host",
  "line-too-long": "start line longer than the head limit",
  "head-too-large": "head larger than the limit",
  "too-many-fields": "more header fields than the limit",
  "truncated": "connection closed in the middle of a message",
};

/** The H1Error for a refusal code: a request's gets a 4xx, a response's a 502. */
export function h1Error(code: string, isRequest: boolean): H1Error {
  const status = isRequest ? (REQUEST_STATUS[code] ?? 400) : 502;
  return new H1Error(status, code, MESSAGES[code] ?? code);
}

/** What a parser tells its owner. */
export interface H1Events {
  /** A complete, validated head. For 1xx responses (other than 101) another head follows. */
  head(head: Head): void;
  /** Body bytes, de-chunked; views into received chunks (no copy). */
  data(chunk: Uint8Array): void;
  /** Trailer fields after a chunked body (only when there are any); fields as in a Head. */
  trailers(trailers: Head): void;
  /** The message is complete. The parser then stops until `next()`. */
  end(): void;
  /** The bytes are not acceptable HTTP/1.1; the parser is dead afterwards. */
  error(error: H1Error): void;
}

/** The HTTP/1.1 codec's limits are the model's. */
export type H1Limits = HeadLimits;

/** The configuration's defaults (tune.bufsize, tune.http.maxhdr: config/types.ts BUILTIN), for a parser given no limits. */
export const DEFAULT_LIMITS: H1Limits = { maxHeadBytes: BUILTIN.global.bufsize, maxFields: BUILTIN.global.maxHeaderFields };
