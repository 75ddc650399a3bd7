// Keywords of proxies that route by where the client connected or through
// another hop (issue 19, proxymisc): the options HAProxy removed in favour of
// rules (option http_proxy), a server's `socks4 ADDR:PORT` hop, and a
// backend's `source ADDR[:PORT]`. A server written `0.0.0.0` or without a
// port (the client's destination) is address.ts's `backend-server` role.
import { isIP } from "node:net";
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

/** `source ADDR[:PORT]`: the local address (and port) of connections to the servers and of their checks. */
export interface SourceAddress {
  host: string;
  /** 0: the system picks one. */
  port: number;
}

/** Why a `source` argument sluice cannot honour is refused. */
const SOURCE_REFUSED: Record<string, string> = {
  usesrc:
    "'usesrc' (full transparent proxy: connecting from the client's or another foreign address) is not supported: it needs IP_TRANSPARENT set on the socket before it binds, and neither Bun's nor Deno's connect, nor node:net on them, lets a socket option be set before the bind",
  interface:
    "'interface' is not supported: binding a connection to a device needs SO_BINDTODEVICE, a socket option the runtimes' connects do not offer",
};

/**
 * `source <addr>[:<port>]` (defaults, backend, listen): an IP address, as
 * HAProxy writes it; `0.0.0.0` (and no port) lets the system choose, as
 * without the keyword. Bound through node:net's localAddress/localPort,
 * which both runtimes honour (checked with a loopback peer: 127.0.0.2 seen).
 */
export const SourceSchema = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): SourceAddress => {
    const x = dataset.value;
    const words = typeof x === "string" ? x.trim().split(/\s+/) : undefined;
    if (words === undefined || words[0] === "") {
      addIssue({ message: `invalid source ${describe(x)} (expected <addr>[:<port>])` });
      return NEVER;
    }
    const extra = words[1];
    if (extra !== undefined) {
      addIssue({ message: `source: ${SOURCE_REFUSED[extra] ?? `unexpected argument '${extra}' (usage: source <addr>[:<port>])`}` });
      return NEVER;
    }
    const text = words[0]!;
    const withPort = text.startsWith("[") ? text.includes("]:") : (text.match(/:/g)?.length ?? 0) === 1;
    const r = parseAddress(withPort ? text : `${text.includes(":") && !text.startsWith("[") ? `[${text}]` : text}:1`, "bind");
    if (!r.ok) {
      addIssue({ message: `source: ${r.error}` });
      return NEVER;
    }
    if (!isIP(r.host)) {
      addIssue({ message: `source: '${r.host}' is not an IP address (HAProxy's source takes an address, not a name)` });
      return NEVER;
    }
    return { host: r.host, port: withPort ? r.port : 0 };
  }),
);
