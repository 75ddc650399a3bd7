// Valibot schemas for the structured keywords: timeouts, binds and servers.

import * as v from "valibot";
import { keywords } from "./schema-keywords.ts";
import { parseAddress } from "./address.ts";
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
import { BUILTIN, type ServerConfig, type Timeouts } from "./types.ts";
import { SERVER_CHECK_FIELDS, type ServerCheckPart, serverCheckPart } from "./schema-check.ts";

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
};

/** HAProxy's table of which timeout a frontend or a backend can use. */
export const FRONTEND_TIMEOUTS = [
  "client",
  "client-fin",
  "http-request",
  "http-keep-alive",
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
export interface BindPart {
  host: string;
  port: number;
  /** `proto h2` on the bind line (`{ address, proto: h2 }` in YAML). */
  proto?: "h2";
  path: PathSeg[];
}

/** A bind entry: an address list as a string, or `{ address, proto }`. */
const BindEntry = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    let x = dataset.value;
    let proto: "h2" | undefined;
    if (isMapping(x)) {
      const { address, proto: p, ...rest } = x as Record<string, unknown>;
      const unknown = Object.keys(rest)[0];
      if (unknown !== undefined) {
        addIssue({ message: `unknown bind option '${unknown}' (expected: address, proto)` });
        return NEVER;
      }
      if (p !== undefined && p !== "h2") {
        addIssue({ message: `invalid bind proto ${describe(p)} (expected h2)` });
        return NEVER;
      }
      proto = p;
      x = address;
    }
    if (typeof x !== "string") {
      addIssue({ message: `invalid address ${describe(x)} (expected a string like ':8080')` });
      return NEVER;
    }
    const out: { host: string; port: number; proto?: "h2" }[] = [];
    for (const text of x.split(",")) {
      const r = parseAddress(text.trim(), "bind");
      if (!r.ok) addIssue({ message: r.error });
      else if (proto !== undefined) out.push({ host: r.host, port: r.port, proto });
      else out.push({ host: r.host, port: r.port });
    }
    return out;
  }),
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
  /** Health checks (issue 14, checks): what the line says, defaults applied by build.ts. */
  checks: ServerCheckPart;
}

/** Spelled as the haproxy.cfg server options, in YAML too. */
const SERVER_FIELDS = {
  address: address("server"),
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
  // Health checks (issue 14, checks).
  ...SERVER_CHECK_FIELDS,
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
  return part;
}

const ServerInMap = v.pipe(
  v.unknown(),
  v.transform((x) => (typeof x === "string" ? { address: x } : x)),
  keywords(SERVER_FIELDS, {
    expected: "an address or a mapping with an address",
    unknown: (key) =>
      `unknown keyword '${key}' (expected one of: ${Object.keys(SERVER_FIELDS).join(", ")})`,
  }),
);

const SERVER_LIST_FIELDS = { name: nameSchema("server"), ...SERVER_FIELDS };
const ServerInList = keywords(SERVER_LIST_FIELDS, {
  expected: "a mapping with a name and an address",
  unknown: (key) =>
    `unknown keyword '${key}' (expected one of: ${Object.keys(SERVER_LIST_FIELDS).join(", ")})`,
});

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
