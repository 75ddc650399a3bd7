// Valibot schemas for the structured keywords: timeouts, binds and servers.

import { type Socks4Hop, Socks4Schema } from "./schema-proxymisc.ts";
import { RESOLVERS_SERVER_FIELDS, serverResolutionPart } from "./schema-resolvers.ts";
import * as v from "valibot";
import { keywords } from "./schema-keywords.ts";
import { parseAddress } from "./address.ts";
import { type BindSocketPart, bindSocketPart } from "./schema-bind.ts";
import type { PathSeg } from "./raw.ts";
import {
  address,
  describe,
  duration,
  flag,
  integer,
  isMapping,
  nameKey,
  nameSchema,
  ProtoSchema,
} from "./schema-values.ts";
import { BUILTIN, type BindTls, type InitAddr, type ServerConfig, type ServerTls, type Timeouts } from "./types.ts";
import {
  BindFieldsSchema,
  type BindSslPart,
  bindSslPart,
  SERVER_SSL_FIELDS,
  type ServerSslPart,
  serverSslConflict,
  serverSslPart,
} from "./schema-tls.ts";
import { SERVER_CHECK_FIELDS, type ServerCheckPart, serverCheckPart } from "./schema-check.ts";
import { ServerCookieSchema } from "./schema-cookie.ts";
import { bindProxyPart } from "./schema-proxy-protocol.ts";

/** Section names as they appear in messages. */
export type SectionName = "global" | "defaults" | "frontend" | "backend" | "listen";

export const TIMEOUT_NAMES = [
  "connect",
  "client",
  "server",
  "queue",
  "tunnel",
  "client-fin",
  "server-fin",
  "http-request",
  "http-keep-alive",
  "check",
  "tarpit",
] as const;
type TimeoutName = (typeof TIMEOUT_NAMES)[number];

const TIMEOUT_FIELD: Record<TimeoutName, keyof Timeouts> = {
  connect: "connect",
  client: "client",
  server: "server",
  queue: "queue",
  tunnel: "tunnel",
  "client-fin": "clientFin",
  "server-fin": "serverFin",
  "http-request": "httpRequest",
  "http-keep-alive": "httpKeepAlive",
  check: "check",
  tarpit: "tarpit",
};

/** HAProxy's table of which timeout a frontend or a backend can use. */
export const FRONTEND_TIMEOUTS = [
  "client",
  "client-fin",
  "http-request",
  "http-keep-alive",
  "tarpit",
] as const;
export const BACKEND_TIMEOUTS = [
  "connect",
  "server",
  "queue",
  "tunnel",
  "server-fin",
  "http-request",
  "http-keep-alive",
  "check",
  "tarpit",
] as const;

export type TimeoutsPart = Partial<Timeouts>;

export function timeoutsSchema(section: SectionName, names: readonly TimeoutName[]) {
  const entries: Record<string, v.OptionalSchema<ReturnType<typeof duration>, undefined>> = {};
  for (const name of names) entries[name] = v.optional(duration());
  return v.pipe(
    keywords(entries, {
      expected: "a mapping of timeouts like { connect: 5s }",
      unknown: (key) =>
        (TIMEOUT_NAMES as readonly string[]).includes(key)
          ? `'timeout ${key}' is not allowed in a ${section} section`
          : `unknown timeout '${key}' (expected one of: ${names.join(", ")})`,
    }),
    v.transform((t) => {
      const out: TimeoutsPart = {};
      for (const [name, ms] of Object.entries(t)) {
        if (ms !== undefined) out[TIMEOUT_FIELD[name as TimeoutName]] = ms;
      }
      return out;
    }),
  );
}

/** `path` is where the address was written, relative to its proxy section. */
export interface BindPart extends BindSocketPart {
  host: string;
  port: number;
  /** A UNIX socket instead of host and port: its path (`unix@/p`, `/p`). */
  unixPath?: string;
  /** `proto h2` on the bind line (`{ address, proto: h2 }` in YAML). */
  proto?: "h2";
  path: PathSeg[];
  /** `accept-proxy`: a PROXY header comes first (schema-proxy-protocol.ts). */
  acceptProxy?: true;
  /** TLS options as written (`ssl` given)... */
  ssl?: BindSslPart;
  /** ...and with their files read (sections.ts). */
  tls?: BindTls;
}

type BindAddress = { host: string; port: number; unixPath?: string; proto?: "h2"; ssl?: BindSslPart; acceptProxy?: true } & BindSocketPart;

function addresses(x: unknown, addIssue: (i: { message: string }) => void): BindAddress[] | undefined {
  if (typeof x !== "string") {
    addIssue({ message: `invalid address ${describe(x)} (expected a string like ':8080')` });
    return undefined;
  }
  const out: BindAddress[] = [];
  for (const text of x.split(",")) {
    const unix = unixAddress(text.trim());
    if (typeof unix === "string") {
      addIssue({ message: unix });
      continue;
    }
    if (unix !== undefined) {
      out.push({ host: "unix", port: 0, unixPath: unix.path });
      continue;
    }
    const r = parseAddress(text.trim(), "bind");
    if (r.ok) out.push({ host: r.host, port: r.port });
    else addIssue({ message: r.error });
  }
  return out;
}

/**
 * HAProxy's UNIX forms of a bind address: `unix@PATH` and a path starting
 * with '/'. undefined: not one of them (an IP address). `abns@NAME` is
 * refused: HAProxy 2.6 binds an abstract socket by all 108 bytes of sun_path
 * (NAME padded with NULs), which is the name its clients (another HAProxy's
 * `server abns@NAME`) connect to; Bun's listener refuses a name that long
 * (EINVAL), and a shorter name would be another socket.
 */
function unixAddress(text: string): { path: string } | string | undefined {
  if (text.startsWith("unix@")) {
    const path = text.slice(5);
    return path === "" ? `missing path after 'unix@' in '${text}'` : { path };
  }
  if (text.startsWith("abns@")) {
    return `'${text}': abstract UNIX sockets (abns@) are not supported: HAProxy 2.6 names one by the full 108-byte socket path (the name padded with NUL bytes), which Bun's listener cannot bind; use unix@/path`;
  }
  if (text.startsWith("/")) return { path: text };
  return undefined;
}

/** An address (list) as a string, or a mapping: `{ address, ssl, crt, ... }` (haproxy.cfg's bind options). */
const BindEntry = v.lazy((x) =>
  typeof x === "object" && x !== null && !Array.isArray(x)
    ? v.pipe(
      BindFieldsSchema,
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const o = dataset.value;
        const list = addresses(o.address, addIssue);
        const ssl = bindSslPart(o);
        if (typeof ssl === "string") addIssue({ message: ssl });
        const proxied = bindProxyPart(o);
        const socket = bindSocketPart(o);
        if (typeof socket === "string") addIssue({ message: socket });
        if (list === undefined || typeof ssl === "string" || typeof socket === "string") return NEVER;
        if (ssl !== undefined && list.some((a) => a.unixPath !== undefined)) {
          addIssue({ message: "'ssl' on a UNIX socket bind is not supported (the runtimes' UNIX listeners are plain; bind TLS on an IP address)" });
          return NEVER;
        }
        const proto = o.proto;
        return list.map((a) => ({ ...a, ...(proto !== undefined ? { proto } : {}), ...(ssl !== undefined ? { ssl } : {}), ...proxied, ...socket }));
      }),
    )
    : v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => addresses(dataset.value, addIssue) ?? NEVER),
    )
);

export const BindsSchema = v.lazy((x) =>
  Array.isArray(x)
    ? v.pipe(
      v.array(BindEntry),
      v.transform((lists): BindPart[] =>
        lists.flatMap((l, i) => l.map((a) => ({ ...a, path: ["bind", i] })))
      ),
    )
    : v.pipe(BindEntry, v.transform((l): BindPart[] => l.map((a) => ({ ...a, path: ["bind"] }))))
);

export interface ServerPart {
  name: string;
  /** Where the server was written, relative to its proxy section. */
  path: PathSeg[];
  host: string;
  port: number;
  weight: number;
  backup: boolean;
  disabled: boolean;
  maxconn?: number;
  poolMaxConn: number;
  poolPurgeDelay: number;
  poolLowConn: number;
  sendProxy: boolean;
  proto: ServerConfig["proto"];
  maxReuse: number;
  /** `accept-proxy`: a PROXY header comes first (schema-proxy-protocol.ts). */
  acceptProxy?: true;
  /** TLS options as written (`ssl`, or settings for `check-ssl`)... */
  ssl?: ServerSslPart;
  /** ...and with their files read (sections.ts). */
  tls?: ServerTls;
  // balancing and queues (issue 14, balance)
  maxqueue?: number;
  minconn?: number;
  slowstart?: number;
  initAddr?: InitAddr[];
  /** `resolvers` and `resolve-prefer` (schema-resolvers.ts). */
  resolvers?: string;
  resolvePrefer?: "ipv4" | "ipv6";
  /** Health checks (issue 14, checks): what the line says, defaults applied by build.ts. */
  checks: ServerCheckPart;
  /** `cookie VALUE` (issue 15, cookie). */
  cookie?: string;
  /** `redir PREFIX`: GET and HEAD requests this server would get are redirected there (302) instead. */
  redir?: string;
  /** The port was left out, 0 or `+N`/`-N`: `port` is an offset to the client's destination port (schema-proxymisc.ts). */
  mapPorts?: true;
  /** `socks4 ADDR:PORT` and `check-via-socks4` (schema-proxymisc.ts). */
  socks4?: Socks4Hop;
  checkViaSocks4?: true;
}

/**
 * `init-addr last,libc,none,<ip>`: the methods tried in order at start to
 * find a server's address. A comma list in both syntaxes (a YAML list too).
 */
function InitAddrSchema() {
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }): InitAddr[] => {
      const x = dataset.value;
      const items = Array.isArray(x) ? x : typeof x === "string" ? x.split(",") : undefined;
      if (items === undefined || items.length === 0) {
        addIssue({ message: `invalid init-addr ${describe(x)} (expected a list like last,libc,none)` });
        return NEVER;
      }
      const out: InitAddr[] = [];
      for (const raw of items) {
        const item = typeof raw === "string" ? raw.trim() : raw;
        if (item === "last" || item === "libc" || item === "none") {
          out.push(item);
          continue;
        }
        const ip = typeof item === "string" ? parseAddress(`${item.includes(":") ? `[${item}]` : item}:1`, "server") : undefined;
        if (ip === undefined || !ip.ok || !/^[\d.]+$|:/.test(ip.host)) {
          addIssue({ message: `invalid init-addr method ${describe(item)} (expected last, libc, none or an IP address)` });
          return NEVER;
        }
        out.push({ ip: ip.host });
      }
      return out;
    }),
  );
}

/** Spelled as the haproxy.cfg server options, in YAML too. */
const SERVER_FIELDS = {
  address: address("backend-server"),
  weight: v.optional(integer("weight", 0, 256)),
  backup: v.optional(flag("backup")),
  disabled: v.optional(flag("disabled")),
  maxconn: v.optional(integer("maxconn", 1)),
  "pool-max-conn": v.optional(integer("pool-max-conn", -1)),
  "pool-purge-delay": v.optional(duration("pool-purge-delay")),
  "pool-low-conn": v.optional(integer("pool-low-conn", 0)),
  "send-proxy": v.optional(flag("send-proxy")),
  proto: v.optional(ProtoSchema),
  "max-reuse": v.optional(integer("max-reuse", -1)),
  ...SERVER_SSL_FIELDS,
  // balancing and queues (issue 14, balance)
  maxqueue: v.optional(integer("maxqueue", 0)),
  minconn: v.optional(integer("minconn", 0)),
  slowstart: v.optional(duration("slowstart")),
  "init-addr": v.optional(InitAddrSchema()),
  ...RESOLVERS_SERVER_FIELDS,
  // Health checks (issue 14, checks).
  ...SERVER_CHECK_FIELDS,
  // Persistence (issue 15, cookie).
  cookie: v.optional(ServerCookieSchema),
  redir: v.optional(v.pipe(v.string(), v.minLength(1, "'redir' expects a prefix (usage: redir <prefix>)"))),
  // Through a SOCKS4 proxy (schema-proxymisc.ts).
  socks4: v.optional(Socks4Schema),
  "check-via-socks4": v.optional(flag("check-via-socks4")),
};

function serverPart(
  name: string,
  path: PathSeg[],
  s: v.InferOutput<v.ObjectSchema<typeof SERVER_FIELDS, undefined>>,
): ServerPart {
  const part: ServerPart = {
    name,
    path,
    host: s.address.host,
    port: s.address.port,
    weight: s.weight ?? 1,
    backup: s.backup ?? false,
    disabled: s.disabled ?? false,
    poolMaxConn: s["pool-max-conn"] ?? BUILTIN.pool.maxConn,
    poolPurgeDelay: s["pool-purge-delay"] ?? BUILTIN.pool.purgeDelay,
    poolLowConn: s["pool-low-conn"] ?? BUILTIN.pool.lowConn,
    sendProxy: s["send-proxy"] ?? false,
    proto: s.proto ?? "h1",
    maxReuse: s["max-reuse"] ?? -1,
    checks: serverCheckPart(s),
  };
  if (s.maxconn !== undefined) part.maxconn = s.maxconn;
  // `check-ssl` alone: checks speak TLS with the default settings (verify required, no SNI).
  const ssl = serverSslPart(s) ?? (s["check-ssl"] === true ? { traffic: false } : undefined);
  if (ssl !== undefined) part.ssl = ssl;
  // balancing and queues (issue 14, balance)
  if (s.maxqueue !== undefined && s.maxqueue > 0) part.maxqueue = s.maxqueue;
  // HAProxy: minconn alone, or above maxconn, becomes the maxconn (a fixed limit); 0 or equal to maxconn is no ramp.
  const minconn = s.minconn ?? 0;
  if (minconn > 0 && minconn >= (s.maxconn ?? 0)) part.maxconn = minconn;
  else if (minconn > 0) part.minconn = minconn;
  if (s.slowstart !== undefined && s.slowstart > 0) part.slowstart = s.slowstart;
  if (s["init-addr"] !== undefined) part.initAddr = s["init-addr"];
  Object.assign(part, serverResolutionPart(s));
  if (s.cookie !== undefined) part.cookie = s.cookie;
  if (s.redir !== undefined) part.redir = s.redir;
  if (s.address.mapPorts === true) part.mapPorts = true;
  if (s.socks4 !== undefined) part.socks4 = s.socks4;
  if (s["check-via-socks4"] === true) part.checkViaSocks4 = true;
  return part;
}

/** A server's TLS options that make no sense together. */
function checkServerSsl(s: v.InferOutput<v.ObjectSchema<typeof SERVER_FIELDS, undefined>>, addIssue: (i: { message: string }) => void): void {
  const ssl = serverSslPart(s);
  // HAProxy sends the PROXY line in clear before the handshake; node:tls starts its handshake at connect.
  if (ssl?.traffic === true && s["send-proxy"] === true) addIssue({ message: "send-proxy with ssl is not supported yet" });
  const conflict = ssl === undefined ? undefined : serverSslConflict(ssl);
  if (conflict !== undefined) addIssue({ message: conflict });
}

/** HAProxy: a server whose port is the client's needs a `port` for its checks. */
function checkServerPort(s: v.InferOutput<v.ObjectSchema<typeof SERVER_FIELDS, undefined>>, addIssue: (i: { message: string }) => void): void {
  if (s.address.mapPorts === true && s.check === true && s.port === undefined) {
    addIssue({ message: "has neither service port nor check port (its port is the client's destination port: give its checks one with 'port N')" });
  }
  // HAProxy's words (an error there too).
  if (s["agent-check"] === true && s["agent-port"] === undefined) addIssue({ message: "does not have agent port. Agent check has been disabled." });
}

const ServerInMap = v.pipe(
  v.unknown(),
  v.transform((x) => (typeof x === "string" ? { address: x } : x)),
  keywords(SERVER_FIELDS, {
    expected: "an address or a mapping with an address",
    unknown: (key) =>
      `unknown keyword '${key}' (expected one of: ${Object.keys(SERVER_FIELDS).join(", ")})`,
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (dataset.typed) checkServerSsl(dataset.value, addIssue);
    if (dataset.typed) checkServerPort(dataset.value, addIssue);
  }),
);

const SERVER_LIST_FIELDS = { name: nameSchema("server"), ...SERVER_FIELDS };
const ServerInList = v.pipe(
  keywords(SERVER_LIST_FIELDS, {
    expected: "a mapping with a name and an address",
    unknown: (key) =>
      `unknown keyword '${key}' (expected one of: ${Object.keys(SERVER_LIST_FIELDS).join(", ")})`,
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (dataset.typed) checkServerSsl(dataset.value, addIssue);
    if (dataset.typed) checkServerPort(dataset.value, addIssue);
  }),
);

/** name → server (the usual form), or a list of servers with a `name` (what haproxy.cfg gives). */
export const ServersSchema = v.lazy((x) =>
  Array.isArray(x)
    ? v.pipe(
      v.array(ServerInList),
      v.transform((list) => list.map((s, i) => serverPart(s.name, ["servers", i], s))),
    )
    : v.pipe(
      v.unknown(),
      v.transform((x) => x ?? {}),
      v.custom<Record<string, unknown>>(
        isMapping,
        (issue) =>
          `invalid servers ${
            describe(issue.input)
          } (expected a mapping of name: address, or a list)`,
      ),
      v.record(nameKey("server"), ServerInMap),
      v.transform((byName) =>
        Object.entries(byName).map(([name, s]) => serverPart(name, ["servers", name], s))
      ),
    )
);
