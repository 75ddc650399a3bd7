// Fetches of the first bytes a client sent, for `tcp-request content` rules
// (HAProxy 2.6 §7.3.5): how many there are, and the SNI of a TLS ClientHello
// among them.
import { Stage, type FetchDef } from "../types.ts";
import { clientHelloServerName } from "./client-hello.ts";
import { simple } from "./define.ts";

const sni = simple("req.ssl_sni", "str", Stage.tcpContent, "str", (t) =>
  t.payload === undefined ? undefined : clientHelloServerName(t.payload));

export const PAYLOAD_FETCHES: readonly FetchDef[] = [
  simple("req.len", "int", Stage.tcpContent, "int", (t) => t.payload?.length),
  simple("req_len", "int", Stage.tcpContent, "int", (t) => t.payload?.length),
  sni,
  { ...sni, name: "req_ssl_sni" },
];
