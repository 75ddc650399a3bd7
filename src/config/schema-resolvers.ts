// `resolvers <name>` sections (issue 19, the corpus), as HAProxy 2.6 reads
// them: `nameserver <id> [udp@]<ip>:<port>`, `parse-resolv-conf` (the
// nameservers of /etc/resolv.conf, port 53), `resolve_retries <n>`,
// `timeout resolve|retry <time>`, `hold valid|other|refused|nx|timeout|obsolete
// <time>`, `accepted_payload_size <n>`. YAML writes the same names under
// `resolvers: { NAME: { nameservers: [{ name, address }], hold: { nx: 30s },
// timeout: { resolve: 1s }, resolve_retries: 3, parse-resolv-conf: true } }`.
// check/resolution.ts re-resolves the servers that name a section.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import * as v from "valibot";
import { parseAddress } from "./address.ts";
import { parseDuration } from "./duration.ts";
import { describe, isMapping } from "./schema-values.ts";
import { BUILTIN, type Origin } from "./types.ts";
import type { HoldName, Nameserver, ResolversConfig } from "./types-resolvers.ts";

export const HOLD_NAMES = ["valid", "other", "refused", "nx", "timeout", "obsolete"] as const satisfies readonly HoldName[];
const TIMEOUTS = ["resolve", "retry"] as const;

/** What a section's lines say, before defaults. */
export interface ResolversPart {
  nameservers: Nameserver[];
  resolveRetries?: number;
  timeout: Partial<Record<(typeof TIMEOUTS)[number], number>>;
  hold: Partial<Record<HoldName, number>>;
  acceptedPayloadSize?: number;
}

const USAGE: Record<string, string> = {
  nameserver: "nameserver <name> [udp@]<address>:<port>",
  "parse-resolv-conf": "parse-resolv-conf",
  resolve_retries: "resolve_retries <number>",
  timeout: "timeout resolve|retry <time>",
  hold: "hold valid|other|refused|nx|timeout|obsolete <time>",
  accepted_payload_size: "accepted_payload_size <number>",
};

/**
 * haproxy.cfg's line of a resolvers section into its raw section (the YAML
 * shape); the message of a line HAProxy would refuse.
 */
export function resolversLine(keyword: string, args: string[], raw: Record<string, unknown>): string | undefined {
  const usage = USAGE[keyword];
  if (usage === undefined) return `unknown keyword '${keyword}' in a resolvers section (expected one of: ${Object.keys(USAGE).join(", ")})`;
  const arity = usage.split(" ").length - 1;
  if (args.length < arity) return `missing argument for '${keyword}' (usage: ${usage})`;
  if (args.length > arity) return `too many arguments for '${keyword}': '${args[arity]}' (usage: ${usage})`;
  if (keyword === "nameserver") {
    ((raw.nameservers ??= []) as unknown[]).push({ name: args[0], address: args[1] });
  } else if (keyword === "parse-resolv-conf") {
    raw["parse-resolv-conf"] = true;
  } else if (keyword === "timeout" || keyword === "hold") {
    ((raw[keyword] ??= {}) as Record<string, string>)[args[0]!] = args[1]!;
  } else {
    raw[keyword] = args[0];
  }
  return undefined;
}

type Issue = (message: string) => void;

function time(name: string, x: unknown, issue: Issue): number | undefined {
  const r = typeof x === "number" || typeof x === "string" ? parseDuration(x) : undefined;
  if (r === undefined || !r.ok) {
    issue(`invalid ${name} ${describe(x)}${r === undefined ? " (expected a time such as 30s)" : `: ${r.error}`}`);
    return undefined;
  }
  return r.ms;
}

function count(name: string, x: unknown, min: number, max: number, issue: Issue): number | undefined {
  const n = typeof x === "number" ? x : typeof x === "string" && /^\d+$/.test(x) ? Number(x) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    issue(`invalid ${name} ${describe(x)} (expected an integer from ${min} to ${max})`);
    return undefined;
  }
  return n;
}

/** `[udp@]IP:PORT`: HAProxy's nameservers are IP addresses (a name is looked up by libc, not here). */
function nameserver(x: unknown, issue: Issue): Nameserver | undefined {
  if (!isMapping(x) || typeof x.name !== "string" || typeof x.address !== "string") {
    issue(`invalid nameserver ${describe(x)} (expected { name, address })`);
    return undefined;
  }
  const text = x.address.replace(/^udp@/, "");
  const r = parseAddress(text, "server");
  if (!r.ok || isIP(r.host) === 0) {
    issue(`nameserver ${x.name}: invalid address '${x.address}' (expected [udp@]<IP>:<port>${r.ok ? "; a name is not resolved here" : `: ${r.error}`})`);
    return undefined;
  }
  return { name: x.name, host: r.host, port: r.port };
}

/** The nameservers of a resolv.conf text, port 53, in order. */
export function resolvConfNameservers(text: string): Nameserver[] {
  const out: Nameserver[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m !== null && isIP(m[1]!) !== 0) out.push({ name: m[1]!, host: m[1]!, port: 53 });
  }
  return out;
}

const KEYS = ["nameservers", "parse-resolv-conf", "resolve_retries", "timeout", "hold", "accepted_payload_size"];

export const ResolversSchema = v.pipe(
  v.unknown(),
  v.transform((x) => x ?? {}),
  v.rawTransform(({ dataset, addIssue, NEVER }): ResolversPart => {
    const x = dataset.value;
    if (!isMapping(x)) {
      addIssue({ message: `invalid resolvers section ${describe(x)} (expected a mapping of resolvers keywords)` });
      return NEVER;
    }
    let failed = false;
    const part: ResolversPart = { nameservers: [], timeout: {}, hold: {} };
    for (const [key, value] of Object.entries(x)) {
      // Each message at its keyword's line.
      const path = [{ type: "object" as const, origin: "value" as const, input: x, key, value }] as [v.ObjectPathItem];
      const issue: Issue = (message) => {
        failed = true;
        addIssue({ message, path });
      };
      if (!KEYS.includes(key)) {
        issue(`unknown keyword '${key}' in a resolvers section (expected one of: ${KEYS.join(", ")})`);
      } else if (key === "nameservers") {
        for (const entry of Array.isArray(value) ? value : [value]) {
          const ns = nameserver(entry, issue);
          if (ns !== undefined) part.nameservers.push(ns);
        }
      } else if (key === "parse-resolv-conf") {
        if (value !== true) issue(`invalid parse-resolv-conf ${describe(value)} (expected true)`);
        else part.nameservers.push(...resolvConfNameservers(readResolvConf()));
      } else if (key === "timeout" || key === "hold") {
        const names: readonly string[] = key === "timeout" ? TIMEOUTS : HOLD_NAMES;
        if (!isMapping(value)) {
          issue(`invalid ${key} ${describe(value)} (expected a mapping of ${names.join(", ")} to times)`);
          continue;
        }
        for (const [name, t] of Object.entries(value)) {
          if (!names.includes(name)) {
            issue(`'${key} ${name}' is not a resolvers setting (expected ${key} ${names.join("|")} <time>)`);
            continue;
          }
          const ms = time(`${key} ${name}`, t, issue);
          if (ms !== undefined) (part[key] as Record<string, number>)[name] = ms;
        }
      } else if (key === "resolve_retries") {
        const n = count(key, value, 1, 1000, issue);
        if (n !== undefined) part.resolveRetries = n;
      } else {
        // HAProxy: 512 to 65535.
        const n = count(key, value, 512, 65535, issue);
        if (n !== undefined) part.acceptedPayloadSize = n;
      }
    }
    return failed ? NEVER : part;
  }),
);

function readResolvConf(): string {
  try {
    return readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    return "";
  }
}

/** The section with HAProxy's defaults for what it does not say. */
export function resolversConfig(name: string, part: ResolversPart, origin: Origin): ResolversConfig {
  const d = BUILTIN.resolvers;
  return {
    name,
    nameservers: part.nameservers,
    resolveRetries: part.resolveRetries ?? d.resolveRetries,
    timeoutResolve: part.timeout.resolve ?? d.timeoutResolve,
    timeoutRetry: part.timeout.retry ?? d.timeoutRetry,
    hold: { ...d.hold, ...part.hold },
    acceptedPayloadSize: part.acceptedPayloadSize ?? d.acceptedPayloadSize,
    origin,
  };
}

// ---------------------------------------------------------------- server options

/** A server's `resolvers <id>` and `resolve-prefer ipv4|ipv6`, as written (YAML the same names). */
export const RESOLVERS_SERVER_FIELDS = {
  resolvers: v.optional(
    v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }): string => {
        const x = dataset.value;
        if (typeof x === "string" && /^[A-Za-z0-9_.:-]+$/.test(x)) return x;
        addIssue({ message: `invalid resolvers ${describe(x)} (expected the name of a resolvers section)` });
        return NEVER;
      }),
    ),
  ),
  "resolve-prefer": v.optional(
    v.pipe(
      v.unknown(),
      v.rawTransform(({ dataset, addIssue, NEVER }): "ipv4" | "ipv6" => {
        const x = dataset.value;
        if (x === "ipv4" || x === "ipv6") return x;
        addIssue({ message: `invalid resolve-prefer ${describe(x)} (expected ipv4 or ipv6)` });
        return NEVER;
      }),
    ),
  ),
};

/** What the two options set on a server (ServerConfig's fields of the same names). */
export interface ServerResolutionPart {
  resolvers?: string;
  resolvePrefer?: "ipv4" | "ipv6";
}

export function serverResolutionPart(s: { resolvers?: string; "resolve-prefer"?: "ipv4" | "ipv6" }): ServerResolutionPart {
  const part: ServerResolutionPart = {};
  if (s.resolvers !== undefined) part.resolvers = s.resolvers;
  if (s["resolve-prefer"] !== undefined) part.resolvePrefer = s["resolve-prefer"];
  return part;
}
