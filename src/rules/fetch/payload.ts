// Fetches of the first bytes a client sent, for `tcp-request content` rules
// (HAProxy 2.6 §7.3.5): how many there are, and the handshake type and SNI
// of a TLS ClientHello among them.
import { Stage, type FetchDef } from "../types.ts";
import { clientHelloServerName, sslHelloType } from "./client-hello.ts";
import { simple } from "./define.ts";

const sni = simple("req.ssl_sni", "str", Stage.tcpContent, "str", (t) =>
  t.payload === undefined ? undefined : clientHelloServerName(t.payload));

const helloType = simple("req.ssl_hello_type", "int", Stage.tcpContent, "int", (t) =>
  t.payload === undefined ? undefined : sslHelloType(t.payload));

export const PAYLOAD_FETCHES: readonly FetchDef[] = [
  simple("req.len", "int", Stage.tcpContent, "int", (t) => t.payload?.length),
  simple("req_len", "int", Stage.tcpContent, "int", (t) => t.payload?.length),
  sni,
  { ...sni, name: "req_ssl_sni" },
  helloType,
  { ...helloType, name: "req_ssl_hello_type" },
];
