// SOCKS4 (https://www.openssh.com/txt/socks4.protocol), as HAProxy speaks it
// to a server's `socks4 ADDR:PORT`: a CONNECT request for the server's IPv4
// address and port, with HAProxy's user id, and the proxy's 8-byte reply,
// whose second byte 90 (0x5A) grants the connection. The bytes travel
// through the runtime's ConnectHop (runtime/node-hop.ts).
import type { ConnectHop } from "../runtime/types.ts";

const VERSION = 4;
const CONNECT = 1;
const GRANTED = 90;
/** HAProxy sends its name as the user id (NUL-terminated). */
const USER_ID = "HAProxy";
export const SOCKS4_REPLY_LENGTH = 8;

/** The reply codes of the protocol (91-93), as the proxy's refusal is logged. */
const REFUSALS: Record<number, string> = {
  91: "SOCKS4 request rejected or failed (91)",
  92: "SOCKS4 request rejected: the proxy cannot reach identd on the client (92)",
  93: "SOCKS4 request rejected: identd reports a different user id (93)",
};

/** The CONNECT request for `host:port`, or why there is none (SOCKS4 carries IPv4 addresses only). */
export function socks4Request(host: string, port: number): Uint8Array | string {
  const parts = host.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    return `SOCKS4 reaches IPv4 addresses only (the server's address is '${host}')`;
  }
  const out = new Uint8Array(8 + USER_ID.length + 1);
  out[0] = VERSION;
  out[1] = CONNECT;
  out[2] = port >> 8;
  out[3] = port & 255;
  for (let i = 0; i < 4; i++) out[4 + i] = Number(parts[i]);
  for (let i = 0; i < USER_ID.length; i++) out[8 + i] = USER_ID.charCodeAt(i);
  return out;
}

/** Why the proxy refused, from its reply; undefined: granted. */
export function socks4Refusal(reply: Uint8Array): string | undefined {
  if (reply[0] !== 0) return `not a SOCKS4 reply (version byte ${reply[0]})`;
  const code = reply[1]!;
  if (code === GRANTED) return undefined;
  return REFUSALS[code] ?? `SOCKS4 request refused (reply code ${code})`;
}

/** The hop to `proxy` for a connection to `host:port`, or why there can be none. */
export function socks4Hop(proxy: { host: string; port: number }, host: string, port: number): ConnectHop | string {
  const request = socks4Request(host, port);
  if (typeof request === "string") return request;
  return { hostname: proxy.host, port: proxy.port, request, replyLength: SOCKS4_REPLY_LENGTH, refusal: socks4Refusal };
}
