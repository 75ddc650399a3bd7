// The server name a TLS client asks for, read from its ClientHello without
// terminating TLS (HAProxy's req.ssl_sni, for `tcp-request content` rules in
// TCP mode): RFC 8446 §4.1.2 (and RFC 5246 §7.4.1.2, same layout) for the
// hello, RFC 6066 §3 for the server_name extension. Every length is checked
// against the bytes present; nothing is allocated but the name. A hello that
// is truncated (more bytes may come), malformed, or without a host_name is
// no name.

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 1;
const SERVER_NAME = 0;
const HOST_NAME = 0;

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** The host_name of the ClientHello at the start of `bytes`, or undefined. */
export function clientHelloServerName(bytes: Uint8Array): string | undefined {
  // Record header: type, version (3.x), length; the hello must lie in this first record.
  if (bytes.length < 5 || bytes[0] !== HANDSHAKE || bytes[1] !== 3) return undefined;
  const recordEnd = 5 + u16(bytes, 3);
  if (recordEnd > bytes.length) return undefined;
  // Handshake header: type, 24-bit length.
  if (recordEnd < 9 || bytes[5] !== CLIENT_HELLO) return undefined;
  const end = 9 + ((bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!);
  if (end > recordEnd) return undefined;
  // legacy_version (2) and random (32), then the session id, cipher suites, compression methods.
  let at = 9 + 2 + 32;
  if (at + 1 > end) return undefined;
  at += 1 + bytes[at]!;
  if (at + 2 > end) return undefined;
  at += 2 + u16(bytes, at);
  if (at + 1 > end) return undefined;
  at += 1 + bytes[at]!;
  if (at + 2 > end) return undefined;
  const extensionsEnd = at + 2 + u16(bytes, at);
  if (extensionsEnd > end) return undefined;
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = u16(bytes, at);
    const length = u16(bytes, at + 2);
    const dataEnd = at + 4 + length;
    if (dataEnd > extensionsEnd) return undefined;
    if (type === SERVER_NAME) return hostName(bytes, at + 4, dataEnd);
    at = dataEnd;
  }
  return undefined;
}

/** The host_name entry of a server_name extension's data [at, end). */
function hostName(bytes: Uint8Array, at: number, end: number): string | undefined {
  if (at + 2 > end) return undefined;
  const listEnd = at + 2 + u16(bytes, at);
  if (listEnd > end) return undefined;
  at += 2;
  while (at + 3 <= listEnd) {
    const type = bytes[at]!;
    const length = u16(bytes, at + 1);
    const nameEnd = at + 3 + length;
    if (nameEnd > listEnd) return undefined;
    if (type === HOST_NAME) {
      if (length === 0) return undefined;
      let name = "";
      for (let k = at + 3; k < nameEnd; k++) name += String.fromCharCode(bytes[k]!);
      return name;
    }
    at = nameEnd;
  }
  return undefined;
}

/**
 * The handshake message type of the TLS record at the start of `bytes`
 * (HAProxy's req.ssl_hello_type: 1 for a ClientHello), once the whole
 * handshake message has arrived; undefined before that (more bytes may
 * come), or when the bytes are no SSLv3/TLS record. As HAProxy, the record
 * may be of any SSLv3-format type (0x14-0x17, 0xFF) and only its header and
 * the message's length are read.
 */
export function sslHelloType(bytes: Uint8Array): number | undefined {
  return helloShape(bytes) === HelloShape.whole ? bytes[5]! : undefined;
}

/** True when sslHelloType has no answer yet but more bytes could give one (HAProxy's "too short"). */
export function sslHelloTooShort(bytes: Uint8Array): boolean {
  return helloShape(bytes) === HelloShape.short;
}

const HelloShape = { whole: 0, short: 1, none: 2 } as const;

function helloShape(bytes: Uint8Array): number {
  if (bytes.length === 0) return HelloShape.short;
  const type = bytes[0]!;
  if ((type < 0x14 || type > 0x17) && type !== 0xff) return HelloShape.none;
  if (bytes.length < 9) return HelloShape.short;
  if (bytes[1]! < 3) return HelloShape.none;
  // The record must hold at least the handshake header (type, 24-bit length).
  if (u16(bytes, 3) < 4) return HelloShape.none;
  const messageLength = (bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!;
  return bytes.length < 9 + messageLength ? HelloShape.short : HelloShape.whole;
}

/**
 * True while `bytes` could still become a whole ClientHello record: a TLS
 * handshake record whose header or body has not fully arrived. The session
 * waits for more (within tcp-request inspect-delay) before deciding on
 * req.ssl_sni, as HAProxy does when a fetch says its sample may change.
 */
export function clientHelloIncomplete(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  if (bytes[0] !== HANDSHAKE) return false;
  if (bytes.length < 5) return bytes.length < 2 || bytes[1] === 3;
  if (bytes[1] !== 3) return false;
  return bytes.length < 5 + u16(bytes, 3);
}
