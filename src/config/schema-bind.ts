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
//   mode <octal>, user <name> | uid <n>, group <name> | gid <n>
//                 the permissions and owner of a UNIX socket file (`bind
//                 unix@/path`, `bind /path`); as in HAProxy, accepted on any
//                 bind and applied to socket files only. Unset: global
//                 `unix-bind`'s, else the umask's mode and the process's ids.
import * as v from "valibot";
import { describe, flag } from "./schema-values.ts";
import { ownerId } from "./schema-control.ts";

/** `user`/`uid`/`group`/`gid` on a bind: the id, or what is wrong. */
function bindOwner(option: "user" | "uid" | "group" | "gid") {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const x = dataset.value;
        const id = ownerId(option, typeof x === "number" ? String(x) : typeof x === "string" ? x : undefined, "bind");
        if (typeof id === "number") return id;
        addIssue({ message: typeof x === "string" || typeof x === "number" ? id : `invalid bind ${option} ${describe(x)}` });
        return NEVER;
      }),
    ),
  );
}

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
  mode: v.optional(
    v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const x = dataset.value;
        const text = typeof x === "number" ? String(x) : x;
        if (typeof text === "string" && /^[0-7]{1,4}$/.test(text)) return Number.parseInt(text, 8);
        addIssue({ message: `invalid bind mode ${describe(x)} (expected an octal permission such as 660)` });
        return NEVER;
      }),
    ),
  ),
  user: bindOwner("user"),
  uid: bindOwner("uid"),
  group: bindOwner("group"),
  gid: bindOwner("gid"),
};

/** The keys above: not TLS options (bindSslPart leaves them alone). */
export const BIND_SOCKET_KEYS: ReadonlySet<string> = new Set(Object.keys(BIND_SOCKET_FIELDS));

/** haproxy.cfg: the flags and the options with a value, for cfg.ts. */
export const BIND_SOCKET_FLAGS = ["v4v6", "v6only"] as const;
export const BIND_SOCKET_VALUES: Record<string, string> = { name: "<name>", mode: "<octal>", user: "<name>", uid: "<number>", group: "<name>", gid: "<number>" };

/** What a bind's socket options set on each of its addresses. */
export interface BindSocketPart {
  name?: string;
  /** true: v6only, false: v4v6, absent: the system's default. IPv6 addresses only. */
  ipv6Only?: boolean;
  /** UNIX socket files only: `mode`, `user`/`uid`, `group`/`gid`. */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

type SocketFields = { name?: string | undefined; v4v6?: boolean | undefined; v6only?: boolean | undefined; mode?: number | undefined; user?: number | undefined; uid?: number | undefined; group?: number | undefined; gid?: number | undefined };

export function bindSocketPart(o: SocketFields): BindSocketPart | string {
  if (o.v4v6 === true && o.v6only === true) return "bind options 'v4v6' and 'v6only' contradict each other (choose one)";
  if (o.user !== undefined && o.uid !== undefined) return "bind options 'user' and 'uid' both set the socket's owner (choose one)";
  if (o.group !== undefined && o.gid !== undefined) return "bind options 'group' and 'gid' both set the socket's group (choose one)";
  const part: BindSocketPart = {};
  if (o.name !== undefined) part.name = o.name;
  if (o.mode !== undefined) part.fileMode = o.mode;
  const uid = o.user ?? o.uid;
  const gid = o.group ?? o.gid;
  if (uid !== undefined) part.uid = uid;
  if (gid !== undefined) part.gid = gid;
  if (o.v6only === true) part.ipv6Only = true;
  else if (o.v4v6 === true) part.ipv6Only = false;
  return part;
}
