// The two kinds of HTTP/2 error (RFC 9113 §5.4). A connection error ends the
// connection with GOAWAY carrying its code; a stream error ends one stream
// with RST_STREAM and the connection goes on. Messages start with the RFC
// error code's name, e.g. "PROTOCOL_ERROR: SETTINGS frame on stream 3".

import { errorCodeName } from "./constants.ts";

/** A connection error (§5.4.1): send GOAWAY with `code` (and `detail` as debug data, if wanted), then close. */
export class H2ConnectionError extends Error {
  /** The message without the code's name. */
  readonly detail: string;

  constructor(
    /** An ErrorCode value. */
    readonly code: number,
    message: string,
  ) {
    super(`${errorCodeName(code)}: ${message}`);
    this.name = "H2ConnectionError";
    this.detail = message;
  }

  /** "PROTOCOL_ERROR", ... */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/** A stream error (§5.4.2): send RST_STREAM on `streamId` with `code`; the connection stays up. */
export class H2StreamError extends Error {
  /** The message without the stream and the code's name. */
  readonly detail: string;

  constructor(
    readonly streamId: number,
    /** An ErrorCode value. */
    readonly code: number,
    message: string,
  ) {
    super(`${errorCodeName(code)} on stream ${streamId}: ${message}`);
    this.name = "H2StreamError";
    this.detail = message;
  }

  /** "PROTOCOL_ERROR", ... */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/** Either kind, as handed to FrameHandler.error. */
export type H2Error = H2ConnectionError | H2StreamError;
