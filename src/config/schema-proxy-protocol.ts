// `accept-proxy` on a bind (HAProxy's bind keyword): the connection's first
// bytes are a PROXY protocol header (v1 or v2) naming the real client. The
// same key in YAML: `bind: { address: ":80", accept-proxy: true }`.
import * as v from "valibot";
import { flag } from "./schema-values.ts";

/** The bind keywords of this area: haproxy.cfg words without a value, the same keys in YAML. */
export const BIND_PROXY_FLAGS = ["accept-proxy"] as const;

export const BIND_PROXY_FIELDS = {
  "accept-proxy": v.optional(flag("accept-proxy")),
};

export const BIND_PROXY_KEYS: ReadonlySet<string> = new Set(BIND_PROXY_FLAGS);

/**
 * A bind's PROXY protocol part, or why it cannot be. `ssl` is refused with it:
 * the header comes before the TLS ClientHello, and the runtimes' TLS
 * listeners (Bun.listen's own TLS, node:tls servers) start the handshake on
 * the connection's first bytes themselves — sluice has no hook to take the
 * header off them first.
 */
export const PROXY_BEFORE_TLS = "the PROXY header comes before the TLS handshake, " +
  "and the runtime's TLS listener starts the handshake on the first bytes itself (terminate TLS on the load balancer in front, or drop 'ssl' from this bind)";

export function bindProxyPart(o: { "accept-proxy"?: boolean | undefined; ssl?: boolean | undefined }): { acceptProxy?: true } | string {
  if (o["accept-proxy"] !== true) return {};
  if (o.ssl === true) {
    return `'accept-proxy' with 'ssl' on one bind is not supported: ${PROXY_BEFORE_TLS}`;
  }
  return { acceptProxy: true };
}
