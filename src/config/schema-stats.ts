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
// A section that carries no traffic (no servers, no default_backend, no
// use_backend, its only rule line the Prometheus exporter's) is a stats
// listener, served by admin/ on the runtime's own HTTP server; a frontend with
// that rule line alone (HAProxy's documented exporter section) is one too,
// serving the metrics only. A section that also routes, and a backend (issue
// 19), serve the page from inside the proxy as HAProxy's stats applet: a
// request whose path begins with `stats uri`, once that proxy's http-request
// rules let it through, gets the page (stats-listener.ts, session/).
//
//   stats scope <proxy>|.     only these proxies on the page (repeatable)
//   stats http-request allow|deny|auth [realm <r>] [if|unless <cond>]
//   stats show-node [<name>]  the node's name (global `node`, else the host name)
//   stats show-desc [<text>]  a description (global `description` without one)
//   stats show-modules        the modules' counters
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
  /** `stats scope` lines: the proxies the page shows (`.`: the section's own); absent: all. */
  scope?: string[];
  /** `stats http-request` lines: their words (the action first) and where each is under `stats`. */
  httpRequest?: { words: string[]; at: (string | number)[] }[];
  /** `stats show-node [NAME]`: true without a name (the global `node`, else the host name). */
  showNode?: string | true;
  /** `stats show-desc [TEXT]`: true without a text (the global `description`). */
  showDesc?: string | true;
  showModules?: true;
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
  scope: "stats scope { <name> | . }",
  "http-request": "stats http-request { allow | deny | auth [realm <realm>] } [ { if | unless } <condition> ]",
  "show-node": "stats show-node [ <name> ]",
  "show-desc": "stats show-desc [ <description> ]",
  "show-modules": "stats show-modules",
};
const FLAGS = new Set(["enable", "show-legends", "hide-version", "show-modules"]);
/** Keywords whose argument is optional (none: the global setting) or whose words are kept as a list. */
const FREE_ARGS = new Set(["admin", "http-request", "show-node", "show-desc"]);
/** HAProxy 2.6's `stats http-request` actions. */
const STATS_ACTIONS = new Set(["allow", "deny", "auth"]);

function authProblem(x: string): string | undefined {
  const colon = x.indexOf(":");
  return colon <= 0 ? `invalid stats auth '${x}' (expected <user>:<password>)` : undefined;
}

/** One line's words (`uri /stats`) into the part; a message when they are wrong. */
function readLine(words: string[], part: StatsPart): string | undefined {
  const [keyword, ...args] = words as [string, ...string[]];
  if (FREE_ARGS.has(keyword)) {
    if (keyword === "show-node" && args.length > 1) return `too many arguments for 'stats show-node' (usage: ${USAGE["show-node"]})`;
    return setValue(keyword, keyword === "admin" || keyword === "http-request" ? args : args.length === 0 ? true : args.join(" "), part);
  }
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
    case "show-modules":
      if (value !== undefined && value !== true) return `invalid stats ${keyword} ${describe(value)} (expected true)`;
      if (keyword === "enable") part.enable = true;
      else if (keyword === "show-legends") part.showLegends = true;
      else if (keyword === "show-modules") part.showModules = true;
      else part.hideVersion = true;
      return undefined;
    case "show-node":
    case "show-desc":
      if (value !== true && (typeof value !== "string" || value === "")) return `invalid stats ${keyword} ${describe(value)} (expected true or a text)`;
      if (keyword === "show-node") part.showNode = value;
      else part.showDesc = value;
      return undefined;
    case "scope": {
      const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
      if (list === undefined || list.some((n) => typeof n !== "string" || n === "")) return `invalid stats scope ${describe(value)} (expected a proxy name, '.', or a list of them)`;
      part.scope = [...(part.scope ?? []), ...(list as string[])];
      return undefined;
    }
    case "http-request": {
      const words = typeof value === "string" ? lineWords(value) : Array.isArray(value) && value.every((w) => typeof w === "string") ? value as string[] : undefined;
      if (words === undefined || typeof words === "string" || words.length === 0) return `invalid stats http-request ${describe(value)} (usage: ${USAGE["http-request"]})`;
      if (!STATS_ACTIONS.has(words[0]!)) return `'stats http-request ${words[0]}' is not supported (HAProxy's stats rules take allow, deny or auth)`;
      (part.httpRequest ??= []).push({ words, at: [] });
      return undefined;
    }
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
      const lines = key === "http-request" && Array.isArray(value) && value.every((x) => typeof x === "string") ? value : [value];
      let problem: string | undefined;
      for (let i = 0; i < lines.length && problem === undefined; i++) {
        problem = setValue(key, lines[i], part);
        // Where each rule is, for its errors: `http-request: [line, ...]` or one line.
        if (problem === undefined && key === "http-request") part.httpRequest![i]!.at = lines === value ? ["http-request", i] : ["http-request"];
      }
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
          const rule = part.httpRequest?.[part.httpRequest.length - 1];
          if (words[0] === "http-request" && rule !== undefined) rule.at = [i];
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
