// The valibot schemas: the one truth about which keyword goes in which
// section and what its value must be. They read raw sections (raw.ts) and
// produce typed parts with times in ms and addresses split; build.ts applies
// defaults and assembles the Config. Every message says what was expected.
// Value schemas live in schema-values.ts, timeouts/binds/servers in
// schema-parts.ts, option/log/log-format/errorfile in schema-http.ts.

import { type HttpErrorPart, HttpErrorSchema } from "./schema-http-error.ts";
import { type ErrorFilesImport, ErrorFilesImportSchema } from "./schema-errorfiles.ts";
import type { ErrorAnswerStep } from "./error-answers.ts";
import * as v from "valibot";
import type { SourcePos } from "./errors.ts";
import { keywords, type MappingText } from "./schema-keywords.ts";
import { keywordRefusal } from "./cfg-sections.ts";
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
  type ErrorFilePart,
  ErrorFilesSchema,
  GlobalLogsSchema,
  type LogEntry,
  LogFormatSchema,
  UniqueIdFormatSchema,
  UniqueIdHeaderSchema,
  logsSchema,
  type OptionsPart,
  optionsSchema,
} from "./schema-http.ts";
import {
  BalanceSchema,
  describe,
  HashBalanceFactorSchema,
  HashTypeSchema,
  RateLimitSchema,
  duration,
  HttpReuseSchema,
  integer,
  isMapping,
  ModeSchema,
  nameSchema,
} from "./schema-values.ts";
import {
  CiphersSchema,
  CiphersuitesSchema,
  DefaultBindOptionsSchema,
  DefaultServerOptionsSchema,
  ServerCiphersSchema,
  ServerCiphersuitesSchema,
  SslCacheSizeSchema,
  SslLifetimeSchema,
  SslServerVerifySchema,
} from "./schema-tls.ts";
import { type CheckOption, type HttpCheckRule, HttpCheckSchema, TcpCheckSchema } from "./schema-check.ts";
import { RetryOnSchema } from "./schema-retry.ts";
import { type ErrorLocPart, errorLocSchema, type TcpKeepAlive } from "./schema-corpus.ts";
import { type ControlPart, GlobalStatsSchema } from "./schema-control.ts";
import { MASTER_GLOBAL, masterConflict, type MasterPart, masterPart } from "./schema-master.ts";
import { PEERS_GLOBAL } from "./schema-peers.ts";
import { PROCESS_GLOBAL, processConflict, type ProcessPart, processPart } from "./schema-process.ts";
import { PATHS_GLOBAL } from "./schema-paths.ts";
import { EDGE_GLOBAL, type EdgePart, edgePart } from "./schema-edge.ts";
import { TUNE_GLOBAL, type TunePart, tunePart } from "./schema-tune.ts";
import { ENV_GLOBAL, type EnvPart, envPart } from "./schema-env.ts";
import { EXTCHECK_GLOBAL, EXTCHECK_PROXY, type ExtCheckGlobalPart, extCheckGlobalPart, type ExternalCheckPart } from "./schema-extcheck.ts";
import { FULLCONN } from "./schema-fullconn.ts";
import { type SourceAddress, SourceSchema } from "./schema-proxymisc.ts";
import { CookieSchema } from "./schema-cookie.ts";
import { type StickTableShape, StickTableSchema } from "./schema-stick.ts";
import { type StatsPart, StatsSchema } from "./schema-stats.ts";
import { MonitorUriSchema } from "./schema-monitor.ts";
import { COMPRESSION_KEYWORD, FILTER_KEYWORDS, filtersPart, type FiltersPart } from "./schema-filters.ts";
import { DescriptionSchema } from "./schema-describe.ts";
import { type LoadServerState, LoadServerStateSchema, StatePathSchema } from "./schema-server-state.ts";
import { BACKEND_RULES, FRONTEND_RULES, LISTEN_RULES, ruleEntries, type RuleKeyword, ruleLinesOf, type RuleLinesPart } from "./schema-rules.ts";
import type {
  BalanceSettings,
  CookiePersistence,
  HashType,
  Forwarded,
  ForwardFor,
  OriginalTo,
  GlobalConfig,
  HttpConnectionMode,
  HttpReuse,
  LogTarget,
  Mode,
  TcpCheckStep,
  RetryCondition,
} from "./types.ts";

export { nameSchema } from "./schema-values.ts";
export type { BindPart, ServerPart, TimeoutsPart } from "./schema-parts.ts";
export type { ErrorFilePart, LogEntry } from "./schema-http.ts";
import { LogSendHostnameSchema, type LogOptionsPart, logOptionsOf, LogTagSchema } from "./schema-syslog.ts";

const MaxSessionSrvConns = integer("max-session-srv-conns", 0);

/** `errorloc`, `errorloc302`, `errorloc303` (issue 19): in every proxy section and defaults. */
const ERRORLOC = {
  errorloc: v.optional(errorLocSchema("errorloc")),
  errorloc302: v.optional(errorLocSchema("errorloc302")),
  errorloc303: v.optional(errorLocSchema("errorloc303")),
};

// HAProxy's sections: `http-reuse` in defaults, backend and listen;
// `max-session-srv-conns` in defaults, frontend and listen.
const GLOBAL = {
  maxconn: v.optional(integer("maxconn", 1)),
  maxconnrate: v.optional(integer("maxconnrate", 0)),
  maxsessrate: v.optional(integer("maxsessrate", 0)),
  "hard-stop-after": v.optional(duration("hard-stop-after")),
  "tune.bufsize": v.optional(integer("tune.bufsize", 1024, 1048576)),
  "tune.http.maxhdr": v.optional(integer("tune.http.maxhdr", 1, 32767)),
  "tune.h2.be.max-concurrent-streams": v.optional(
    integer("tune.h2.be.max-concurrent-streams", 1, 2 ** 31 - 1),
  ),
  "tune.h2.fe.max-concurrent-streams": v.optional(
    integer("tune.h2.fe.max-concurrent-streams", 1, 2 ** 31 - 1),
  ),
  "tune.h2.header-table-size": v.optional(integer("tune.h2.header-table-size", 0, 65536)),
  "tune.h2.initial-window-size": v.optional(integer("tune.h2.initial-window-size", 1, 2 ** 31 - 1)),
  "tune.h2.fe.glitches-threshold": v.optional(integer("tune.h2.fe.glitches-threshold", 1)),
  "tune.h2.fe.max-control-frames-per-sec": v.optional(integer("tune.h2.fe.max-control-frames-per-sec", 1)),
  "tune.max-checks-per-thread": v.optional(integer("tune.max-checks-per-thread", 0)),
  log: v.optional(GlobalLogsSchema),
  "log-tag": v.optional(LogTagSchema),
  "log-send-hostname": v.optional(LogSendHostnameSchema),
  description: v.optional(DescriptionSchema),
  node: v.optional(DescriptionSchema),
  "server-state-file": v.optional(StatePathSchema),
  "server-state-base": v.optional(StatePathSchema),
  "ssl-default-bind-options": v.optional(DefaultBindOptionsSchema),
  "ssl-default-bind-ciphers": v.optional(CiphersSchema),
  "ssl-default-bind-ciphersuites": v.optional(CiphersuitesSchema),
  "ssl-default-server-options": v.optional(DefaultServerOptionsSchema),
  "ssl-default-server-ciphers": v.optional(ServerCiphersSchema),
  "ssl-default-server-ciphersuites": v.optional(ServerCiphersuitesSchema),
  "ssl-server-verify": v.optional(SslServerVerifySchema),
  "tune.ssl.cachesize": v.optional(SslCacheSizeSchema),
  "tune.ssl.lifetime": v.optional(SslLifetimeSchema),
  "tune.comp.maxlevel": v.optional(v.pipe(integer("tune.comp.maxlevel", 1, 9))),
  stats: v.optional(GlobalStatsSchema),
  ...MASTER_GLOBAL,
  ...PEERS_GLOBAL,
  ...PROCESS_GLOBAL,
  ...PATHS_GLOBAL,
  ...EDGE_GLOBAL,
  ...TUNE_GLOBAL,
  ...ENV_GLOBAL,
  ...EXTCHECK_GLOBAL,
};
const DEFAULTS = {
  ...FULLCONN,
  "rate-limit": v.optional(RateLimitSchema),
  source: v.optional(SourceSchema),
  mode: v.optional(ModeSchema),
  timeout: v.optional(timeoutsSchema("defaults", TIMEOUT_NAMES)),
  retries: v.optional(integer("retries", 0)),
  "retry-on": v.optional(RetryOnSchema),
  maxconn: v.optional(integer("maxconn", 1)),
  balance: v.optional(BalanceSchema),
  "hash-type": v.optional(HashTypeSchema),
  "hash-balance-factor": v.optional(HashBalanceFactorSchema),
  option: v.optional(optionsSchema("defaults")),
  log: v.optional(logsSchema("defaults")),
  "log-tag": v.optional(LogTagSchema),
  "log-format": v.optional(LogFormatSchema),
  "unique-id-format": v.optional(UniqueIdFormatSchema),
  "unique-id-header": v.optional(UniqueIdHeaderSchema),
  errorfile: v.optional(ErrorFilesSchema),
  "http-error": v.optional(HttpErrorSchema),
  errorfiles: v.optional(ErrorFilesImportSchema),
  "monitor-uri": v.optional(MonitorUriSchema),
  ...ERRORLOC,
  "http-reuse": v.optional(HttpReuseSchema),
  "max-session-srv-conns": v.optional(MaxSessionSrvConns),
  // Health checks (issue 14, checks).
  "http-check": v.optional(HttpCheckSchema),
  "tcp-check": v.optional(TcpCheckSchema),
  ...EXTCHECK_PROXY,
  // Persistence (issue 15, cookie).
  cookie: v.optional(CookieSchema),
  "load-server-state-from-file": v.optional(LoadServerStateSchema),
  ...COMPRESSION_KEYWORD,
};
const FRONTEND = {
  "rate-limit": v.optional(RateLimitSchema),
  mode: v.optional(ModeSchema),
  bind: v.optional(BindsSchema),
  default_backend: v.optional(nameSchema("backend")),
  maxconn: v.optional(integer("maxconn", 1)),
  timeout: v.optional(timeoutsSchema("frontend", FRONTEND_TIMEOUTS)),
  option: v.optional(optionsSchema("frontend")),
  log: v.optional(logsSchema("frontend")),
  "log-tag": v.optional(LogTagSchema),
  description: v.optional(DescriptionSchema),
  "log-format": v.optional(LogFormatSchema),
  "unique-id-format": v.optional(UniqueIdFormatSchema),
  "unique-id-header": v.optional(UniqueIdHeaderSchema),
  errorfile: v.optional(ErrorFilesSchema),
  "http-error": v.optional(HttpErrorSchema),
  errorfiles: v.optional(ErrorFilesImportSchema),
  "monitor-uri": v.optional(MonitorUriSchema),
  ...ERRORLOC,
  "max-session-srv-conns": v.optional(MaxSessionSrvConns),
  "stick-table": v.optional(StickTableSchema),
  stats: v.optional(StatsSchema),
  ...FILTER_KEYWORDS,
  ...ruleEntries(FRONTEND_RULES),
};
const BACKEND = {
  ...FULLCONN,
  source: v.optional(SourceSchema),
  mode: v.optional(ModeSchema),
  balance: v.optional(BalanceSchema),
  "hash-type": v.optional(HashTypeSchema),
  "hash-balance-factor": v.optional(HashBalanceFactorSchema),
  servers: v.optional(ServersSchema),
  retries: v.optional(integer("retries", 0)),
  "retry-on": v.optional(RetryOnSchema),
  timeout: v.optional(timeoutsSchema("backend", BACKEND_TIMEOUTS)),
  option: v.optional(optionsSchema("backend")),
  log: v.optional(logsSchema("backend")),
  "log-tag": v.optional(LogTagSchema),
  description: v.optional(DescriptionSchema),
  errorfile: v.optional(ErrorFilesSchema),
  "http-error": v.optional(HttpErrorSchema),
  errorfiles: v.optional(ErrorFilesImportSchema),
  ...ERRORLOC,
  "http-reuse": v.optional(HttpReuseSchema),
  // Health checks (issue 14, checks).
  "http-check": v.optional(HttpCheckSchema),
  "tcp-check": v.optional(TcpCheckSchema),
  ...EXTCHECK_PROXY,
  // Persistence (issue 15, cookie).
  cookie: v.optional(CookieSchema),
  "stick-table": v.optional(StickTableSchema),
  "load-server-state-from-file": v.optional(LoadServerStateSchema),
  "server-state-file": v.optional(StatePathSchema),
  ...FILTER_KEYWORDS,
  stats: v.optional(StatsSchema),
  ...ruleEntries(BACKEND_RULES),
};
const LISTEN = {
  ...FULLCONN,
  "rate-limit": v.optional(RateLimitSchema),
  source: v.optional(SourceSchema),
  mode: v.optional(ModeSchema),
  bind: v.optional(BindsSchema),
  default_backend: v.optional(nameSchema("backend")),
  maxconn: v.optional(integer("maxconn", 1)),
  balance: v.optional(BalanceSchema),
  "hash-type": v.optional(HashTypeSchema),
  "hash-balance-factor": v.optional(HashBalanceFactorSchema),
  servers: v.optional(ServersSchema),
  retries: v.optional(integer("retries", 0)),
  "retry-on": v.optional(RetryOnSchema),
  timeout: v.optional(timeoutsSchema("listen", TIMEOUT_NAMES)),
  option: v.optional(optionsSchema("listen")),
  log: v.optional(logsSchema("listen")),
  "log-tag": v.optional(LogTagSchema),
  description: v.optional(DescriptionSchema),
  "log-format": v.optional(LogFormatSchema),
  "unique-id-format": v.optional(UniqueIdFormatSchema),
  "unique-id-header": v.optional(UniqueIdHeaderSchema),
  errorfile: v.optional(ErrorFilesSchema),
  "http-error": v.optional(HttpErrorSchema),
  errorfiles: v.optional(ErrorFilesImportSchema),
  "monitor-uri": v.optional(MonitorUriSchema),
  ...ERRORLOC,
  "http-reuse": v.optional(HttpReuseSchema),
  "max-session-srv-conns": v.optional(MaxSessionSrvConns),
  // Health checks (issue 14, checks).
  "http-check": v.optional(HttpCheckSchema),
  "tcp-check": v.optional(TcpCheckSchema),
  ...EXTCHECK_PROXY,
  // Persistence (issue 15, cookie).
  cookie: v.optional(CookieSchema),
  "stick-table": v.optional(StickTableSchema),
  stats: v.optional(StatsSchema),
  "load-server-state-from-file": v.optional(LoadServerStateSchema),
  "server-state-file": v.optional(StatePathSchema),
  ...FILTER_KEYWORDS,
  ...ruleEntries(LISTEN_RULES),
};

const KNOWN_KEYWORDS = new Set(
  [GLOBAL, DEFAULTS, FRONTEND, BACKEND, LISTEN].flatMap((entries) => Object.keys(entries)),
);

/** haproxy.cfg writes one `server` per line; the raw key is `servers`. */
const SPELLING: Record<string, string> = { servers: "server" };

/** Keywords HAProxy allows in a section that sluice does not implement there yet. */
const NOT_YET: Partial<Record<SectionName, Record<string, string>>> = {};

function sectionText(section: SectionName, entries: v.ObjectEntries): MappingText {
  return {
    expected: `a mapping of ${section} keywords`,
    unknown: (key) =>
      NOT_YET[section]?.[key] ?? keywordRefusal(key) ??
        (KNOWN_KEYWORDS.has(key)
          ? `'${SPELLING[key] ?? key}' is not allowed in a ${section} section`
          : `unknown keyword '${key}' (expected one of: ${Object.keys(entries).join(", ")})`),
  };
}

/** What any proxy section (or `defaults`) sets; unset fields fall back later. */
export interface ProxyPart extends FiltersPart {
  mode?: Mode;
  binds?: BindPart[];
  defaultBackend?: string;
  maxconn?: number;
  timeouts: TimeoutsPart;
  log?: "tcp" | "http" | "clf";
  balance?: BalanceSettings;
  hashType?: HashType;
  /** `hash-balance-factor` (0: none). */
  hashBalanceFactor?: number;
  /** `rate-limit sessions N` (0: none). */
  rateLimitSessions?: number;
  allBackups?: true;
  idleCloseOnResponse?: true;
  servers?: ServerPart[];
  retries?: number;
  retryOn?: RetryCondition[];
  forwardFor?: ForwardFor;
  originalTo?: OriginalTo;
  forwarded?: Forwarded;
  httpMode?: HttpConnectionMode;
  /** `option redispatch [interval]`: the interval (0: off, as HAProxy's `option redispatch 0`). */
  redispatch?: number;
  /** `log` lines in order; file paths are joined to the config file's directory by sections.ts. */
  logs?: LogEntry[];
  /** `log-tag` and the logging options (schema-syslog.ts). */
  logTag?: string;
  /** `description`: shown beside the proxy on the stats page. */
  description?: string;
  /** `load-server-state-from-file` and `server-state-file` (schema-server-state.ts). */
  loadServerState?: LoadServerState;
  serverStateFile?: string;
  logOptions?: LogOptionsPart;
  logFormat?: string;
  /** Where the section's log format was chosen (its last `log-format` or `option tcplog|httplog`: log-choice.ts). */
  logChoiceAt?: SourcePos;
  /** `errorfile` lines as written... */
  errorFiles?: ErrorFilePart[];
  uniqueIdFormat?: string;
  uniqueIdHeader?: string;
  /** `http-error` lines: their pages are built once the files are read (sections.ts). */
  httpErrors?: HttpErrorPart[];
  /** `errorloc`, `errorloc302`, `errorloc303` lines. */
  errorLocs?: ErrorLocPart[];
  /** `errorfiles <name> [<code>...]` lines. */
  errorFilesImports?: ErrorFilesImport[];
  /** All of the above in the order written, files read (sections.ts); build.ts applies them after the defaults' (error-answers.ts). */
  errorSteps?: ErrorAnswerStep[];
  httpReuse?: HttpReuse;
  maxSessionSrvConns?: number;
  // Health checks (issue 14, checks).
  healthCheck?: CheckOption;
  httpChecks?: HttpCheckRule[];
  tcpChecks?: TcpCheckStep[];
  /** `external-check command|path` (schema-extcheck.ts). */
  externalCheck?: ExternalCheckPart;
  /** Rule lines (issue 15), compiled by rules.ts once the configuration is read. */
  ruleLines?: RuleLinesPart;
  /** `cookie ...` (issue 15, cookie). */
  cookie?: CookiePersistence;
  /** `stick-table ...` (issue 15): its proxy names it. */
  stickTable?: StickTableShape;
  /** `stats ...` (issue 16): the section is a stats listener (stats-listener.ts). */
  stats?: StatsPart;
  /** `monitor-uri URI` (schema-monitor.ts). */
  monitorUri?: string;
  /** `option tcpka`/`clitcpka`/`srvtcpka` (issue 19). */
  tcpKeepAlive?: TcpKeepAlive;
  /** `option abortonclose` (issue 19). */
  abortOnClose?: boolean;
  /** `source ADDR[:PORT]` (schema-proxymisc.ts). */
  source?: SourceAddress;
  preferLastServer?: boolean;
  contstats?: boolean;
  pretendKeepAlive?: boolean;
  checkCache?: boolean;
  caseAdjustClient?: boolean;
  caseAdjustServer?: boolean;
  /** `option http-buffer-request` (`no option` sets false over a defaults' true). */
  bufferRequest?: boolean;
  /** `fullconn N` (schema-fullconn.ts); absent or 0: HAProxy's default, from the frontends' maxconn. */
  fullconn?: number;
}

function proxyPart(o: Partial<Record<RuleKeyword, string[][]>> & {
  mode?: Mode;
  bind?: BindPart[];
  default_backend?: string;
  maxconn?: number;
  timeout?: TimeoutsPart;
  option?: OptionsPart;
  balance?: BalanceSettings;
  "hash-type"?: HashType;
  "hash-balance-factor"?: number;
  "rate-limit"?: number;
  source?: SourceAddress;
  servers?: ServerPart[];
  retries?: number;
  "retry-on"?: RetryCondition[];
  log?: LogEntry[];
  "log-tag"?: string;
  description?: string;
  "load-server-state-from-file"?: LoadServerState;
  "server-state-file"?: string;
  "log-format"?: string;
  "unique-id-format"?: string;
  "unique-id-header"?: string;
  errorfile?: ErrorFilePart[];
  errorloc?: ErrorLocPart[];
  errorloc302?: ErrorLocPart[];
  errorloc303?: ErrorLocPart[];
  "http-reuse"?: HttpReuse;
  "max-session-srv-conns"?: number;
  fullconn?: number;
  "http-check"?: HttpCheckRule[];
  "tcp-check"?: TcpCheckStep[];
  "http-error"?: HttpErrorPart[];
  errorfiles?: ErrorFilesImport[];
  "external-check"?: ExternalCheckPart;
  cookie?: CookiePersistence;
  "stick-table"?: StickTableShape;
  stats?: StatsPart;
  "monitor-uri"?: string;
} & Parameters<typeof filtersPart>[0]): ProxyPart {
  const part: ProxyPart = { timeouts: o.timeout ?? {} };
  if (o.mode !== undefined) part.mode = o.mode;
  if (o.bind !== undefined) part.binds = o.bind;
  if (o.default_backend !== undefined) part.defaultBackend = o.default_backend;
  if (o.maxconn !== undefined) part.maxconn = o.maxconn;
  if (o.fullconn !== undefined && o.fullconn > 0) part.fullconn = o.fullconn;
  if (o.balance !== undefined) part.balance = o.balance;
  if (o["hash-type"] !== undefined) part.hashType = o["hash-type"];
  if (o["hash-balance-factor"] !== undefined) part.hashBalanceFactor = o["hash-balance-factor"];
  if (o["rate-limit"] !== undefined) part.rateLimitSessions = o["rate-limit"];
  if (o.source !== undefined) part.source = o.source;
  if (o.servers !== undefined) part.servers = o.servers;
  if (o.retries !== undefined) part.retries = o.retries;
  if (o["retry-on"] !== undefined) part.retryOn = o["retry-on"];
  const option = o.option ?? {};
  if (option.log !== undefined) part.log = option.log;
  if (option.forwardFor !== undefined) part.forwardFor = option.forwardFor;
  if (option.originalTo !== undefined) part.originalTo = option.originalTo;
  if (option.forwarded !== undefined) part.forwarded = option.forwarded;
  if (option.httpMode !== undefined) part.httpMode = option.httpMode;
  if (option.redispatch !== undefined) part.redispatch = option.redispatch;
  if (option.allBackups !== undefined) part.allBackups = option.allBackups;
  if (option.idleCloseOnResponse !== undefined) part.idleCloseOnResponse = true;
  if (o.log !== undefined) part.logs = o.log;
  if (o["log-tag"] !== undefined) part.logTag = o["log-tag"];
  if (o.description !== undefined) part.description = o.description;
  if (o["load-server-state-from-file"] !== undefined) part.loadServerState = o["load-server-state-from-file"];
  if (o["server-state-file"] !== undefined) part.serverStateFile = o["server-state-file"];
  const logOptions = logOptionsOf(option);
  if (logOptions !== undefined) part.logOptions = logOptions;
  if (o["log-format"] !== undefined) part.logFormat = o["log-format"];
  if (o["unique-id-format"] !== undefined) part.uniqueIdFormat = o["unique-id-format"];
  if (o["unique-id-header"] !== undefined) part.uniqueIdHeader = o["unique-id-header"];
  if (o.errorfile !== undefined) part.errorFiles = o.errorfile;
  if (o["http-error"] !== undefined) part.httpErrors = o["http-error"];
  const locs = [...(o.errorloc ?? []), ...(o.errorloc302 ?? []), ...(o.errorloc303 ?? [])];
  if (locs.length > 0) part.errorLocs = locs;
  if (o.errorfiles !== undefined) part.errorFilesImports = o.errorfiles;
  if (option.tcpKeepAlive !== undefined) part.tcpKeepAlive = option.tcpKeepAlive;
  if (option.abortOnClose !== undefined) part.abortOnClose = option.abortOnClose;
  if (option.contstats !== undefined) part.contstats = option.contstats;
  if (option.preferLastServer !== undefined) part.preferLastServer = option.preferLastServer;
  if (option.pretendKeepAlive !== undefined) part.pretendKeepAlive = option.pretendKeepAlive;
  if (option.checkCache !== undefined) part.checkCache = option.checkCache;
  if (option.caseAdjustClient !== undefined) part.caseAdjustClient = option.caseAdjustClient;
  if (option.caseAdjustServer !== undefined) part.caseAdjustServer = option.caseAdjustServer;
  if (option.bufferRequest !== undefined) part.bufferRequest = option.bufferRequest;
  if (o["http-reuse"] !== undefined) part.httpReuse = o["http-reuse"];
  if (o["max-session-srv-conns"] !== undefined) {
    part.maxSessionSrvConns = o["max-session-srv-conns"];
  }
  // Health checks (issue 14, checks).
  if (option.healthCheck !== undefined) part.healthCheck = option.healthCheck;
  if (o["http-check"] !== undefined) part.httpChecks = o["http-check"];
  if (o["tcp-check"] !== undefined) part.tcpChecks = o["tcp-check"];
  if (o["external-check"] !== undefined) part.externalCheck = o["external-check"];
  if (o.cookie !== undefined) part.cookie = o.cookie;
  if (o["stick-table"] !== undefined) part.stickTable = o["stick-table"];
  if (o.stats !== undefined) part.stats = o.stats;
  if (o["monitor-uri"] !== undefined) part.monitorUri = o["monitor-uri"];
  Object.assign(part, filtersPart(o));
  const rules = ruleLinesOf(o);
  if (rules !== undefined) part.ruleLines = rules;
  return part;
}

export interface GlobalPart extends ControlPart, MasterPart, ProcessPart, EdgePart, ExtCheckGlobalPart, TunePart, EnvPart {
  /** `localpeer`: this process's name in peers sections. */
  localPeer?: string;
  maxconn?: number;
  maxConnRate?: number;
  maxSessRate?: number;
  sslLifetimeSec?: number;
  compLevel?: number;
  hardStopAfter?: number;
  bufsize?: number;
  maxHeaderFields?: number;
  h2BackendMaxConcurrentStreams?: number;
  h2FrontendMaxConcurrentStreams?: number;
  h2HeaderTableSize?: number;
  h2InitialWindowSize?: number;
  h2FrontendGlitchesThreshold?: number;
  h2FrontendMaxControlFramesPerSec?: number;
  maxChecksInFlight?: number;
  logs?: LogTarget[];
  logTag?: string;
  logSendHostname?: string | true;
  /** `description` and `node`: the instance's, as `show info` and the stats page show them. */
  description?: string;
  node?: string;
  /** `server-state-file` and `server-state-base` (schema-server-state.ts). */
  serverStateFile?: string;
  serverStateBase?: string;
  sslDefaultBind?: NonNullable<GlobalConfig["sslDefaultBind"]>;
  sslDefaultServer?: NonNullable<GlobalConfig["sslDefaultServer"]>;
}

export const GlobalSchema = v.pipe(
  keywords(GLOBAL, sectionText("global", GLOBAL)),
  v.rawCheck(({ dataset, addIssue }) => {
    const conflict = dataset.typed ? masterConflict(dataset.value) ?? processConflict(dataset.value) : undefined;
    if (conflict !== undefined) addIssue({ message: conflict });
  }),
  v.transform((g): GlobalPart => {
    const part: GlobalPart = { ...masterPart(g), ...processPart(g), ...edgePart(g), ...extCheckGlobalPart(g), ...tunePart(g), ...envPart(g) };
    if (g.maxconn !== undefined) part.maxconn = g.maxconn;
    if (g["tune.ssl.lifetime"] !== undefined && g["tune.ssl.lifetime"] > 0) part.sslLifetimeSec = g["tune.ssl.lifetime"];
    if (g["tune.comp.maxlevel"] !== undefined) part.compLevel = g["tune.comp.maxlevel"];
    if (g.maxconnrate !== undefined && g.maxconnrate > 0) part.maxConnRate = g.maxconnrate;
    if (g.maxsessrate !== undefined && g.maxsessrate > 0) part.maxSessRate = g.maxsessrate;
    if (g["hard-stop-after"] !== undefined) part.hardStopAfter = g["hard-stop-after"];
    if (g["tune.bufsize"] !== undefined) part.bufsize = g["tune.bufsize"];
    if (g["tune.http.maxhdr"] !== undefined) part.maxHeaderFields = g["tune.http.maxhdr"];
    if (g["tune.h2.be.max-concurrent-streams"] !== undefined) {
      part.h2BackendMaxConcurrentStreams = g["tune.h2.be.max-concurrent-streams"];
    }
    const h2 = g["tune.h2.fe.max-concurrent-streams"];
    if (h2 !== undefined) part.h2FrontendMaxConcurrentStreams = h2;
    if (g["tune.h2.header-table-size"] !== undefined) part.h2HeaderTableSize = g["tune.h2.header-table-size"];
    if (g["tune.h2.initial-window-size"] !== undefined) part.h2InitialWindowSize = g["tune.h2.initial-window-size"];
    if (g["tune.h2.fe.glitches-threshold"] !== undefined) part.h2FrontendGlitchesThreshold = g["tune.h2.fe.glitches-threshold"];
    const control = g["tune.h2.fe.max-control-frames-per-sec"];
    if (control !== undefined) part.h2FrontendMaxControlFramesPerSec = control;
    if (g["tune.max-checks-per-thread"] !== undefined) part.maxChecksInFlight = g["tune.max-checks-per-thread"];
    if (g.log !== undefined) part.logs = g.log;
    if (g["log-tag"] !== undefined) part.logTag = g["log-tag"];
    if (g.localpeer !== undefined) part.localPeer = g.localpeer;
    if (g["log-send-hostname"] !== undefined) part.logSendHostname = g["log-send-hostname"];
    if (g.description !== undefined) part.description = g.description;
    if (g.node !== undefined) part.node = g.node;
    if (g["server-state-file"] !== undefined) part.serverStateFile = g["server-state-file"];
    if (g["server-state-base"] !== undefined) part.serverStateBase = g["server-state-base"];
    if (g.stats !== undefined) Object.assign(part, g.stats);
    const ssl: NonNullable<GlobalConfig["sslDefaultBind"]> = { ...g["ssl-default-bind-options"] };
    if (g["ssl-default-bind-ciphers"] !== undefined) ssl.ciphers = g["ssl-default-bind-ciphers"];
    if (g["ssl-default-bind-ciphersuites"] !== undefined) ssl.ciphersuites = g["ssl-default-bind-ciphersuites"];
    if (Object.keys(ssl).length > 0) part.sslDefaultBind = ssl;
    const { preferClientCiphers: _bindOnly, ...serverOptions } = g["ssl-default-server-options"] ?? {};
    const server: NonNullable<GlobalConfig["sslDefaultServer"]> = serverOptions;
    if (g["ssl-default-server-ciphers"] !== undefined) server.ciphers = g["ssl-default-server-ciphers"];
    if (g["ssl-default-server-ciphersuites"] !== undefined) server.ciphersuites = g["ssl-default-server-ciphersuites"];
    if (g["ssl-server-verify"] !== undefined) server.verify = g["ssl-server-verify"];
    if (Object.keys(server).length > 0) part.sslDefaultServer = server;
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
    userlists: category("userlists", "userlist"),
    peers: category("peers", "peers section"),
    caches: category("caches", "cache"),
    resolvers: category("resolvers", "resolvers"),
    "http-errors": category("http-errors", "http-errors section"),
  },
  {
    expected: "a mapping of sections",
    unknown: (key) =>
      `unknown section '${key}' (expected one of: global, defaults, frontends, backends, listen, userlists, peers, caches, resolvers, http-errors)`,
  },
);
