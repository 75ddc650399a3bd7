// A section with `stats` lines (or the Prometheus exporter's rule line alone)
// that carries no traffic becomes a stats listener instead of a frontend
// (issue 16): checked here, each problem at its line. A section that also
// routes, or a backend, keeps its place in the proxy and gets the page that
// HAProxy's stats applet serves there (statsPage, issue 19). The keywords
// themselves are read by schema-stats.ts; admin/ serves both.
import { ConfigError } from "./errors.ts";
import { BUILTIN } from "./types.ts";
import { contextOf } from "./context.ts";
import { locate } from "./issues.ts";
import type { CheckedProxy } from "./sections.ts";
import type { ProxyPart } from "./model.ts";
import { compileStatsAdmin, namedAcls } from "./stats-admin.ts";
import { type MetricsRoute, STATS_DEFAULTS, type StatsListenerConfig } from "./schema-stats.ts";

/** `use-service prometheus-exporter [if { path|path_beg P }]`: the route, or a message. */
function metricsRoute(words: readonly string[]): MetricsRoute | string | undefined {
  if (words[0] !== "use-service" || words[1] !== "prometheus-exporter") return undefined;
  const rest = words.slice(2);
  if (rest.length === 0) return { prefix: false };
  const [cond, open, fetch, path, close, ...more] = rest;
  if (cond === "if" && open === "{" && (fetch === "path" || fetch === "path_beg") && path !== undefined && close === "}" && more.length === 0) {
    return { path, prefix: fetch === "path_beg" };
  }
  return "on a stats listener the exporter's condition is 'if { path <path> }' or 'if { path_beg <prefix> }' (other conditions are not supported yet)";
}

/**
 * Whether the section is a stats listener: it carries no traffic (no server,
 * no default_backend, no rule line but `acl` and the exporter's, no `stats
 * http-request`) and has `stats` lines or the exporter's line. A section with
 * no `stats` line is the exporter's own when its only rule lines are
 * `http-request use-service prometheus-exporter`.
 */
export function isStatsSection(part: ProxyPart): boolean {
  const rules = part.ruleLines;
  const requests = rules?.["http-request"] ?? [];
  if (part.servers !== undefined || part.defaultBackend !== undefined || part.stats?.httpRequest !== undefined) return false;
  const others = Object.entries(rules ?? {}).some(([k, lines]) => k !== "http-request" && k !== "acl" && (lines?.length ?? 0) > 0);
  if (others || !requests.every((w) => typeof metricsRoute(w) === "object")) return false;
  return part.stats !== undefined || (requests.length > 0 && (rules?.acl?.length ?? 0) === 0);
}

/** The stats listener a section makes, checked: errors go to `problems`, each at its line. */
export function statsListener(proxy: CheckedProxy, part: ProxyPart, defaults: ProxyPart, problems: ConfigError[]): StatsListenerConfig | undefined {
  const before = problems.length;
  const context = contextOf(proxy.path, proxy.seg.doc);
  const fail = (path: (string | number)[], detail: string) =>
    problems.push(new ConfigError(locate(proxy.seg, [...proxy.path, ...path], true), context, detail));
  const mode = part.mode ?? defaults.mode;
  if (mode !== "http") fail(part.mode !== undefined ? ["mode"] : [], `a stats listener needs mode http (this section is in ${mode ?? "tcp"} mode)`);
  if (part.servers !== undefined) fail(["servers"], "'server' in a section that serves the stats page is not supported yet (give the stats page a section of its own: listen stats, bind, stats enable)");
  if (part.defaultBackend !== undefined) fail(["default_backend"], "'default_backend' in a section that serves the stats page is not supported yet (give the stats page a section of its own)");
  let metrics: MetricsRoute | undefined;
  for (const [keyword, lines] of Object.entries(part.ruleLines ?? {})) {
    // `acl` lines name conditions for `stats admin` (compiled below).
    if (keyword === "acl") continue;
    (lines ?? []).forEach((words, i) => {
      const route = keyword === "http-request" ? metricsRoute(words) : undefined;
      if (typeof route === "object" && metrics === undefined) metrics = route;
      else if (typeof route === "object") fail([keyword, i], "a second prometheus-exporter line (a stats listener has one)");
      else fail([keyword, i], typeof route === "string" ? route : `'${keyword}' on a stats listener is not supported yet (its only rule line may be 'http-request use-service prometheus-exporter')`);
    });
  }
  const binds = (part.binds ?? []).map((b) => {
    if (b.unixPath !== undefined) fail(["bind", ...b.path.slice(1)], "a stats listener's bind takes an IP address and port (a UNIX socket is not supported there: the runtimes' HTTP servers listen on TCP only)");
    if (b.ssl !== undefined || b.proto !== undefined) fail(["bind", ...b.path.slice(1)], "a stats listener's bind takes an address only (ssl and proto are not supported there yet)");
    return { host: b.host, port: b.port, origin: locate(proxy.seg, [...proxy.path, ...b.path]) };
  });
  if (binds.length === 0) fail([], "no bind (a stats listener needs an address to listen on)");
  if (problems.length > before) return undefined;
  const config = pageSettings(proxy, part, binds, fail);
  const monitorUri = part.monitorUri ?? defaults.monitorUri;
  if (monitorUri !== undefined) config.monitorUri = monitorUri;
  if (metrics !== undefined) config.metrics = metrics;
  if (problems.length > before) return undefined;
  return config;
}

/**
 * The page a section that routes, or a backend, serves from inside the proxy
 * (HAProxy's stats applet): the same settings as a stats listener's, its
 * `stats http-request` lines kept for config/rules.ts to compile with the
 * section's ACLs and userlists. Undefined, with the problems reported, when
 * the section has no `stats` line or a wrong one.
 */
export function statsPage(proxy: CheckedProxy, part: ProxyPart, defaults: ProxyPart, problems: ConfigError[], warnings: ConfigError[]): StatsListenerConfig | undefined {
  const stats = part.stats;
  if (stats === undefined) return undefined;
  const before = problems.length;
  const context = contextOf(proxy.path, proxy.seg.doc);
  const at = (path: (string | number)[]) => locate(proxy.seg, [...proxy.path, ...path], true);
  const fail = (path: (string | number)[], detail: string) => problems.push(new ConfigError(at(path), context, detail));
  if ((part.mode ?? defaults.mode ?? BUILTIN.mode) !== "http") {
    // HAProxy ignores it with a warning, in these words.
    warnings.push(new ConfigError(at(["stats"]), context, `'stats' statement ignored for ${proxy.kind} '${proxy.name}' as it requires HTTP mode`));
    return undefined;
  }
  const config = pageSettings(proxy, part, [], fail);
  if (stats.auth !== undefined && stats.httpRequest !== undefined) {
    // HAProxy refuses the pair in the same words.
    fail(["stats"], "stats 'auth'/'realm' and 'http-request' can't be used at the same time");
  }
  if (stats.httpRequest !== undefined) {
    config.requestRules = stats.httpRequest.map((line) => ({ words: line.words, origin: locate(proxy.seg, [...proxy.path, "stats", ...line.at]) }));
  }
  return problems.length > before ? undefined : config;
}

/** What both kinds of stats page read from the `stats` lines: the uri, auth, refresh, scope, what the page shows, `stats admin`. */
function pageSettings(proxy: CheckedProxy, part: ProxyPart, binds: StatsListenerConfig["binds"], fail: (path: (string | number)[], detail: string) => void): StatsListenerConfig {
  const stats = part.stats;
  const auth = (stats?.auth ?? []).map((a) => ({ user: a.slice(0, a.indexOf(":")), password: a.slice(a.indexOf(":") + 1) }));
  const config: StatsListenerConfig = {
    name: proxy.name,
    binds,
    auth,
    realm: stats?.realm ?? STATS_DEFAULTS.realm,
    showLegends: stats?.showLegends === true,
    hideVersion: stats?.hideVersion === true,
    origin: proxy.origin,
  };
  if (stats !== undefined) config.uri = stats.uri ?? STATS_DEFAULTS.uri;
  if (stats?.refresh !== undefined) config.refresh = stats.refresh;
  // HAProxy: `stats scope .` is the section's own name.
  if (stats?.scope !== undefined) config.scope = stats.scope.map((name) => (name === "." ? proxy.name : name));
  if (stats?.showNode !== undefined) config.showNode = stats.showNode;
  if (stats?.showDesc !== undefined) config.showDesc = stats.showDesc;
  if (stats?.showModules === true) config.showModules = true;
  // A stats listener's `acl` lines serve `stats admin` alone; a routing section's serve its rules too (config/rules.ts checks them).
  const acls = stats?.admin === undefined && binds.length === 0
    ? new Map()
    : namedAcls((part.ruleLines?.acl ?? []).map((words, i) => ({ words, fail: (detail: string) => fail(["acl", i], detail) })));
  if (stats?.admin !== undefined) {
    const conditions = stats.admin.map((line) => {
      const when = compileStatsAdmin(line.words, acls, locate(proxy.seg, [...proxy.path, "stats", ...line.at]));
      if (typeof when === "string") fail(["stats", ...line.at], when);
      return when;
    });
    // Several lines: any that holds allows (HAProxy evaluates them in turn).
    const compiled = conditions.filter((c) => typeof c !== "string");
    if (compiled.length === conditions.length) config.admin = compiled.length === 1 ? compiled[0]! : (t) => compiled.some((c) => c(t));
  }
  return config;
}
