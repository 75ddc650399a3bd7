// `accept-proxy` on a bind (HAProxy's bind keyword): the connection's first
// bytes are a PROXY protocol header (v1 or v2) naming the real client. The
// same key in YAML: `bind: { address: ":80", accept-proxy: true }`. With
// `ssl` on the same bind the header comes first, then the TLS handshake.
import * as v from "valibot";
import { flag } from "./schema-values.ts";

/** The bind keywords of this area: haproxy.cfg words without a value, the same keys in YAML. */
export const BIND_PROXY_FLAGS = ["accept-proxy"] as const;

export const BIND_PROXY_FIELDS = {
  "accept-proxy": v.optional(flag("accept-proxy")),
};

export const BIND_PROXY_KEYS: ReadonlySet<string> = new Set(BIND_PROXY_FLAGS);

/**
 * Why `tcp-request connection expect-proxy` is refused beside an `ssl` bind:
 * such a bind's TLS listener does the handshake before the connection rules
 * run, so a header the rules ask for would arrive after it.
 */
export const EXPECT_PROXY_BEFORE_TLS = "the PROXY header comes before the TLS handshake, and an 'ssl' bind's listener " +
  "has done the handshake before the connection rules run (put 'accept-proxy' on the ssl bind instead)";

/** A bind's PROXY protocol part. */
export function bindProxyPart(o: { "accept-proxy"?: boolean | undefined }): { acceptProxy?: true } {
  return o["accept-proxy"] === true ? { acceptProxy: true } : {};
}
