// The WebSocket handshake's key and accept (RFC 6455 §4.2.2), for an HTTP/2
// client's extended CONNECT (RFC 8441) relayed to an HTTP/1.1 server as an
// Upgrade: HTTP/2 carries no Sec-WebSocket-Key, so the proxy makes one, and
// checks the server's Sec-WebSocket-Accept against it before it tells the
// client the tunnel is open (as HAProxy's h1 mux does).
import { createHash, randomBytes } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function newWebSocketKey(): string {
  return randomBytes(16).toString("base64");
}

/** The Sec-WebSocket-Accept a server must answer to `key`. */
export function webSocketAccept(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}
