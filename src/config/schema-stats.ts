// The stats listener (issue 16): `stats ...` lines of a frontend or listen
// section, in both syntaxes, and the section they make a stats listener of.
//
//   listen stats                          listen:
//       bind :8404                          stats:
//       mode http                             bind: ":8404"
//       stats enable                          mode: http
//       stats uri /                           stats: { enable: true, uri: /, refresh: 10s,
//       stats refresh 10s                             auth: ["admin:secret"], realm: Ops,
//       stats auth admin:secret                       show-legends: true }
//       stats realm Ops                       # or, as haproxy.cfg writes them:
//       stats show-legends                    # stats: ["enable", "uri /", "refresh 10s"]
//       stats admin if { src 127.0.0.1 }      # admin: "if { src 127.0.0.1 }"
//       http-request use-service prometheus-exporter if { path /metrics }
//
// Such a section carries no traffic: it has no servers, no default_backend,
// no use_backend, and its only rule line may be the Prometheus exporter's. A
// frontend with that rule line alone (HAProxy's documented exporter section)
// is a stats listener too, serving the metrics only. Served by admin/ on the
// runtime's own HTTP server, not by the proxy core.
import * as v from "valibot";
import { parseDuration } from "./duration.ts";
import { lineWords } from "./schema-check.ts";
import { keywords } from "./schema-keywords.ts";
import { describe } from "./schema-values.ts";

/** HAProxy's defaults for what a stats section does not say. */
export type { MetricsRoute, StatsListenerConfig } from "./types.ts";

export const STATS_DEFAULTS = { uri: "/haproxy?stats", realm: "HAProxy Statistics" } as const;

/** `stats ...` as written (either syntax), before the section around it is checked. */
export interface StatsPart {
  enable?: true;
  uri?: string;
  refresh?: number;
  auth?: string[];
  realm?: string;
  showLegends?: true;
  hideVersion?: true;
  /**
   * `stats admin if|unless <cond>` lines (any that holds allows, as HAProxy's):
   * the condition's words, `if` or `unless` first (stats-listener.ts compiles
   * them), and where each is under `stats` (an index in a list of lines,
   * `admin` in a mapping), for its errors.
   */
  admin?: { words: string[]; at: (string | number)[] }[];
}

const USAGE: Record<string, string> = {
  enable: "stats enable",
  uri: "stats uri <prefix>",
  refresh: "stats refresh <time>",
  auth: "stats auth <user>:<password>",
  realm: "stats realm <realm>",
  "show-legends": "stats show-legends",
  "hide-version": "stats hide-version",
  admin: "stats admin { if | unless } <cond>",
};
const FLAGS = new Set(["enable", "show-legends", "hide-version"]);

function authProblem(x: string): string | undefined {
  const colon = x.indexOf(":");
  return colon <= 0 ? `invalid stats auth '${x}' (expected <user>:<password>)` : undefined;
}

/** One line's words (`uri /stats`) into the part; a message when they are wrong. */
function readLine(words: string[], part: StatsPart): string | undefined {
  const [keyword, ...args] = words as [string, ...string[]];
  if (keyword === "admin") return setValue(keyword, args, part);
  const usage = USAGE[keyword];
  if (usage === undefined) return `'stats ${keyword}' is not supported yet (supported: ${Object.keys(USAGE).join(", ")})`;
  const want = FLAGS.has(keyword) ? 0 : 1;
  if (args.length !== want) return `${args.length < want ? "missing" : "too many"} argument${want === 1 ? "" : "s"} for 'stats ${keyword}' (usage: ${usage})`;
  return setValue(keyword, args[0], part);
}

function setValue(keyword: string, value: unknown, part: StatsPart): string | undefined {
  switch (keyword) {
    case "enable":
    case "show-legends":
    case "hide-version":
      if (value !== undefined && value !== true) return `invalid stats ${keyword} ${describe(value)} (expected true)`;
      if (keyword === "enable") part.enable = true;
      else if (keyword === "show-legends") part.showLegends = true;
      else part.hideVersion = true;
      return undefined;
    case "uri":
    case "realm":
      if (typeof value !== "string" || value === "") return `invalid stats ${keyword} ${describe(value)} (expected a string)`;
      if (keyword === "uri" && !value.startsWith("/")) return `invalid stats uri '${value}' (expected a path starting with '/')`;
      part[keyword] = value;
      return undefined;
    case "admin": {
      const words = typeof value === "string" ? lineWords(value) : Array.isArray(value) && value.every((w) => typeof w === "string") ? value as string[] : undefined;
      if (words === undefined || typeof words === "string") return `invalid stats admin ${describe(value)} (expected a condition such as 'if { src 127.0.0.1 }')`;
      if ((words[0] !== "if" && words[0] !== "unless") || words.length < 2) return `'stats admin' needs a condition (usage: ${USAGE.admin})`;
      (part.admin ??= []).push({ words, at: [] });
      return undefined;
    }
    case "refresh": {
      if (typeof value !== "string" && typeof value !== "number") return `invalid stats refresh ${describe(value)} (expected a time such as '10s')`;
      const r = parseDuration(value);
      if (!r.ok) return `stats refresh: ${r.error}`;
      part.refresh = r.ms;
      return undefined;
    }
    case "auth": {
      const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
      if (list === undefined || list.some((a) => typeof a !== "string")) return `invalid stats auth ${describe(value)} (expected '<user>:<password>' or a list of them)`;
      for (const a of list as string[]) {
        const problem = authProblem(a);
        if (problem !== undefined) return problem;
      }
      part.auth = [...(part.auth ?? []), ...(list as string[])];
      return undefined;
    }
  }
  return `'stats ${keyword}' is not supported yet`;
}

const Line = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): string[] => {
    const words = lineWords(dataset.value);
    if (typeof words === "string") {
      addIssue({ message: `stats: ${words}` });
      return NEVER;
    }
    return words;
  }),
);

/** One `stats` line checked on its own (so its error points at its line), then all of them into one part. */
const LineChecked = v.pipe(
  Line,
  v.rawTransform(({ dataset, addIssue, NEVER }): string[] => {
    const problem = readLine(dataset.value, {});
    if (problem === undefined) return dataset.value;
    addIssue({ message: problem });
    return NEVER;
  }),
);

const MAPPING_KEYS = Object.fromEntries(Object.keys(USAGE).map((k) => [k, v.optional(v.unknown())]));

const Mapping = v.pipe(
  keywords(MAPPING_KEYS, {
    expected: "a mapping of stats keywords, or a list of stats lines",
    unknown: (key) => `'stats ${key}' is not supported yet (supported: ${Object.keys(USAGE).join(", ")})`,
  }),
  v.rawTransform(({ dataset, addIssue, NEVER }): StatsPart => {
    const part: StatsPart = {};
    for (const [key, value] of Object.entries(dataset.value as Record<string, unknown>)) {
      const problem = setValue(key, value, part);
      if (key === "admin" && part.admin !== undefined) part.admin[0]!.at = ["admin"];
      if (problem === undefined) continue;
      addIssue({ message: problem, path: [{ type: "object", origin: "value", input: dataset.value, key, value }] });
      return NEVER;
    }
    return part;
  }),
);

export const StatsSchema = v.lazy((x) =>
  Array.isArray(x)
    ? v.pipe(
      v.array(LineChecked),
      v.transform((lines): StatsPart => {
        const part: StatsPart = {};
        lines.forEach((words, i) => {
          readLine(words, part);
          const last = part.admin?.[part.admin.length - 1];
          if (words[0] === "admin" && last !== undefined) last.at = [i];
        });
        return part;
      }),
    )
    : typeof x === "string"
    ? v.pipe(LineChecked, v.transform((words): StatsPart => {
      const part: StatsPart = {};
      readLine(words, part);
      return part;
    }))
    : Mapping
);
