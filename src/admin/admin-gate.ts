// `stats admin if|unless <cond>` at request time: the condition compiled at
// load (config/stats-admin.ts) reads a transaction made from the request the
// stats listener received — the client's address, the listener's, the method,
// the target and the header fields — so `src`, `dst`, `path`, `method`, `hdr`
// and the constant fetches answer as they do in a proxy's http-request rules.
import { FieldsHead } from "../http/fields-head.ts";
import { BodyKind } from "../http/message.ts";
import type { Condition, Sample, Txn, World } from "../rules/types.ts";
import { VarStore } from "../session/txn.ts";

/** The two ends of the connection a request came on. */
export interface RequestPeers {
  readonly remote: { address: string; port: number };
  readonly local: { address: string; port: number };
}

/** A stats listener is no proxy: no backend to count, no environment to read (config/stats-admin.ts refuses what needs more). */
const NO_WORLD: World = {
  usableServers: () => -1,
  serverUp: () => undefined,
  env: () => undefined,
  // No clock either: config/stats-admin.ts takes only fetches of the request and the connection.
  wallNow: () => 0,
};

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`, as a dual-stack socket reports it) as the IPv4 address a rule names. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function txnOf(request: Request, peers: RequestPeers, frontend: string, now: number): Txn {
  const url = new URL(request.url);
  const fields: [string, string][] = [];
  request.headers.forEach((value, name) => fields.push([name, value]));
  const head = new FieldsHead(fields, {
    isRequest: true,
    method: request.method,
    target: url.pathname + url.search,
    bodyKind: BodyKind.None,
    host: request.headers.get("host") ?? url.host,
  });
  return {
    now,
    client: {
      address: plainAddress(peers.remote.address),
      port: peers.remote.port,
      localAddress: plainAddress(peers.local.address),
      localPort: peers.local.port,
      tls: undefined,
    },
    frontend,
    backend: undefined,
    request: head,
    response: undefined,
    payload: undefined,
    vars: new VarStore(new Map<string, Sample>()),
    world: NO_WORLD,
    tracked: [],
  };
}

/** Whether this request may act on servers: never without `stats admin`, else as its condition says. */
export function adminAllowed(admin: Condition | undefined, request: Request, peers: RequestPeers | undefined, frontend: string, now: number): boolean {
  if (admin === undefined || peers === undefined) return false;
  return admin(txnOf(request, peers, frontend, now));
}
