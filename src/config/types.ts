// What the proxy core consumes: every default applied, every time in ms.
// The valibot schemas in model.ts produce the pieces; build.ts assembles them
// into this shape.

import type { MapRegistry } from "../rules/match/map-ref.ts";
import type { Condition, SampleFn, Txn } from "../rules/types.ts";
import type { ProxyRules, StickRule } from "../rules/rule-set.ts";
import type { StickTableSpec } from "../stick/types.ts";
import type { LogTarget, ProxyLogging } from "../log/target.ts";
import type { BalanceSettings, HashType } from "./balance.ts";
import type { CpuMap } from "./cpu-map.ts";
import type { HealthCheck, OnError, ServerAgent, ServerCheck, ServerObserve } from "./types-checks.ts";

export type { BalanceAlgorithm, BalanceSettings, HashType } from "./balance.ts";

export type Mode = "tcp" | "http";

/**
 * Milliseconds. 0 means "no timeout", as in HAProxy. Every proxy carries the
 * full set: a frontend uses client/clientFin/httpRequest/httpKeepAlive, a
 * backend connect/server/queue/tunnel/serverFin (the others come only from
 * `defaults` and can be ignored there).
 */
export interface Timeouts {
  connect: number;
  client: number;
  server: number;
  queue?: number;
  tunnel?: number;
  clientFin?: number;
  serverFin?: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  /** `timeout check`: a check's read timeout once connected (absent: `inter` bounds the whole check, as HAProxy). */
  check?: number;
  /** `timeout tarpit`: how long `http-request tarpit` holds a request before its answer (absent: timeout connect, as HAProxy). */
  tarpit?: number;
}

export type { Origin } from "./types-sections.ts";
import type { Origin } from "./types-sections.ts";

// ---- TLS on binds and towards servers: types-tls.ts
export type { BindTls, ClientCertificates, ServerTls, TlsCertificate, TlsVersion } from "./types-tls.ts";
import type { BindTls, ServerTls, TlsVersion } from "./types-tls.ts";

export interface BindConfig {
  /** "0.0.0.0" for `:port`/`*:port`; "::1" (no brackets) for `[::1]:port`; "unix" (port 0) with `unix`. */
  host: string;
  port: number;
  /** A UNIX socket instead: its path (global unix-bind's prefix in front); `mode`/`uid`/`gid` from the bind, else from unix-bind. */
  unix?: { path: string; mode?: number; uid?: number; gid?: number };
  /** `proto h2`: the clients of this bind speak HTTP/2 without TLS (prior knowledge); unset: HTTP/1.1 (or ALPN's choice on TLS). */
  proto?: "h2";
  /** `accept-proxy`: every connection starts with a PROXY header (v1 or v2) naming the client and the address it reached. */
  acceptProxy?: true;
  /** Set with `ssl`: this address terminates TLS. */
  ssl?: BindTls;
  /** `name NAME` (schema-bind.ts). */
  name?: string;
  /** IPv6 addresses: `v6only` true, `v4v6` false; absent: the system's default. */
  ipv6Only?: boolean;
  origin: Origin;
}

export interface ServerConfig {
  name: string;
  /** `0.0.0.0` or `::` with `mapPorts`, or written so: the address the client reached (after `set-dst`). */
  host: string;
  /** With `mapPorts`, an offset added to the client's destination port (after `set-dst-port`). */
  port: number;
  /** The port was left out, `0` or `+N`/`-N` (HAProxy's SRV_F_MAPPORTS). */
  mapPorts?: true;
  /** `socks4 ADDR:PORT`: its traffic goes through this SOCKS4 proxy; its checks too with `check-via-socks4`. */
  socks4?: { host: string; port: number };
  checkViaSocks4?: true;
  /** `source ADDR[:PORT]` of its backend: the local address (port 0: any) its connections and checks go from. */
  source?: { host: string; port: number };
  /** 0..256; 0 takes no load-balanced traffic. */
  weight: number;
  backup: boolean;
  disabled: boolean;
  maxconn?: number;
  /** `pool-max-conn N`: most idle connections kept for reuse; -1 (default) unlimited, 0 none. */
  poolMaxConn: number;
  /** `pool-purge-delay TIME`: idle connections unused this long are closed (ms, default 5000). */
  poolPurgeDelay: number;
  /** `pool-low-conn N`: purging keeps at least this many idle connections (sluice runs one thread, so HAProxy's meaning, a floor below which threads do not steal each other's idle connections, becomes a floor for purging; default 0). */
  poolLowConn: number;
  /** `send-proxy`: a PROXY protocol v1 header opens every connection to this server. */
  sendProxy: boolean;
  /** `proto h1|h2`: the protocol spoken to the server (h2: HTTP/2 cleartext, prior knowledge). Default h1. */
  proto: "h1" | "h2";
  /** `max-reuse N`: times a connection may be reused (for HTTP/2: streams it carries); -1 unlimited. */
  maxReuse: number;
  /** `ssl ...`: TLS to this server. */
  ssl?: ServerTls;
  /** `sni <expression>` (ssl.sniExpr) compiled with the backend's rules: the name for a connection made for a transaction ("" sends none). */
  sniOf?: (t: Txn) => string;
  /** `check-ssl` on a server without `ssl`: the TLS its checks speak (its verify, ca-file, sni... as HAProxy). */
  checkTls?: ServerTls;
  // ---- balancing and queues (issue 14, balance) ----
  /** `maxqueue N`: streams waiting for this server at most; absent or 0: no limit. */
  maxqueue?: number;
  /** `minconn N`: the dynamic limit's floor; it grows to maxconn as the backend's load reaches its fullconn (HAProxy's srv_dynamic_maxconn). */
  minconn?: number;
  /** `slowstart TIME`: ms over which the effective weight ramps up after the server comes UP; absent: none. */
  slowstart?: number;
  /** `init-addr`: how the address is found at start, tried in order; absent: BUILTIN.initAddr. An IP is written as itself. */
  initAddr?: InitAddr[];
  /** `resolvers <id>`: the server's name is resolved again at run time by that section's nameservers (check/resolution.ts). */
  resolvers?: string;
  /** `resolve-prefer ipv4|ipv6`: the family asked first (absent: BUILTIN.resolvers.resolvePrefer). */
  resolvePrefer?: "ipv4" | "ipv6";
  // ---- health checks (issue 14, checks): absent when the server line has no `check` / `observe`
  /** `check` and its options. */
  check?: ServerCheck;
  /** `observe layer4|layer7` with `error-limit` and `on-error`. */
  observe?: ServerObserve;
  /** `on-marked-down shutdown-sessions`: when it goes DOWN, its streams are cut (log cause D). */
  onMarkedDown?: "shutdown-sessions";
  /** `on-marked-up shutdown-backup-sessions`: when this active server comes UP, the backup servers' streams are cut (U). */
  onMarkedUp?: "shutdown-backup-sessions";
  /** `agent-check agent-port N [agent-addr A] [agent-inter T] [agent-send S]`: the server's agent. */
  agent?: ServerAgent;
  /** `track [BACKEND/]SERVER`: this server has no checks of its own; it goes DOWN, UP, into maintenance or drain with that one (check/tracking.ts). */
  track?: { backend?: string; server: string };
  // ---- end of health checks
  /** `cookie VALUE`: what the backend's persistence cookie says for this server (issue 15, cookie); absent: none, a client it serves is told to drop the cookie. */
  cookie?: string;
  /** `redir PREFIX`: a GET or HEAD this server is chosen for is answered 302 to PREFIX + its path (HAProxy's redirection mode). */
  redir?: string;
  origin: Origin;
}

/** One `init-addr` method: `last` (the state file: sluice keeps none, so it never finds one), `libc` (resolve the name), `none` (start without an address, the server in maintenance), or a fixed IP. */
export type InitAddr = "last" | "libc" | "none" | { ip: string };

// ---- compression, filters, the HTTP cache: types-filters.ts
export type { CacheConfig, CompressionAlgo, CompressionConfig, FilterConfig } from "./types-filters.ts";
import type { CompressionConfig, FilterConfig } from "./types-filters.ts";
export type { Nameserver, ResolversConfig, HoldName } from "./types-resolvers.ts";
import type { ResolversConfig } from "./types-resolvers.ts";
// ---- health checks: types-checks.ts
export type { ServerCheck, OnError, ServerObserve, HttpCheckExpect, HttpCheckRequest, TcpCheckStep, HealthCheck, ProtocolCheck, ExternalCheck } from "./types-checks.ts";

/**
 * `http-reuse never | safe | aggressive | always` (default safe): which
 * backend connections a stream may take from the shared pools
 * (../shared/docs/connection-ownership.md).
 */
export type HttpReuse = "never" | "safe" | "aggressive" | "always";

/** `option forwardfor [except NETWORK] [header NAME] [if-none]`. */
/** `option originalto [except NET] [header NAME]`: the address the client connected to, in X-Original-To. */
export interface OriginalTo {
  /** Default "X-Original-To". */
  header: string;
  /** A network as written (checked): no field when the destination address is in it. */
  except?: string;
}

export interface ForwardFor {
  /** Default "X-Forwarded-For"; a valid field name (token). */
  header: string;
  /** A network as written, already checked by `parseNetwork` (src/rules/network.ts): no header for clients in it. */
  except?: string;
  /** Add the field only when the request has none. */
  ifNone: boolean;
}

/**
 * `option forwarded [proto] [host] [by] [for]` (RFC 7239): which parameters
 * the Forwarded field carries. Without arguments: proto and for, as HAProxy.
 */
export interface Forwarded {
  proto: boolean;
  host: boolean;
  by: boolean;
  for: boolean;
}

/**
 * `option http-keep-alive` (the default) | `option http-server-close` |
 * `option httpclose`. A frontend and its backend may disagree: the engine
 * applies HAProxy's rule, the more closing one wins.
 */
export type HttpConnectionMode = "keep-alive" | "server-close" | "close";

/**
 * A `retry-on` condition, HAProxy's keywords and status codes. The stream
 * (src/stream/) retries after a failure only when its backend lists it:
 * `conn-failure` (the connection could not be opened; the request was not
 * sent), `empty-response` (the server closed before any response byte),
 * `junk-response` (what came was not a usable HTTP response),
 * `response-timeout` (timeout server struck before any response), a final
 * status code, or `0rtt-rejected` (accepted for HAProxy's configs: sluice
 * sends no early data, so it never happens).
 */
export type RetryCondition =
  | "conn-failure"
  | "empty-response"
  | "junk-response"
  | "response-timeout"
  | "0rtt-rejected"
  | RetryStatus;
export type RetryStatus = 401 | 403 | 404 | 408 | 425 | 500 | 501 | 502 | 503 | 504;

/** One `log` line (src/log/target.ts; read by schema-syslog.ts). */
export type { LogTarget };

/**
 * `errorfile CODE FILE`, read at load: code → a complete raw HTTP response
 * (status line, headers, CRLF CRLF, body) to send as is. The head's line
 * endings are CRLF even where the file had bare LF.
 */
export type ErrorFiles = Record<number, Uint8Array>;

/**
 * An `http-error` page with log-format parts (`lf-string`, `lf-file`, a
 * `hdr` value with `%`): HAProxy builds it per transaction, so does sluice.
 * `build` is compiled with the proxy's rules (config/rules.ts); without a
 * transaction (a request that could not be read) the page is sluice's own,
 * as HAProxy's multiplexer then sends only static pages.
 */
export interface ErrorPageFormat {
  code: number;
  contentType?: string;
  /** The body, a log-format string. */
  body: string;
  /** `hdr NAME FMT`, in order. */
  hdrs: [string, string][];
  /** Its `http-error` line. */
  origin: Origin;
  build?: (t: Txn) => Uint8Array;
}

/** Status → the proxy's page built per transaction (ErrorPageFormat). */
export type ErrorFormats = Record<number, ErrorPageFormat>;

/** One rule line as written (`http-request deny if bad`: the words after the keyword) and where. */
export interface RuleLine {
  words: string[];
  origin: Origin;
}

/** A proxy's rule lines by keyword, in the order written (issue 15). */
export interface RuleLines {
  acl: RuleLine[];
  "use_backend": RuleLine[];
  "use-server": RuleLine[];
  /** `stick on|match|store-request ...` (backends and listens). */
  stick: RuleLine[];
  "http-request": RuleLine[];
  "http-response": RuleLine[];
  "http-after-response": RuleLine[];
  redirect: RuleLine[];
  "tcp-request": RuleLine[];
  capture: RuleLine[];
  /** `declare capture request|response len N` (frontends, listens): capture slots for `capture ... id N`. */
  declare: RuleLine[];
  "force-persist": RuleLine[];
  "ignore-persist": RuleLine[];
  /** `monitor fail if|unless COND` (frontends, listens): the monitor-uri answers 503 when one holds. */
  monitor: RuleLine[];
}

/**
 * `cookie NAME [rewrite|insert|prefix] [indirect] [nocache] [postonly]
 * [preserve] [httponly] [secure] [domain D]... [maxidle T] [maxlife T]
 * [attr A]...` (issue 15, cookie): persistence by a cookie that names the
 * server (HAProxy's section 4.2 "cookie").
 */
export interface CookiePersistence {
  name: string;
  /** passive: none of the three modes (the server sets the cookie, sluice only reads it). */
  mode: "passive" | "insert" | "rewrite" | "prefix";
  indirect: boolean;
  nocache: boolean;
  postonly: boolean;
  preserve: boolean;
  httponly: boolean;
  secure: boolean;
  /** `domain` values in order (each becomes `; domain=D`). */
  domains: string[];
  /** Seconds; 0: no limit. The dates are read and written in insert mode only, as HAProxy. */
  maxidle: number;
  maxlife: number;
  /** `attr` values in order (each becomes `; A`). */
  attrs: string[];
}

export interface BackendConfig {
  name: string;
  mode: Mode;
  /** `description`: shown beside the backend on the stats page. */
  description?: string;
  /** `stats ...` in a backend (issue 19): the page HAProxy's stats applet serves for requests routed here. */
  statsPage?: StatsListenerConfig;
  /** `load-server-state-from-file` (from defaults too) and the backend's own `server-state-file` (its `local` file). */
  loadServerState?: "global" | "local" | "none";
  serverStateFile?: string;
  /** `stick-table ...` (issue 15): the table named after this backend (or listen); absent: none. */
  stickTable?: StickTableSpec;
  /** `stick on|match|store-request` lines, compiled (a listen's too); absent: none. */
  stickRules?: readonly StickRule[];
  /** `cookie ...` (issue 15, cookie): persistence by a cookie; absent: none. */
  cookie?: CookiePersistence;
  /** The backend's own rule lines (a listen's are its frontend's) and, once loaded, compiled. */
  ruleLines?: RuleLines;
  rules?: ProxyRules;
  balance: BalanceSettings;
  /** `hash-type` (hash algorithms only); absent: BUILTIN.hashType. */
  hashType?: HashType;
  /** `hash-balance-factor N` (consistent hashing only): a server takes at most N% of the average load per unit of weight; absent: no bound. */
  hashBalanceFactor?: number;
  /** `option allbackups`: every backup server takes load when no active one can (else only the first). */
  allBackups?: true;
  servers: ServerConfig[];
  retries: number;
  timeouts: Timeouts;
  forwardFor?: ForwardFor;
  /** `option originalto`. */
  originalTo?: OriginalTo;
  forwarded?: Forwarded;
  httpMode: HttpConnectionMode;
  /** Inherited from `defaults` code by code; the section's own win. */
  errorFiles: ErrorFiles;
  /** The statuses whose page is built per transaction (never one errorFiles has too). */
  errorFormats?: ErrorFormats;
  /** `option srvtcpka`/`tcpka` (issue 19): SO_KEEPALIVE on connections to servers. */
  serverTcpKeepAlive?: true;
  /** `option abortonclose` (issue 19): an HTTP request whose client shut its side is dropped while queued or connecting. */
  abortOnClose?: true;
  /** `option http-buffer-request`: the request body (up to the buffer's room) is waited for before this backend's rules and servers. */
  bufferRequest?: true;
  /** `fullconn N`, else HAProxy's default: a tenth of the maxconn of the frontends that reach it, at least 1. */
  fullconn?: number;
  /** `option prefer-last-server`: a keep-alive client's next request goes to the server that answered its previous one, while it has room (not with hash balancing). */
  preferLastServer?: true;
  /** `option http-pretend-keepalive` (the backend's, or its defaults'; HAProxy reads no frontend's): under server-close, the server is not told `Connection: close`. */
  pretendKeepAlive?: true;
  /** `option checkcache`: a response a shared cache could keep that carries a server's Set-Cookie is refused with a 502 (stream/http-stream.ts). */
  checkCache?: true;
  /** `option h1-case-adjust-bogus-server`: requests to its servers name fields as the global h1-case-adjust says. */
  caseAdjustServer?: true;
  /** With that option: the global map (lower-case name → as written), set by build.ts. */
  caseAdjustNames?: Readonly<Record<string, string>>;
  /** `option redispatch`: a retry may go to another server. */
  redispatch: boolean;
  /**
   * `option redispatch <interval>` (HAProxy's): which retries go to another
   * server when `redispatch` is on. P > 0: every Pth retry (1: every one);
   * N < 0: the |N|th retry counted back from the last (-1, the default: the last).
   */
  redispatchInterval: number;
  /**
   * `retry-on`: the failures a request is sent again after (empty: `none`).
   * A tcp backend has `conn-failure` only, whatever was written (HAProxy
   * ignores `retry-on` outside mode http).
   */
  retryOn: RetryCondition[];
  httpReuse: HttpReuse;
  /** How servers with `check` are checked (issue 14, checks). */
  healthCheck: HealthCheck;
  origin: Origin;
  /** `log-tag`, `option log-health-checks` (defaults, then the section's). */
  /**
   * Where its servers' messages (UP, DOWN, checks) go besides stderr: the
   * `log` lines of its `defaults` then its own, as a frontend's traffic,
   * when the backend has `log` lines of its own. Absent: the global section's.
   */
  logTargets?: LogTarget[];
  logging?: ProxyLogging;
  /** `compression ...` (the section's, else its defaults'), and `filter` lines with the implicit compression filter. */
  compression?: CompressionConfig;
  filters?: FilterConfig[];
}

export interface FrontendConfig {
  name: string;
  mode: Mode;
  /** `stick-table ...` of a frontend section (a listen's is on its backend half, one table per name). */
  stickTable?: StickTableSpec;
  /** The frontend's rule lines (a listen's, all of them) and, once loaded, compiled. */
  ruleLines?: RuleLines;
  /** `option contstats`: traffic counters move along each transfer, not only at its end. */
  contstats?: true;
  /** `option h1-case-adjust-bogus-client`: responses to its HTTP/1 clients name fields as the global h1-case-adjust says. */
  caseAdjustClient?: true;
  /** With that option: the global map (lower-case name → as written), set by build.ts. */
  caseAdjustNames?: Readonly<Record<string, string>>;
  /** `option http-buffer-request`: the request body (up to the buffer's room) is waited for before the frontend's rules. */
  bufferRequest?: true;

  /** `stats ...` in a section that also routes (issue 19): the page served for requests under `stats uri`. */
  statsPage?: StatsListenerConfig;
  rules?: ProxyRules;
  binds: BindConfig[];
  /** Undefined: no backend, every connection is refused (load warns). */
  defaultBackend?: string;
  maxconn: number;
  /** `rate-limit sessions N`: new sessions a second; those past it wait, accepted and unread (absent: no limit). */
  rateLimitSessions?: number;
  timeouts: Timeouts;
  /**
   * `option tcplog` / `option httplog` when that is the format chosen: the
   * last of them and `log-format` in the section wins, else its defaults'
   * (config/log-choice.ts). Undefined with a log-format, or with none of them.
   */
  log?: "tcp" | "http" | "clf";
  /** `log-format` as written (when it is the one chosen); parseLogFormat (src/log/format.ts) accepts it. */
  logFormat?: string;
  /** `unique-id-format` (and `unique-id-header`): each request's id, made before the rules (session/unique-id.ts). */
  uniqueId?: { format: string; header?: string };
  /** Its `%[expr]` samples, compiled (config/rules.ts) to read the stream's transaction when the line is written. */
  logSamples?: ReadonlyMap<string, SampleFn>;
  /**
   * Where this frontend's traffic logs go: the `log` lines of its `defaults`
   * then its own (HAProxy adds them up), `log global` replaced by the global
   * targets, duplicates removed. Empty: no traffic log. When no section of
   * the configuration has a `log` line, every frontend logs to stderr (raw).
   */
  logTargets: LogTarget[];
  /** `log-tag`, `option dontlognull`, `log-separate-errors`, `logasap` (defaults, then the section's). */
  logging?: ProxyLogging;
  forwardFor?: ForwardFor;
  /** `option originalto`. */
  originalTo?: OriginalTo;
  httpMode: HttpConnectionMode;
  /** Inherited from `defaults` code by code; the section's own win. */
  errorFiles: ErrorFiles;
  /** The statuses whose page is built per transaction (never one errorFiles has too). */
  errorFormats?: ErrorFormats;
  /** `option clitcpka`/`tcpka` (issue 19): SO_KEEPALIVE on accepted client sockets. */
  clientTcpKeepAlive?: true;
  /** `max-session-srv-conns N`: idle private backend connections a session keeps (default 5). */
  maxSessionSrvConns: number;
  /**
   * `option idle-close-on-response` (HAProxy's): on a soft stop (a reload, a
   * stop) an idle keep-alive client connection is not closed at once but
   * answers its next request with `Connection: close` (or closes at its
   * keep-alive timeout, or at hard-stop-after); no client sees its request
   * meet a closing connection. Absent: idle ones close at once.
   */
  idleCloseOnResponse?: true;
  /** `monitor-uri URI` (mode http): requests for exactly this URI are answered by sluice (schema-monitor.ts). */
  monitorUri?: string;
  /** `description`: shown beside the frontend on the stats page. */
  description?: string;
  /** `compression ...` and the filters (a listen's run on this half). */
  compression?: CompressionConfig;
  filters?: FilterConfig[];
  origin: Origin;
}

/** The runtime API's levels: what a socket's clients may do (HAProxy's). */
export type ControlLevel = "user" | "operator" | "admin";

/** `stats socket`: a unix socket (with its permission bits) or a TCP one. */
export type ControlSocket =
  | { kind: "unix"; path: string; mode?: number; level: ControlLevel; /** `user`/`uid`, `group`/`gid`: the socket file's owner (chowned once bound). */ uid?: number; gid?: number }
  | { kind: "tcp"; host: string; port: number; level: ControlLevel };

export interface GlobalConfig {
  /** `localpeer` (or `sluice -L`): this process's name in peers sections; the host's name when absent. */
  localPeer?: string;
  /** `zero-warning`: a configuration with warnings (not notices) is refused (config/schema-edge.ts). */
  zeroWarning?: boolean;
  /** `tune.ssl.default-dh-param`: checked, unused (no DHE in either runtime's TLS; schema-edge.ts). */
  dhParamBits?: number;
  /** `description` and `node` (`show info`, the stats page); node defaults to the host's name there. */
  description?: string;
  node?: string;
  /** `server-state-file` / `server-state-base`: where backends with `load-server-state-from-file` read their servers' saved state. */
  serverStateFile?: string;
  serverStateBase?: string;
  maxconn: number;
  /** `maxconnrate` / `maxsessrate`: connections / sessions started a second on the whole process; those past it wait, accepted and unread (absent: no limit). */
  maxConnRate?: number;
  maxSessRate?: number;
  /** `tune.comp.maxlevel`: zlib's compression level, 1-9 (absent: BUILTIN.compressionLevel, HAProxy's 1). */
  compLevel?: number;
  /** `tune.ssl.lifetime`: seconds a TLS session stays resumable (its tickets' lifetime) on every TLS bind; absent: the TLS library's. */
  sslLifetimeSec?: number;
  hardStopAfter: number;
  /** `tune.bufsize`: bytes, 1024-1048576, default 16384. */
  bufsize: number;
  /** `tune.maxrewrite`: bytes of a buffer kept for rewriting, default 1024 (HAProxy's); a head may fill the rest (schema-tune.ts). */
  maxRewrite: number;
  /** `max-spread-checks`: ms; the first checks are spread over no more than this. */
  maxSpreadChecks?: number;
  /** `h1-case-adjust FROM TO` and `h1-case-adjust-file`: a field name in lower case → as written to bogus HTTP/1 peers. */
  caseAdjust?: Record<string, string>;
  /** setenv/presetenv/unsetenv/resetenv: changes over the process's environment (a value; null: unset). */
  environment?: Record<string, string | null>;
  /** `spread-checks`: % (1-50) by which each check's next interval moves at random, either way. */
  spreadChecks?: number;
  /** `unix-bind`: the prefix, mode and owner UNIX socket binds start from. */
  unixBind?: { prefix?: string; mode?: number; uid?: number; gid?: number };
  /** `tune.http.maxhdr`: header fields per message, 1-32767, default 101. */
  maxHeaderFields: number;
  /** `tune.h2.be.max-concurrent-streams`: streams opened on an HTTP/2 server connection before its SETTINGS (and at most after), default 100. */
  h2BackendMaxConcurrentStreams: number;
  /** `tune.h2.fe.max-concurrent-streams`: streams an HTTP/2 client may have open on one connection (SETTINGS_MAX_CONCURRENT_STREAMS), default 100. */
  h2FrontendMaxConcurrentStreams: number;
  /** `tune.h2.header-table-size`: the HPACK table size sluice announces for what it receives, default 4096. */
  h2HeaderTableSize: number;
  /** `tune.h2.initial-window-size`: the receive window of each stream sluice announces to HTTP/2 clients, default 65535. */
  h2InitialWindowSize: number;
  /** `tune.h2.fe.glitches-threshold`: glitches (rapid resets, empty frames, control floods) past which an HTTP/2 client connection is dropped (ENHANCE_YOUR_CALM); past half, its reading is slowed. Default 1000. */
  h2FrontendGlitchesThreshold: number;
  /** `tune.h2.fe.max-control-frames-per-sec`: PING and SETTINGS frames a second an HTTP/2 client sends for free; each beyond is a glitch. Default 100. */
  h2FrontendMaxControlFramesPerSec: number;
  /** `tune.max-checks-per-thread`: health checks running at once (sluice has one thread); 0: no bound. Default 64 (HAProxy's is 0): checks are bounded unless told otherwise. */
  maxChecksInFlight: number;
  /** `master-worker` (or `sluice -W`, or more than one worker): a master process runs `workers` worker processes. Default false. */
  masterWorker: boolean;
  /** `workers N|auto` (HAProxy's `nbthread N` means the same here): worker processes in master-worker mode; auto: one per core. Default auto. */
  workers: number | "auto";
  /** `cpu-map` lines (config/cpu-map.ts): the CPUs each worker (HAProxy's thread) is pinned to; absent: none pinned. */
  cpuMap?: CpuMap;
  /** `daemon` (or `sluice -D`): detach into the background once serving (under -W the master detaches). */
  daemon?: boolean;
  /** `pidfile`: written in daemon or master-worker mode (the master's pid), removed at the master's stop. */
  pidfile?: string;
  /** `uid` / `user`: the user id the proxy drops to once its sockets are bound (a master keeps its own). */
  uid?: number;
  /** `gid` / `group`: the group id the proxy drops to (supplementary groups dropped too). */
  gid?: number;
  /** `chroot`: the directory the proxy jails itself in once its sockets are bound and its files read. */
  chroot?: string;
  /** `ulimit-n`: RLIMIT_NOFILE to raise to; absent: computed from maxconn (src/process/limits.ts). */
  ulimitN?: number;
  /** `external-check` / `insecure-fork-wanted` (schema-extcheck.ts): external checks allowed; forking asked for. */
  externalCheck?: boolean;
  insecureForkWanted?: boolean;
  /** `strict-limits` (HAProxy 2.6: on by default): a file limit that cannot be raised stops the start. */
  strictLimits: boolean;
  /**
   * The global section's `log` lines (of every file, in order): where sluice's
   * own messages go and what `log global` means. Default: stderr, raw.
   */
  logTargets: LogTarget[];
  /** `log-tag`: the TAG of syslog headers (default "sluice"). */
  logTag?: string;
  /** `log-send-hostname [name]`: the HOST of syslog headers; true: the system's host name. */
  logSendHostname?: string | true;
  /** `stats socket` lines (the runtime API), in order; several allowed; absent: none. */
  statsSockets?: ControlSocket[];
  /** `stats timeout`: an idle runtime API connection is closed after this long (ms; absent: BUILTIN.stats.timeout). */
  statsTimeout?: number;
  /** `stats maxconn`: runtime API connections at once, per socket (absent: BUILTIN.stats.maxconn). */
  statsMaxconn?: number;
  /** `ssl-default-bind-options` / `-ciphers` / `-ciphersuites`: what TLS binds take unless they say. */
  sslDefaultBind?: { minVersion?: TlsVersion; maxVersion?: TlsVersion; ciphers?: string; ciphersuites?: string; noTlsTickets?: true; preferClientCiphers?: true };
  /** `ssl-default-server-options` / `-ciphers` / `-ciphersuites` and `ssl-server-verify`: what servers with `ssl` take unless they say. */
  sslDefaultServer?: { minVersion?: TlsVersion; maxVersion?: TlsVersion; ciphers?: string; ciphersuites?: string; noTlsTickets?: true; verify?: "none" | "required" };
}

export interface Config {
  global: GlobalConfig;
  frontends: FrontendConfig[];
  backends: BackendConfig[];
  /** `userlist` sections by name (http-request auth, http_auth); absent when there are none. */
  userlists?: Record<string, UserlistConfig>;
  /** `cache` sections by name (cache-use, cache-store; their stores are made with the rules). */
  caches?: Record<string, import("./types-filters.ts").CacheConfig>;
  /** Stats listeners (issue 16: `stats enable`, the Prometheus exporter), served by admin/; absent when there are none. */
  stats?: StatsListenerConfig[];
  /** `peers` sections this process takes part in (core/peers-sync.ts); absent when there are none. */
  peers?: PeersSectionConfig[];
  /** The tables declared in peers sections ("<section>/<table>"), synchronised or not; absent when there are none. */
  peerTables?: StickTableSpec[];
  /** The map files the rules read, shared by every converter naming one (the runtime API changes them); absent: built without any. */
  maps?: MapRegistry;
  /** `resolvers` sections (types-resolvers.ts); absent when there are none. */
  resolvers?: ResolversConfig[];
}

// ---- peers and userlist sections: types-sections.ts
export type { PeersSectionConfig, UserConfig, UserlistConfig } from "./types-sections.ts";
import type { PeersSectionConfig, UserlistConfig } from "./types-sections.ts";

/** Values used when neither the proxy nor its `defaults` set them. */
export const BUILTIN = {
  mode: "tcp",
  balance: { algorithm: "roundrobin" },
  hashType: "map-based",
  initAddr: ["last", "libc"],
  retries: 3,
  retryOn: ["conn-failure"],
  redispatchInterval: -1,
  timeouts: { connect: 5000, client: 50000, server: 50000 },
  httpMode: "keep-alive",
  httpReuse: "safe",
  maxSessionSrvConns: 5,
  pool: { maxConn: -1, purgeDelay: 5000, lowConn: 0 },
  forwardForHeader: "X-Forwarded-For",
  logTarget: { kind: "stderr", format: "raw" },
  /**
   * TLS: binds' lowest version (HAProxy 2.6's), ticket key rotation, tickets
   * issued; servers verify by default (HAProxy's ssl-server-verify).
   * sessionCacheSize (`tune.ssl.cachesize`, HAProxy: 20000) is 0, no
   * session-ID cache: node:tls on Bun and Deno never fires 'newSession' or
   * 'resumeSession', so only tickets resume sessions.
   */
  tls: { minVersion: "TLSv1.2", ticketKeyRotate: 3_600_000, tlsTickets: true, sessionCacheSize: 0, serverVerify: "required" },
  global: { maxconn: 4096, hardStopAfter: 30000, bufsize: 16384, maxRewrite: 1024, maxHeaderFields: 101, h2BackendMaxConcurrentStreams: 100, h2FrontendMaxConcurrentStreams: 100, h2HeaderTableSize: 4096, h2InitialWindowSize: 65535, h2FrontendGlitchesThreshold: 1000, h2FrontendMaxControlFramesPerSec: 100, maxChecksInFlight: 64, masterWorker: false, workers: "auto", strictLimits: true },
  /** The runtime API (`stats timeout`, `stats maxconn` in global): HAProxy's defaults. */
  stats: { timeout: 10000, maxconn: 10 },
  /** zlib's level for HTTP compression: HAProxy's `tune.comp.maxlevel` default, the cheapest per byte (sluice has no keyword to raise it). */
  compressionLevel: 1,
  /**
   * HTTP/2 connections to servers, where no keyword sets it: the receive
   * window we grant per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the
   * whole connection, and the SETTINGS_MAX_HEADER_LIST_SIZE we announce and
   * enforce.
   */
  h2Backend: { streamWindow: 256 * 1024, connectionWindow: 16 * 1024 * 1024, maxHeaderListSize: 64 * 1024 },
  /** Health checks (issue 14, checks), as HAProxy: `option httpchk` alone sends OPTIONS / HTTP/1.0. */
  /** externalPath: `external-check path`'s default, HAProxy's (empty: execvp then looks in the working directory). */
  check: { inter: 2000, rise: 2, fall: 3, errorLimit: 10, onError: "fail-check", method: "OPTIONS", uri: "/", version: "HTTP/1.0", externalPath: "" },
  /** `resolvers` sections (schema-resolvers.ts), HAProxy 2.6's defaults; resolvePrefer: a server's `resolve-prefer`. */
  resolvers: {
    resolveRetries: 3, timeoutResolve: 1000, timeoutRetry: 1000, acceptedPayloadSize: 512, resolvePrefer: "ipv6",
    hold: { valid: 10000, other: 30000, refused: 30000, nx: 30000, timeout: 30000, obsolete: 0 },
  },
} as const satisfies {
  mode: Mode;
  balance: BalanceSettings;
  hashType: HashType;
  initAddr: readonly InitAddr[];
  retries: number;
  retryOn: readonly RetryCondition[];
  redispatchInterval: number;
  timeouts: Timeouts;
  httpMode: HttpConnectionMode;
  httpReuse: HttpReuse;
  maxSessionSrvConns: number;
  pool: { maxConn: number; purgeDelay: number; lowConn: number };
  forwardForHeader: string;
  logTarget: LogTarget;
  tls: { minVersion: TlsVersion; ticketKeyRotate: number; tlsTickets: boolean; sessionCacheSize: 0; serverVerify: ServerTls["verify"] };
  global: Omit<GlobalConfig, "logTargets" | "logTag" | "logSendHostname" | "sslDefaultBind" | "sslDefaultServer" | "statsSockets" | "statsTimeout" | "statsMaxconn">;
  stats: { timeout: number; maxconn: number };
  compressionLevel: number;
  h2Backend: { streamWindow: number; connectionWindow: number; maxHeaderListSize: number };
  check: { inter: number; rise: number; fall: number; errorLimit: number; onError: OnError; method: string; uri: string; version: string; externalPath: string };
  resolvers: Omit<ResolversConfig, "name" | "nameservers" | "origin"> & { resolvePrefer: "ipv4" | "ipv6" };
};

// ---- the stats listener (issue 16): schema-stats.ts and stats-listener.ts read it from the config ----

/** Where the Prometheus exporter answers: `http-request use-service prometheus-exporter [if { path|path_beg P }]`. */
export interface MetricsRoute {
  /** Undefined: every request of the section. */
  readonly path?: string;
  readonly prefix: boolean;
}

export interface StatsListenerConfig {
  name: string;
  binds: { host: string; port: number; origin: Origin }[];
  /** `monitor-uri URI`: answered 200 "Service ready." before anything else. */
  monitorUri?: string;
  /** The page's path; undefined: the section serves metrics only (no `stats` line). */
  uri?: string;
  /** `stats refresh`: ms between the page's own reloads; undefined: none. */
  refresh?: number;
  /** `stats auth user:pass` lines; empty: no authentication. */
  auth: { user: string; password: string }[];
  realm: string;
  showLegends: boolean;
  hideVersion: boolean;
  metrics?: MetricsRoute;
  /** `stats admin if|unless <cond>`: which requests may change servers (the page's forms, the JSON API); absent: none. */
  admin?: Condition;
  /** `stats scope`: the proxies the page, CSV and JSON show (`.` already replaced by the section's name); absent: all. */
  scope?: string[];
  /** `stats show-node [NAME]`: the node name shown at the top of the page (true: the global `node`, else the host's name). */
  showNode?: string | true;
  /** `stats show-desc [TEXT]`: the description shown at the top of the page (true: the global `description`). */
  showDesc?: string | true;
  /** `stats show-modules`: the modules' counters in each proxy's rows. */
  showModules?: boolean;
  /** `stats http-request` lines (a section that routes or a backend only: compiled with its rules). */
  requestRules?: RuleLine[];
  origin: Origin;
}

