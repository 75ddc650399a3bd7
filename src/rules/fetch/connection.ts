// Fetches of the connection and the proxies (HAProxy 2.6 §7.3.3 and §7.3.2):
// the client's and the proxy's addresses and ports, the frontend's and the
// backend's names. Available in every rule set.
import { ANY_STAGE, type FetchDef } from "../types.ts";
import { simple } from "./define.ts";

export const CONNECTION_FETCHES: readonly FetchDef[] = [
  simple("src", "ip", ANY_STAGE, "ip", (t) => t.client.address),
  simple("src_port", "int", ANY_STAGE, "int", (t) => t.client.port),
  simple("dst", "ip", ANY_STAGE, "ip", (t) => t.client.localAddress),
  simple("dst_port", "int", ANY_STAGE, "int", (t) => t.client.localPort),
  simple("fe_name", "str", ANY_STAGE, "str", (t) => t.frontend),
  simple("be_name", "str", ANY_STAGE, "str", (t) => t.backend),
];
