// Bind options about the listening socket itself, not TLS (issue 19, bindopts):
//   name <name>   the listener's name. HAProxy shows it only in the stats
//                 rows of listeners (`option socket-stats`), which sluice does
//                 not have: it is kept on the bind (BindConfig.name) and in
//                 the startup line "frontend 'x' listening on ... (name)".
//   v4v6          an IPv6 socket also takes IPv4 clients (IPV6_V6ONLY off).
//   v6only        an IPv6 socket takes IPv6 clients only (IPV6_V6ONLY on).
// As in HAProxy, v4v6 and v6only concern IPv6 addresses only (`:::443`,
// `[::]:443`); on an IPv4 address they change nothing. Without either, the
// system's default applies (Linux: net.ipv6.bindv6only, 0: both families).
import * as v from "valibot";
import { describe, flag } from "./schema-values.ts";

export const BIND_SOCKET_FIELDS = {
  name: v.optional(
    v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const x = dataset.value;
        if (typeof x === "string" && x !== "") return x;
        addIssue({ message: `invalid bind name ${describe(x)} (expected a string)` });
        return NEVER;
      }),
    ),
  ),
  v4v6: v.optional(flag("v4v6")),
  v6only: v.optional(flag("v6only")),
};

/** The keys above: not TLS options (bindSslPart leaves them alone). */
export const BIND_SOCKET_KEYS: ReadonlySet<string> = new Set(Object.keys(BIND_SOCKET_FIELDS));

/** haproxy.cfg: the flags and the options with a value, for cfg.ts. */
export const BIND_SOCKET_FLAGS = ["v4v6", "v6only"] as const;
export const BIND_SOCKET_VALUES: Record<string, string> = { name: "<name>" };

/** What a bind's socket options set on each of its addresses. */
export interface BindSocketPart {
  name?: string;
  /** true: v6only, false: v4v6, absent: the system's default. IPv6 addresses only. */
  ipv6Only?: boolean;
}

export function bindSocketPart(o: { name?: string | undefined; v4v6?: boolean | undefined; v6only?: boolean | undefined }): BindSocketPart | string {
  if (o.v4v6 === true && o.v6only === true) return "bind options 'v4v6' and 'v6only' contradict each other (choose one)";
  const part: BindSocketPart = {};
  if (o.name !== undefined) part.name = o.name;
  if (o.v6only === true) part.ipv6Only = true;
  else if (o.v4v6 === true) part.ipv6Only = false;
  return part;
}
