// The frames a FrameReader emits (RFC 9113 §6), as a union discriminated by
// `type` (a FrameType value). Every frame names its stream (0 for the
// connection-level types). Byte fields are views of received memory, never
// copies unless a frame straddled chunks (see FrameReader).

import type { FrameType } from "./constants.ts";

/** The RFC 7540 priority fields of HEADERS and PRIORITY (§5.3.2, §6.3). Deprecated as a signal, still parsed. */
export interface Priority {
  readonly exclusive: boolean;
  /** The stream depended on (31 bits). */
  readonly dependency: number;
  /** 1..256 (the octet on the wire plus one). */
  readonly weight: number;
}

/** §6.1. */
export interface DataFrame {
  readonly type: typeof FrameType.DATA;
  readonly streamId: number;
  /** The application data, padding removed. */
  readonly data: Uint8Array;
  readonly endStream: boolean;
  /** The whole payload's length, Pad Length octet and padding included: what flow control counts (§6.9). */
  readonly flowLength: number;
}

/** §6.2. */
export interface HeadersFrame {
  readonly type: typeof FrameType.HEADERS;
  readonly streamId: number;
  /**
   * The field block fragment, padding and priority fields removed. When the
   * reader joins header blocks (the default) this is the whole field block
   * and endHeaders is true.
   */
  readonly fragment: Uint8Array;
  readonly endStream: boolean;
  readonly endHeaders: boolean;
  /** Present when the PRIORITY flag was set. */
  readonly priority: Priority | undefined;
}

/** §6.3. */
export interface PriorityFrame {
  readonly type: typeof FrameType.PRIORITY;
  readonly streamId: number;
  readonly priority: Priority;
}

/** §6.4. */
export interface RstStreamFrame {
  readonly type: typeof FrameType.RST_STREAM;
  readonly streamId: number;
  /** An ErrorCode value, or an unknown code (accepted as is, §7). */
  readonly errorCode: number;
}

/** §6.5. Values are already validated (§6.5.2); unknown identifiers are kept, to be ignored. */
export interface SettingsFrame {
  readonly type: typeof FrameType.SETTINGS;
  readonly streamId: 0;
  readonly ack: boolean;
  /** [SettingId, value] in the order received (later entries override earlier ones, §6.5.3). Empty for an ACK. */
  readonly settings: readonly (readonly [id: number, value: number])[];
}

/** §6.6. */
export interface PushPromiseFrame {
  readonly type: typeof FrameType.PUSH_PROMISE;
  readonly streamId: number;
  /** The reserved stream (31 bits). */
  readonly promisedId: number;
  /** As HeadersFrame.fragment. */
  readonly fragment: Uint8Array;
  readonly endHeaders: boolean;
}

/** §6.7. */
export interface PingFrame {
  readonly type: typeof FrameType.PING;
  readonly streamId: 0;
  readonly ack: boolean;
  /** The 8 octets of opaque data, to echo in the ACK. */
  readonly data: Uint8Array;
}

/** §6.8. */
export interface GoawayFrame {
  readonly type: typeof FrameType.GOAWAY;
  readonly streamId: 0;
  /** The last stream the sender may have processed (31 bits). */
  readonly lastStreamId: number;
  readonly errorCode: number;
  /** Additional debug data (possibly empty). */
  readonly debug: Uint8Array;
}

/** §6.9. */
export interface WindowUpdateFrame {
  readonly type: typeof FrameType.WINDOW_UPDATE;
  /** 0 for the connection's window. */
  readonly streamId: number;
  /** 1..2^31-1. */
  readonly increment: number;
}

/** §6.10. Only emitted when the reader does not join header blocks. */
export interface ContinuationFrame {
  readonly type: typeof FrameType.CONTINUATION;
  readonly streamId: number;
  readonly fragment: Uint8Array;
  readonly endHeaders: boolean;
}

export type Frame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoawayFrame
  | WindowUpdateFrame
  | ContinuationFrame;
