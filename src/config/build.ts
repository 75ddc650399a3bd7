// Assembles checked segments into the Config: applies `defaults` in order,
// then built-in values, and splits each `listen` into a frontend and a backend.
//
// Logging: the global targets are the global sections' `log` lines (every
// file, in order), stderr when there are none. A frontend's are its
// defaults' `log` lines then its own (HAProxy adds them up), `global`
// replaced by the global targets. When no section anywhere has a `log` line,
// every frontend logs to stderr: sluice logs there unless told otherwise.

import { applyFilters } from "./filters-build.ts";
import { applyErrorSteps, type ErrorAnswers } from "./error-answers.ts";
import type { HttpErrorsPages } from "./schema-http-errors.ts";
import type { ConfigError } from "./errors.ts";
import { resolveHealthCheck, serverChecks } from "./health-check.ts";
import { locate } from "./issues.ts";
import type { LogEntry, ProxyPart } from "./model.ts";
import { proxyLogging } from "./schema-syslog.ts";
import { targetKey } from "../log/target.ts";
import type { ProxyKind } from "./raw.ts";
import { TCP_RETRY_ON } from "./schema-retry.ts";
import type { CheckedProxy, CheckedSegment } from "./sections.ts";
import type { BindSslPart, ServerSslPart } from "./schema-tls.ts";
import type { BindPart } from "./schema-parts.ts";
import { RULE_KEYWORDS, type RuleLinesPart } from "./schema-rules.ts";
import type { StatsListenerConfig } from "./schema-stats.ts";
import { isStatsSection, statsListener, statsPage } from "./stats-listener.ts";
import { defaultFullconn } from "./schema-fullconn.ts";
import {
  type BackendConfig,
  type BindConfig,
  type BindTls,
  BUILTIN,
  type FrontendConfig,
  type GlobalConfig,
  type LogTarget,
  type Origin,
  type ServerConfig,
  type ServerTls,
  type TlsVersion,
  type RetryCondition,
  type RuleLines,
  type Timeouts,
} from "./types.ts";

/** Every proxy name as written, including those whose sections have errors. */
export interface NamedProxy {
  kind: ProxyKind;
  name: string;
  origin: Origin;
}

export interface DraftFrontend {
  config: FrontendConfig;
  named: NamedProxy;
  /** Where `default_backend` was written (the section header for a listen's own). */
  defaultBackendAt: Origin;
  /** Where its log format was chosen (its own or its defaults' `log-format` / `option tcplog|httplog` line). */
  logChoiceAt: Origin;
}

export interface DraftBackend {
  config: BackendConfig;
  named: NamedProxy;
  /** Where each server's `proto` was written (its server line when it was not), by index. */
  protoAt: Origin[];
  /** Where `balance` was written (the section header when it came from defaults or nowhere). */
  balanceAt: Origin;
  /** Where the section's own `hash-type` was written; undefined when it has none. */
  hashTypeAt?: Origin;
  /** Health-check combinations that make no sense (issue 14, checks), for validate.ts. */
  checkProblems: ConfigError[];
  /** Where a `cookie` line a tcp backend ignores was written (its own, else the section header), for the warning. */
  cookieIgnoredAt?: Origin;
  /** The section's own `retry-on` when it names more than a tcp stream can meet, and where (for the warning in mode tcp). */
  retryOnIgnored?: { conditions: RetryCondition[]; at: Origin };
}

/** The Config plus what the cross-checks need to point at the right place. */
export interface Draft {
  global: GlobalConfig;
  named: NamedProxy[];
  frontends: DraftFrontend[];
  backends: DraftBackend[];
  /** Sections that serve the stats page or the metrics (issue 16) instead of traffic, and what is wrong with them. */
  stats: StatsListenerConfig[];
  statsProblems: ConfigError[];
  /** What HAProxy only warns about there: `stats` in a section that is not in mode http (ignored). */
  statsWarnings: ConfigError[];
}

const NO_DEFAULTS: ProxyPart = { timeouts: {} };

/** `httpErrors`: every file's http-errors sections by name, for the proxies' `errorfiles` (error-answers.ts). */
export function buildDraft(segments: CheckedSegment[], httpErrors: Readonly<Record<string, HttpErrorsPages>> = {}): Draft {
  const global: GlobalConfig = { ...BUILTIN.global, logTargets: [] };
  for (const seg of segments) {
    const { logs, logTag, logSendHostname, sslDefaultBind, sslDefaultServer, statsSockets, environment, ...settings } = seg.global ?? {};
    Object.assign(global, settings);
    if (environment) global.environment = { ...global.environment, ...environment };
    if (logs) global.logTargets.push(...logs);
    if (logTag !== undefined) global.logTag = logTag;
    if (logSendHostname !== undefined) global.logSendHostname = logSendHostname;
    if (statsSockets) (global.statsSockets ??= []).push(...statsSockets);
    if (sslDefaultBind) global.sslDefaultBind = { ...global.sslDefaultBind, ...sslDefaultBind };
    if (sslDefaultServer) global.sslDefaultServer = { ...global.sslDefaultServer, ...sslDefaultServer };
  }
  const anyLog = global.logTargets.length > 0 ||
    segments.some((seg) =>
      (seg.defaults?.logs?.length ?? 0) > 0 ||
      seg.proxies.some((p) => (p.part?.logs?.length ?? 0) > 0)
    );
  global.logTargets = unique(global.logTargets);
  if (global.logTargets.length === 0) global.logTargets.push({ ...BUILTIN.logTarget });
  // HAProxy: log-send-hostname turns the default format (local) into rfc3164, on every line.
  const framed = (t: LogTarget): LogTarget =>
    global.logSendHostname !== undefined && t.formatDefaulted ? { ...t, format: "rfc3164" } : t;
  global.logTargets = global.logTargets.map(framed);
  const expand = (entries: LogEntry[]): LogTarget[] =>
    unique(entries.flatMap((e) => (e === "global" ? global.logTargets : e === "none" ? [] : [framed(e)])));
  const logTargets = (entries: LogEntry[]): LogTarget[] => {
    // `no log` drops every target before it (from defaults or the same section).
    const cut = entries.lastIndexOf("none");
    if (cut >= 0) return expand(entries.slice(cut + 1));
    return anyLog ? expand(entries) : [{ ...BUILTIN.logTarget }];
  };

  const draft: Draft = { global, named: [], frontends: [], backends: [], stats: [], statsProblems: [], statsWarnings: [] };
  let defaults = NO_DEFAULTS;
  const errorAnswerWarnings: ConfigError[] = [];
  for (const seg of segments) {
    // A broken `defaults` still replaces the previous one, as written.
    if (seg.defaults !== undefined) defaults = seg.defaults ?? NO_DEFAULTS;
    for (const proxy of seg.proxies) {
      const named: NamedProxy = { kind: proxy.kind, name: proxy.name, origin: proxy.origin };
      draft.named.push(named);
      const part = proxy.part;
      if (!part) continue;
      if (proxy.kind !== "backend" && isStatsSection(part)) {
        const listener = statsListener(proxy, part, defaults, draft.statsProblems);
        if (listener !== undefined) draft.stats.push(listener);
        continue;
      }
      // Its defaults' error answers, then its own, in the order written; a listen's two halves share them.
      const report = { errors: draft.statsProblems, warnings: errorAnswerWarnings };
      const errorAnswers = applyErrorSteps([...(defaults.errorSteps ?? []), ...(part.errorSteps ?? [])], httpErrors, report);
      // Stats in a section that routes, or in a backend: HAProxy's stats applet inside the proxy (issue 19).
      const page = statsPage(proxy, part, defaults, draft.statsProblems, draft.statsWarnings);
      if (proxy.kind !== "backend") {
        const f = frontend(
            proxy,
            named,
            part,
            defaults,
            global,
            logTargets([
              ...(defaults.logs ?? []),
              ...(part.logs ?? []),
            ]),
            errorAnswers,
          );
        // Compression and filters (issue 19, compress): their problems join the draft's list of section problems.
        applyFilters(f.config, proxy, part, defaults, true, draft.statsProblems, global.compLevel);
        draft.frontends.push(f);
      }
      if (proxy.kind !== "frontend") {
        const drafted = backend(proxy, named, part, defaults, global, errorAnswers);
        applyFilters(drafted.config, proxy, part, defaults, proxy.kind === "backend", draft.statsProblems, global.compLevel);
        // Where its servers' messages go (HAProxy's send_log on the backend): its defaults' and own `log` lines, when it has some.
        if (part.logs !== undefined) drafted.config.logTargets = logTargets([...(defaults.logs ?? []), ...part.logs]);
        draft.backends.push(drafted);
      }
      // A listen is one proxy: its page is served once, at its frontend half's request stage.
      if (page !== undefined) (proxy.kind === "backend" ? draft.backends : draft.frontends).at(-1)!.config.statsPage = page;
    }
  }
  defaultFullconn(draft.frontends.map((f) => f.config), draft.backends.map((b) => b.config));
  // A defaults line is applied in every proxy after it: its warning is given once.
  const seen = new Set<string>();
  for (const w of errorAnswerWarnings) if (!seen.has(w.message) && seen.add(w.message)) draft.statsWarnings.push(w);
  return draft;
}

type VersionsAndCiphers = { minVersion?: TlsVersion; maxVersion?: TlsVersion; ciphers?: string; ciphersuites?: string };

/** Versions and ciphers as written, else the `ssl-default-*` ones, set on `tls` where either says. */
function versionsAndCiphers(tls: VersionsAndCiphers, written: VersionsAndCiphers, d: VersionsAndCiphers): void {
  for (const key of ["minVersion", "maxVersion", "ciphers", "ciphersuites"] as const) {
    const value = written[key] ?? d[key];
    if (value !== undefined) (tls as Record<string, unknown>)[key] = value;
  }
}

/** A bind's own TLS settings, else `ssl-default-bind-*`, else the built-in ones. */
function bindTls(written: BindSslPart, loaded: BindTls, global: GlobalConfig): BindTls {
  const d = global.sslDefaultBind ?? {};
  const tls: BindTls = { ...loaded, minVersion: BUILTIN.tls.minVersion };
  versionsAndCiphers(tls, written, d);
  // HAProxy's `tls-tickets` (a bind undoing the global no-tls-tickets) is not accepted, so either word turns them off.
  tls.tlsTickets = !(written.noTlsTickets || d.noTlsTickets === true);
  if (written.preferClientCiphers === true || d.preferClientCiphers === true) tls.preferClientCiphers = true;
  if (global.sslLifetimeSec !== undefined) tls.sessionLifetimeSec = global.sslLifetimeSec;
  return tls;
}

/** A server's own TLS settings, else `ssl-default-server-*` and `ssl-server-verify`, else the built-in ones. */
function serverTls(written: ServerSslPart, loaded: ServerTls, global: GlobalConfig): ServerTls {
  const d = global.sslDefaultServer ?? {};
  const tls: ServerTls = {
    ...loaded,
    verify: written.verify ?? d.verify ?? BUILTIN.tls.serverVerify,
    reuse: written.reuse ?? true,
    tickets: written.tickets ?? d.noTlsTickets !== true,
  };
  versionsAndCiphers(tls, written, d);
  return tls;
}

function timeouts(defaults: ProxyPart, part: ProxyPart): Timeouts {
  return { ...BUILTIN.timeouts, ...defaults.timeouts, ...part.timeouts };
}

/** A target listed twice (say `log global` in defaults and in the frontend) gets each line once. */
function unique(targets: LogTarget[]): LogTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = targetKey(t);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).map((t) => ({ ...t }));
}

function frontend(
  proxy: CheckedProxy,
  named: NamedProxy,
  part: ProxyPart,
  defaults: ProxyPart,
  global: GlobalConfig,
  logTargets: LogTarget[],
  errorAnswers: ErrorAnswers,
): DraftFrontend {
  const config: FrontendConfig = {
    name: proxy.name,
    mode: part.mode ?? defaults.mode ?? BUILTIN.mode,
    binds: (part.binds ?? []).map((b) => {
      const bind: BindConfig = { host: b.host, port: b.port, origin: locate(proxy.seg, [...proxy.path, ...b.path]) };
      if (b.proto !== undefined) bind.proto = b.proto;
      if (b.acceptProxy === true) bind.acceptProxy = true;
      if (b.name !== undefined) bind.name = b.name;
      if (b.ipv6Only !== undefined && b.host.includes(":")) bind.ipv6Only = b.ipv6Only;
      if (b.ssl !== undefined && b.tls !== undefined) bind.ssl = bindTls(b.ssl, b.tls, global);
      if (b.unixPath !== undefined) bind.unix = unixSocket(b.unixPath, b, global.unixBind);
      return bind;
    }),
    maxconn: part.maxconn ?? defaults.maxconn ?? global.maxconn,
    timeouts: timeouts(defaults, part),
    logTargets,
    ...proxyLogging(part, defaults, "frontend"),
    httpMode: part.httpMode ?? defaults.httpMode ?? BUILTIN.httpMode,
    errorFiles: errorAnswers.pages,
    ...(Object.keys(errorAnswers.formats).length === 0 ? {} : { errorFormats: errorAnswers.formats }),
    maxSessionSrvConns: part.maxSessionSrvConns ?? defaults.maxSessionSrvConns ??
      BUILTIN.maxSessionSrvConns,
    origin: proxy.origin,
  };
  if (part.tcpKeepAlive?.client ?? defaults.tcpKeepAlive?.client) config.clientTcpKeepAlive = true;
  if (part.contstats ?? defaults.contstats) config.contstats = true;
  const rate = part.rateLimitSessions ?? defaults.rateLimitSessions;
  if (rate !== undefined && rate > 0) config.rateLimitSessions = rate;
  if (part.caseAdjustClient ?? defaults.caseAdjustClient) {
    config.caseAdjustClient = true;
    if (global.caseAdjust !== undefined) config.caseAdjustNames = global.caseAdjust;
  }
  if (part.bufferRequest ?? defaults.bufferRequest) config.bufferRequest = true;
  // A frontend's table; a listen's is on its backend half (one table per name).
  if (proxy.kind === "frontend" && part.stickTable !== undefined) config.stickTable = { name: proxy.name, ...part.stickTable };
  // A listen is its own default backend unless it names another.
  const defaultBackend = part.defaultBackend ?? (proxy.kind === "listen" ? proxy.name : undefined);
  if (defaultBackend !== undefined) config.defaultBackend = defaultBackend;
  // The section's own choice of log format replaces its defaults' whole (each part holds at most one: log-choice.ts).
  const chosen = part.log !== undefined || part.logFormat !== undefined ? part : defaults;
  if (chosen.log !== undefined) config.log = chosen.log;
  if (chosen.logFormat !== undefined) config.logFormat = chosen.logFormat;
  const uniqueIdFormat = part.uniqueIdFormat ?? defaults.uniqueIdFormat;
  if (uniqueIdFormat !== undefined) {
    const header = part.uniqueIdHeader ?? defaults.uniqueIdHeader;
    config.uniqueId = header === undefined ? { format: uniqueIdFormat } : { format: uniqueIdFormat, header };
  }
  const forwardFor = part.forwardFor ?? defaults.forwardFor;
  if (forwardFor !== undefined) config.forwardFor = { ...forwardFor };
  const originalTo = part.originalTo ?? defaults.originalTo;
  if (originalTo !== undefined) config.originalTo = { ...originalTo };
  if (part.idleCloseOnResponse ?? defaults.idleCloseOnResponse) config.idleCloseOnResponse = true;
  const monitorUri = part.monitorUri ?? defaults.monitorUri;
  if (monitorUri !== undefined) config.monitorUri = monitorUri;
  if (part.description !== undefined) config.description = part.description;
  // A listen's rules are all its frontend's: HAProxy runs one proxy's rules once.
  if (part.ruleLines !== undefined) config.ruleLines = ruleLines(proxy, part.ruleLines);
  return {
    config,
    named,
    logChoiceAt: chosen.logChoiceAt ?? proxy.origin,
    defaultBackendAt: part.defaultBackend !== undefined
      ? locate(proxy.seg, [...proxy.path, "default_backend"])
      : proxy.origin,
  };
}

function backend(
  proxy: CheckedProxy,
  named: NamedProxy,
  part: ProxyPart,
  defaults: ProxyPart,
  global: GlobalConfig,
  errorAnswers: ErrorAnswers,
): DraftBackend {
  const servers = part.servers ?? [];
  const mode = part.mode ?? defaults.mode ?? BUILTIN.mode;
  const checks = resolveHealthCheck(proxy, part, defaults, mode);
  const redispatch = part.redispatch ?? defaults.redispatch ?? 0;
  // `source` (the section's, else its defaults'): 0.0.0.0 without a port is the system's choice, as without it.
  const written = part.source ?? defaults.source;
  const source = written !== undefined && (written.port !== 0 || (written.host !== "0.0.0.0" && written.host !== "::")) ? written : undefined;
  const config: BackendConfig = {
    name: proxy.name,
    mode,
    balance: part.balance ?? defaults.balance ?? BUILTIN.balance,
    servers: servers.map((s) => {
      const { path, ssl: sslWritten, tls, checks: _checks, ...server } = s;
      const config: ServerConfig = { ...server, ...serverChecks(s), origin: locate(proxy.seg, [...proxy.path, ...path], true) };
      const ssl = tls === undefined || sslWritten === undefined ? undefined : serverTls(sslWritten, tls, global);
      if (ssl !== undefined && sslWritten?.traffic === true) config.ssl = ssl;
      else if (ssl !== undefined && config.check?.ssl === true) config.checkTls = ssl;
      if (source !== undefined) config.source = { ...source };
      return config;
    }),
    retries: part.retries ?? defaults.retries ?? BUILTIN.retries,
    // HAProxy ignores retry-on outside mode http: a tcp stream knows only connection failures.
    retryOn: mode === "tcp" ? [...TCP_RETRY_ON] : [...(part.retryOn ?? defaults.retryOn ?? BUILTIN.retryOn)],
    timeouts: timeouts(defaults, part),
    httpMode: part.httpMode ?? defaults.httpMode ?? BUILTIN.httpMode,
    errorFiles: errorAnswers.pages,
    ...(Object.keys(errorAnswers.formats).length === 0 ? {} : { errorFormats: errorAnswers.formats }),
    redispatch: redispatch !== 0,
    redispatchInterval: redispatch === 0 ? BUILTIN.redispatchInterval : redispatch,
    httpReuse: part.httpReuse ?? defaults.httpReuse ?? BUILTIN.httpReuse,
    healthCheck: checks.healthCheck,
    ...proxyLogging(part, defaults, "backend"),
    origin: proxy.origin,
  };
  if (part.description !== undefined) config.description = part.description;
  const loadServerState = part.loadServerState ?? defaults.loadServerState;
  if (loadServerState !== undefined) config.loadServerState = loadServerState;
  if (part.serverStateFile !== undefined) config.serverStateFile = part.serverStateFile;

  const forwardFor = part.forwardFor ?? defaults.forwardFor;
  if (forwardFor !== undefined) config.forwardFor = { ...forwardFor };
  const originalTo = part.originalTo ?? defaults.originalTo;
  if (originalTo !== undefined) config.originalTo = { ...originalTo };
  const forwarded = part.forwarded ?? defaults.forwarded;
  if (forwarded !== undefined) config.forwarded = { ...forwarded };
  const hashType = part.hashType ?? defaults.hashType;
  if (hashType !== undefined) config.hashType = hashType;
  const balanceFactor = part.hashBalanceFactor ?? defaults.hashBalanceFactor;
  if (balanceFactor !== undefined && balanceFactor > 0) config.hashBalanceFactor = balanceFactor;
  if (proxy.kind === "backend" && part.ruleLines !== undefined) config.ruleLines = ruleLines(proxy, part.ruleLines);
  if (part.stickTable !== undefined) config.stickTable = { name: proxy.name, ...part.stickTable };
  if (part.allBackups ?? defaults.allBackups) config.allBackups = true;
  if (part.tcpKeepAlive?.server ?? defaults.tcpKeepAlive?.server) config.serverTcpKeepAlive = true;
  if (part.abortOnClose ?? defaults.abortOnClose) config.abortOnClose = true;
  if (part.bufferRequest ?? defaults.bufferRequest) config.bufferRequest = true;
  if (part.preferLastServer ?? defaults.preferLastServer) config.preferLastServer = true;
  if (part.pretendKeepAlive ?? defaults.pretendKeepAlive) config.pretendKeepAlive = true;
  if (part.checkCache ?? defaults.checkCache) config.checkCache = true;
  if (part.caseAdjustServer ?? defaults.caseAdjustServer) {
    config.caseAdjustServer = true;
    if (global.caseAdjust !== undefined) config.caseAdjustNames = global.caseAdjust;
  }
  const fullconn = part.fullconn ?? defaults.fullconn;
  if (fullconn !== undefined) config.fullconn = fullconn;
  // Persistence (issue 15, cookie): the section's own line, else its defaults'; HTTP only.
  const cookie = part.cookie ?? defaults.cookie;
  if (cookie !== undefined && mode === "http") config.cookie = { ...cookie, domains: [...cookie.domains], attrs: [...cookie.attrs] };
  const protoAt = servers.map((s, i) =>
    s.proto === "h1"
      ? config.servers[i]!.origin
      : locate(proxy.seg, [...proxy.path, ...s.path, "proto"])
  );
  const draft: DraftBackend = {
    named,
    config,
    protoAt,
    balanceAt: part.balance !== undefined ? locate(proxy.seg, [...proxy.path, "balance"]) : proxy.origin,
    checkProblems: checks.problems,
  };
  if (part.hashType !== undefined) draft.hashTypeAt = locate(proxy.seg, [...proxy.path, "hash-type"]);
  if (cookie !== undefined && mode === "tcp") {
    draft.cookieIgnoredAt = part.cookie !== undefined ? locate(proxy.seg, [...proxy.path, "cookie"]) : proxy.origin;
  }
  const ignored = part.retryOn?.filter((c) => !TCP_RETRY_ON.includes(c));
  if (mode === "tcp" && ignored !== undefined && ignored.length > 0) {
    draft.retryOnIgnored = { conditions: ignored, at: locate(proxy.seg, [...proxy.path, "retry-on"]) };
  }
  return draft;
}

/** The section's rule lines with where each was written. */
function ruleLines(proxy: CheckedProxy, part: RuleLinesPart): RuleLines {
  const lines = Object.fromEntries(RULE_KEYWORDS.map((k) => [k, []])) as unknown as RuleLines;
  for (const k of RULE_KEYWORDS) {
    const written = part[k];
    if (written === undefined) continue;
    written.forEach((words, i) => lines[k].push({ words, origin: locate(proxy.seg, [...proxy.path, k, i]) }));
  }
  return lines;
}

/** A UNIX socket bind: the path behind unix-bind's prefix, the bind's mode and owner over unix-bind's. */
function unixSocket(path: string, b: BindPart, defaults: GlobalConfig["unixBind"]): NonNullable<BindConfig["unix"]> {
  const unix: NonNullable<BindConfig["unix"]> = { path: `${defaults?.prefix ?? ""}${path}` };
  const mode = b.fileMode ?? defaults?.mode;
  const uid = b.uid ?? defaults?.uid;
  const gid = b.gid ?? defaults?.gid;
  if (mode !== undefined) unix.mode = mode;
  if (uid !== undefined) unix.uid = uid;
  if (gid !== undefined) unix.gid = gid;
  return unix;
}
