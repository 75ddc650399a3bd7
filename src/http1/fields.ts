// Well-known field names as lower-case byte constants (compare with
// Head.nameIs, no strings), and which fields are hop-by-hop (RFC 9110 §7.6.1).

import { ascii, LOWER } from "./chars.ts";

export const HOST = ascii("host");
export const EXPECT = ascii("expect");
export const UPGRADE = ascii("upgrade");
export const CONNECTION = ascii("connection");
export const KEEP_ALIVE = ascii("keep-alive");
export const PROXY_CONNECTION = ascii("proxy-connection");
export const TE = ascii("te");
export const TRANSFER_ENCODING = ascii("transfer-encoding");
export const CONTENT_LENGTH = ascii("content-length");
export const TRAILER = ascii("trailer");

/**
 * What a field name is to the serializer. Plain numbers rather than a const
 * enum: files are transpiled one by one, so const enums do not inline across
 * modules (the same choice as BodyKind in types.ts).
 */
export const FieldRole = {
  /** An end-to-end field: forwarded as is. */
  Other: 0,
  /** Connection, Keep-Alive, Proxy-Connection, TE: always dropped. */
  HopByHop: 1,
  /** Content-Length or Transfer-Encoding: dropped, the rewrite re-declares framing. */
  Framing: 2,
  /** Upgrade: dropped unless the rewrite keeps it. */
  Upgrade: 3,
} as const;
export type FieldRole = (typeof FieldRole)[keyof typeof FieldRole];

function eq(b: Uint8Array, a: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[b[a + k]!] !== lower[k]) return false;
  return true;
}

/** The role of the field name b[a..e), decided by length first, then bytes. */
export function fieldRole(b: Uint8Array, a: number, e: number): FieldRole {
  switch (e - a) {
    case 2:
      return eq(b, a, TE) ? FieldRole.HopByHop : FieldRole.Other;
    case 7:
      return eq(b, a, UPGRADE) ? FieldRole.Upgrade : FieldRole.Other;
    case 10:
      return eq(b, a, CONNECTION) || eq(b, a, KEEP_ALIVE) ? FieldRole.HopByHop : FieldRole.Other;
    case 14:
      return eq(b, a, CONTENT_LENGTH) ? FieldRole.Framing : FieldRole.Other;
    case 16:
      return eq(b, a, PROXY_CONNECTION) ? FieldRole.HopByHop : FieldRole.Other;
    case 17:
      return eq(b, a, TRANSFER_ENCODING) ? FieldRole.Framing : FieldRole.Other;
    default:
      return FieldRole.Other;
  }
}
