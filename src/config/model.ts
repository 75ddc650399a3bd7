// The valibot schemas: the one truth about which keyword goes in which
// section and what its value must be. They read raw sections (raw.ts) and
// produce typed parts with times in ms and addresses split; build.ts applies
// defaults and assembles the Config. Every message says what was expected.
// Value schemas live in schema-values.ts, timeouts/binds/servers in
// schema-parts.ts.

import * as v from "valibot";
import { keywords, type MappingText } from "./schema-keywords.ts";
import {
  BACKEND_TIMEOUTS,
  type BindPart,
  BindsSchema,
  FRONTEND_TIMEOUTS,
  type SectionName,
  type ServerPart,
  ServersSchema,
  TIMEOUT_NAMES,
  type TimeoutsPart,
  timeoutsSchema,
} from "./schema-parts.ts";
import {
  BalanceSchema,
  describe,
  duration,
  integer,
  isMapping,
  ModeSchema,
  nameSchema,
  OptionsSchema,
} from "./schema-values.ts";
import type { Mode } from "./types.ts";

export { nameSchema } from "./schema-values.ts";
export type { BindPart, ServerPart, TimeoutsPart } from "./schema-parts.ts";

const GLOBAL = {
  maxconn: v.optional(integer("maxconn", 1)),
  "hard-stop-after": v.optional(duration("hard-stop-after")),
};
const DEFAULTS = {
  mode: v.optional(ModeSchema),
  timeout: v.optional(timeoutsSchema("defaults", TIMEOUT_NAMES)),
  retries: v.optional(integer("retries", 0)),
  maxconn: v.optional(integer("maxconn", 1)),
  balance: v.optional(BalanceSchema),
  option: v.optional(OptionsSchema),
};
const FRONTEND = {
  mode: v.optional(ModeSchema),
  bind: v.optional(BindsSchema),
  default_backend: v.optional(nameSchema("backend")),
  maxconn: v.optional(integer("maxconn", 1)),
  timeout: v.optional(timeoutsSchema("frontend", FRONTEND_TIMEOUTS)),
  option: v.optional(OptionsSchema),
};
const BACKEND = {
  mode: v.optional(ModeSchema),
  balance: v.optional(BalanceSchema),
  servers: v.optional(ServersSchema),
  retries: v.optional(integer("retries", 0)),
  timeout: v.optional(timeoutsSchema("backend", BACKEND_TIMEOUTS)),
};
const LISTEN = {
  mode: v.optional(ModeSchema),
  bind: v.optional(BindsSchema),
  default_backend: v.optional(nameSchema("backend")),
  maxconn: v.optional(integer("maxconn", 1)),
  balance: v.optional(BalanceSchema),
  servers: v.optional(ServersSchema),
  retries: v.optional(integer("retries", 0)),
  timeout: v.optional(timeoutsSchema("listen", TIMEOUT_NAMES)),
  option: v.optional(OptionsSchema),
};

const KNOWN_KEYWORDS = new Set(
  [GLOBAL, DEFAULTS, FRONTEND, BACKEND, LISTEN].flatMap((entries) => Object.keys(entries)),
);

/** haproxy.cfg writes one `server` per line; the raw key is `servers`. */
const SPELLING: Record<string, string> = { servers: "server" };

function sectionText(section: SectionName, entries: v.ObjectEntries): MappingText {
  return {
    expected: `a mapping of ${section} keywords`,
    unknown: (key) =>
      KNOWN_KEYWORDS.has(key)
        ? `'${SPELLING[key] ?? key}' is not allowed in a ${section} section`
        : `unknown keyword '${key}' (expected one of: ${Object.keys(entries).join(", ")})`,
  };
}

/** What any proxy section (or `defaults`) sets; unset fields fall back later. */
export interface ProxyPart {
  mode?: Mode;
  binds?: BindPart[];
  defaultBackend?: string;
  maxconn?: number;
  timeouts: TimeoutsPart;
  log?: "tcp" | "http";
  balance?: "roundrobin";
  servers?: ServerPart[];
  retries?: number;
}

function proxyPart(o: {
  mode?: Mode;
  bind?: BindPart[];
  default_backend?: string;
  maxconn?: number;
  timeout?: TimeoutsPart;
  option?: "tcp" | "http" | undefined;
  balance?: "roundrobin";
  servers?: ServerPart[];
  retries?: number;
}): ProxyPart {
  const part: ProxyPart = { timeouts: o.timeout ?? {} };
  if (o.mode !== undefined) part.mode = o.mode;
  if (o.bind !== undefined) part.binds = o.bind;
  if (o.default_backend !== undefined) part.defaultBackend = o.default_backend;
  if (o.maxconn !== undefined) part.maxconn = o.maxconn;
  if (o.option !== undefined) part.log = o.option;
  if (o.balance !== undefined) part.balance = o.balance;
  if (o.servers !== undefined) part.servers = o.servers;
  if (o.retries !== undefined) part.retries = o.retries;
  return part;
}

export interface GlobalPart {
  maxconn?: number;
  hardStopAfter?: number;
}

export const GlobalSchema = v.pipe(
  keywords(GLOBAL, sectionText("global", GLOBAL)),
  v.transform((g): GlobalPart => {
    const part: GlobalPart = {};
    if (g.maxconn !== undefined) part.maxconn = g.maxconn;
    if (g["hard-stop-after"] !== undefined) part.hardStopAfter = g["hard-stop-after"];
    return part;
  }),
);
export const DefaultsSchema = v.pipe(
  keywords(DEFAULTS, sectionText("defaults", DEFAULTS)),
  v.transform(proxyPart),
);
export const FrontendSchema = v.pipe(
  keywords(FRONTEND, sectionText("frontend", FRONTEND)),
  v.transform(proxyPart),
);
export const BackendSchema = v.pipe(
  keywords(BACKEND, sectionText("backend", BACKEND)),
  v.transform(proxyPart),
);
export const ListenSchema = v.pipe(
  keywords(LISTEN, sectionText("listen", LISTEN)),
  v.transform(proxyPart),
);

export const PROXY_SCHEMAS = {
  frontends: FrontendSchema,
  backends: BackendSchema,
  listen: ListenSchema,
};

function category(key: string, kind: string) {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.transform((x) => x ?? {}),
      v.custom<Record<string, unknown>>(
        isMapping,
        (issue) =>
          `invalid ${key} ${
            describe(issue.input)
          } (expected a mapping of ${kind} names to sections)`,
      ),
    ),
  );
}

/** The document's outline only; each section is then checked on its own, so one bad section hides nothing else. */
export const DocumentSchema = keywords(
  {
    global: v.optional(v.unknown()),
    defaults: v.optional(v.unknown()),
    frontends: category("frontends", "frontend"),
    backends: category("backends", "backend"),
    listen: category("listen", "listen"),
  },
  {
    expected: "a mapping of sections",
    unknown: (key) =>
      `unknown section '${key}' (expected one of: global, defaults, frontends, backends, listen)`,
  },
);
