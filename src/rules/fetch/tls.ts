// Fetches of the TLS the frontend terminated (HAProxy 2.6 §7.3.4): known once
// the handshake is done, so not in `tcp-request connection` rules (which run
// at accept). On a plain connection ssl_fc is false and the others give no
// sample.
import { ANY_STAGE, Stage, type FetchDef } from "../types.ts";
import { simple } from "./define.ts";

const AFTER_HANDSHAKE = ANY_STAGE & ~Stage.tcpConnection;

/** "" (nothing negotiated) is no sample. */
function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

export const TLS_FETCHES: readonly FetchDef[] = [
  simple("ssl_fc", "bool", AFTER_HANDSHAKE, "bool", (t) => t.client.tls !== undefined),
  simple("ssl_fc_sni", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.sni)),
  simple("ssl_fc_protocol", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.version)),
  simple("ssl_fc_cipher", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.cipher)),
  simple("ssl_fc_alpn", "str", AFTER_HANDSHAKE, "str", (t) => nonEmpty(t.client.tls?.alpn)),
];
