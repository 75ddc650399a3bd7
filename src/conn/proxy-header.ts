// The PROXY protocol (HAProxy's proxy-protocol.txt): the header an L4 proxy
// in front puts first on a connection to name the client it carries. The
// writer here is `send-proxy` (v1 towards servers); the parser beside it
// (proxy-header-parse.ts) is `accept-proxy` on binds. The v1 line is also a
// server connection's reuse key (invariant 12): a connection that told the
// server one client address must never carry another client's request.

import { isIpAddress } from "../runtime/ip-text.ts";

/** v1: "PROXY " then the family. */
export const PROXY_V1_PREFIX = "PROXY ";
/** v1: the longest line the spec allows, CRLF included (TCP6 with the longest addresses and ports). */
export const PROXY_V1_MAX_BYTES = 107;
/** v2: the 12 bytes every binary header starts with ("\r\n\r\n\0\r\nQUIT\n"). */
export const PROXY_V2_SIGNATURE: readonly number[] = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** v2: signature, version/command, family/protocol, length. */
export const PROXY_V2_FIXED_BYTES = 16;

/** One end of the proxied connection as the header names it. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * A header read off a connection. `source`/`destination` are absent when the
 * connection's own addresses stand (v1 UNKNOWN, v2 LOCAL, a v2 family other
 * than TCP over IPv4/IPv6: HAProxy keeps the real addresses for those).
 */
export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly source?: ProxyEndpoint;
  readonly destination?: ProxyEndpoint;
}

function plainV4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** `PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n`, or `PROXY UNKNOWN\r\n` when the families differ or one is no IP address (a UNIX socket's client, as HAProxy). */
export function proxyHeaderV1(srcAddress: string, srcPort: number, dstAddress: string, dstPort: number): string {
  const src = plainV4(srcAddress);
  const dst = plainV4(dstAddress);
  if (!isIpAddress(src) || !isIpAddress(dst)) return `${PROXY_V1_PREFIX}UNKNOWN\r\n`;
  const v6 = src.includes(":");
  if (v6 !== dst.includes(":")) return `${PROXY_V1_PREFIX}UNKNOWN\r\n`;
  return `${PROXY_V1_PREFIX}${v6 ? "TCP6" : "TCP4"} ${src} ${dst} ${srcPort} ${dstPort}\r\n`;
}
