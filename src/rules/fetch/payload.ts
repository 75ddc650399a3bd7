// Fetches of the first bytes a client sent, for `tcp-request content` rules
// (HAProxy 2.6 §7.3.5): how many there are, and the handshake type and SNI
// of a TLS ClientHello among them.
import { Stage, type FetchDef, type Txn } from "../types.ts";
import { clientHelloIncomplete, clientHelloServerName, sslHelloTooShort, sslHelloType } from "./client-hello.ts";
import { simple } from "./define.ts";

/** HAProxy's SMP_F_MAY_CHANGE: more bytes may still come and change this answer. */
function mayChange(t: Txn): void {
  if (t.payloadFinal !== true) t.sampleMayChange = true;
}

/** req.len: HAProxy says its length may always grow while inspecting. */
const len = simple("req.len", "int", Stage.tcpContent, "int", (t) => {
  const p = t.payload;
  if (p === undefined) return undefined;
  mayChange(t);
  return p.length;
});

const sni = simple("req.ssl_sni", "str", Stage.tcpContent, "str", (t) => {
  const p = t.payload;
  if (p === undefined) return undefined;
  const name = clientHelloServerName(p);
  if (name === undefined && clientHelloIncomplete(p)) mayChange(t);
  return name;
});

const helloType = simple("req.ssl_hello_type", "int", Stage.tcpContent, "int", (t) => {
  const p = t.payload;
  if (p === undefined) return undefined;
  const type = sslHelloType(p);
  if (type === undefined && sslHelloTooShort(p)) mayChange(t);
  return type;
});

export const PAYLOAD_FETCHES: readonly FetchDef[] = [
  len,
  { ...len, name: "req_len" },
  sni,
  { ...sni, name: "req_ssl_sni" },
  helloType,
  { ...helloType, name: "req_ssl_hello_type" },
];
