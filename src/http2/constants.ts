// HTTP/2's numbers (RFC 9113): frame types (§6), flags, SETTINGS parameters
// (§6.5.2), error codes (§7), the connection preface (§3.4) and the protocol's
// defaults and limits. Plain `as const` objects rather than const enums: each
// file is transpiled alone on Bun and Deno, where const enums do not inline
// across modules. Pure: no runtime imports.

/** Frame types (§6). Other values are extension frames, ignored on receipt (§4.1, §5.5). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/**
 * Frame flags. One bit can mean different things per type: 0x1 is END_STREAM
 * on DATA/HEADERS and ACK on SETTINGS/PING. Flags a type does not define are
 * ignored on receipt and never sent (§4.1).
 */
export const Flag = {
  /** DATA, HEADERS: the sender's last frame on the stream. */
  END_STREAM: 0x1,
  /** SETTINGS, PING: an acknowledgement. */
  ACK: 0x1,
  /** HEADERS, PUSH_PROMISE, CONTINUATION: the field block ends in this frame. */
  END_HEADERS: 0x4,
  /** DATA, HEADERS, PUSH_PROMISE: a Pad Length octet and padding are present. */
  PADDED: 0x8,
  /** HEADERS: the Exclusive/Stream Dependency/Weight fields are present. */
  PRIORITY: 0x20,
} as const;
export type Flag = (typeof Flag)[keyof typeof Flag];

/** SETTINGS parameters (§6.5.2, plus the registered extensions of RFC 8441 and RFC 9218). Unknown ids are ignored on receipt. */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  /** RFC 8441 (extended CONNECT). */
  ENABLE_CONNECT_PROTOCOL: 0x8,
  /** RFC 9218: the sender does not use RFC 7540 priority signals. */
  NO_RFC7540_PRIORITIES: 0x9,
} as const;
export type SettingId = (typeof SettingId)[keyof typeof SettingId];

/** Error codes of RST_STREAM and GOAWAY (§7). Unknown codes carry no special meaning and are accepted. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

function namesOf(table: Record<string, number>): string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(table)) names[value] = name;
  return names;
}

const FRAME_TYPE_NAMES = namesOf(FrameType);
const SETTING_NAMES = namesOf(SettingId);
const ERROR_CODE_NAMES = namesOf(ErrorCode);

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** "HEADERS", or "UNKNOWN(0x2a)" for an extension type. For logs. */
export function frameTypeName(type: number): string {
  return FRAME_TYPE_NAMES[type] ?? `UNKNOWN(${hex(type)})`;
}

/** "SETTINGS_MAX_FRAME_SIZE", or "SETTINGS_UNKNOWN(0x2a)". For logs. */
export function settingName(id: number): string {
  return `SETTINGS_${SETTING_NAMES[id] ?? `UNKNOWN(${hex(id)})`}`;
}

/** "PROTOCOL_ERROR", or "UNKNOWN_ERROR(0x2a)" for a code outside §7. For logs. */
export function errorCodeName(code: number): string {
  return ERROR_CODE_NAMES[code] ?? `UNKNOWN_ERROR(${hex(code)})`;
}

/** The client connection preface (§3.4): "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", followed by a SETTINGS frame. Shared: never write into it. */
export const CONNECTION_PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Every frame starts with a 9-octet header: Length (24), Type (8), Flags (8), R (1), Stream Identifier (31) (§4.1). */
export const FRAME_HEADER_LENGTH = 9;

/** SETTINGS_HEADER_TABLE_SIZE's initial value (§6.5.2). */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;
/** SETTINGS_ENABLE_PUSH's initial value (§6.5.2). */
export const DEFAULT_ENABLE_PUSH = 1;
/** SETTINGS_INITIAL_WINDOW_SIZE's initial value, also the connection window's (§6.9.2). */
export const DEFAULT_INITIAL_WINDOW_SIZE = 65535;
/** Largest flow-control window and window size setting: 2^31-1 (§6.9.1). */
export const MAX_WINDOW_SIZE = 0x7fffffff;
/** SETTINGS_MAX_FRAME_SIZE's initial value and its smallest allowed value: 2^14 (§6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
export const MIN_MAX_FRAME_SIZE = 16384;
/** SETTINGS_MAX_FRAME_SIZE's largest allowed value: 2^24-1 (§6.5.2). */
export const MAX_MAX_FRAME_SIZE = 0xffffff;
/** Largest stream identifier: 2^31-1 (§5.1.1). */
export const MAX_STREAM_ID = 0x7fffffff;
/** Octets in a SETTINGS entry: 16-bit identifier, 32-bit value (§6.5.1). */
export const SETTING_ENTRY_LENGTH = 6;
/** Octets of PING opaque data (§6.7). */
export const PING_LENGTH = 8;
