// Fetches of the connection and the proxies (HAProxy 2.6 §7.3.3 and §7.3.2):
// the client's and the proxy's addresses and ports, the frontend's and the
// backend's names. Available in every rule set. A UNIX socket's client has
// no address: src, src_port, dst and dst_port give no sample (as HAProxy).
import { ANY_STAGE, type FetchDef } from "../types.ts";
import { simple } from "./define.ts";
import { isIpAddress } from "../../runtime/ip-text.ts";

export const CONNECTION_FETCHES: readonly FetchDef[] = [
  simple("src", "ip", ANY_STAGE, "ip", (t) => (isIpAddress(t.client.address) ? t.client.address : undefined)),
  simple("src_port", "int", ANY_STAGE, "int", (t) => (isIpAddress(t.client.address) ? t.client.port : undefined)),
  simple("dst", "ip", ANY_STAGE, "ip", (t) => (isIpAddress(t.client.localAddress) ? t.client.localAddress : undefined)),
  simple("dst_port", "int", ANY_STAGE, "int", (t) => (isIpAddress(t.client.localAddress) ? t.client.localPort : undefined)),
  simple("fe_name", "str", ANY_STAGE, "str", (t) => t.frontend),
  simple("be_name", "str", ANY_STAGE, "str", (t) => t.backend),
];
