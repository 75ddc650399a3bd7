// Keywords of proxies that route by where the client connected or through
// another hop (issue 19, proxymisc): the options HAProxy removed in favour of
// rules (option http_proxy), a server's `socks4 ADDR:PORT` hop, and a
// backend's `source ADDR[:PORT]`. A server written `0.0.0.0` or without a
// port (the client's destination) is address.ts's `backend-server` role.
import * as v from "valibot";
import { parseAddress } from "./address.ts";
import { describe } from "./schema-values.ts";

/**
 * Options HAProxy 2.6 itself refuses, with its reason: sluice says the same
 * and points to what replaces them.
 */
const REMOVED_OPTIONS: Record<string, string> = {
  http_proxy:
    "option 'http_proxy' is not supported any more since HAProxy 2.5 (HAProxy 2.6 refuses it too): take the address from the request with 'http-request set-dst url_ip', 'http-request set-dst-port url_port' and 'http-request set-uri %[pathq]', and a server written '0.0.0.0' (the destination set)",
};

/** HAProxy's refusal of a removed option, or undefined. */
export function removedOption(name: string): string | undefined {
  return Object.hasOwn(REMOVED_OPTIONS, name) ? REMOVED_OPTIONS[name] : undefined;
}

/** `socks4 ADDR:PORT`: the SOCKS4 proxy a server's connections go through. */
export interface Socks4Hop {
  host: string;
  port: number;
}

/** `socks4 <addr>:<port>`: written as a server's address with its port. */
export const Socks4Schema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): Socks4Hop => {
    const x = dataset.value;
    if (typeof x !== "string") {
      addIssue({ message: `invalid socks4 ${describe(x)} (expected <addr>:<port>)` });
      return NEVER;
    }
    const r = parseAddress(x, "server");
    if (!r.ok) {
      addIssue({ message: `socks4: ${r.error}` });
      return NEVER;
    }
    return { host: r.host, port: r.port };
  }),
);
