// What the proxy core consumes: every default applied, every time in ms.
// The valibot schemas in model.ts produce the pieces; build.ts assembles them
// into this shape.

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
}

/** Where a thing was written. `col` only for YAML/JSON. */
export interface Origin {
  file: string;
  line?: number;
  col?: number;
}

export interface BindConfig {
  /** "0.0.0.0" for `:port`/`*:port`; "::1" (no brackets) for `[::1]:port`. */
  host: string;
  port: number;
  /** `proto h2`: the clients of this bind speak HTTP/2 without TLS (prior knowledge); unset: HTTP/1.1 (or ALPN's choice on TLS). */
  proto?: "h2";
  origin: Origin;
}

export interface ServerConfig {
  name: string;
  host: string;
  port: number;
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
  origin: Origin;
}

/**
 * `http-reuse never | safe | aggressive | always` (default safe): which
 * backend connections a stream may take from the shared pools
 * (../shared/docs/connection-ownership.md).
 */
export type HttpReuse = "never" | "safe" | "aggressive" | "always";

/** `option forwardfor [except NETWORK] [header NAME] [if-none]`. */
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

/** One `log` line: `log stdout|stderr|FILE [format raw|json]`. */
export interface LogTarget {
  kind: "stdout" | "stderr" | "file";
  /** kind "file" only: as written if absolute, else joined to the directory of the config file that names it. */
  path?: string;
  format: "raw" | "json";
}

/**
 * `errorfile CODE FILE`, read at load: code → a complete raw HTTP response
 * (status line, headers, CRLF CRLF, body) to send as is. The head's line
 * endings are CRLF even where the file had bare LF.
 */
export type ErrorFiles = Record<number, Uint8Array>;

export interface BackendConfig {
  name: string;
  mode: Mode;
  balance: "roundrobin";
  servers: ServerConfig[];
  retries: number;
  timeouts: Timeouts;
  forwardFor?: ForwardFor;
  forwarded?: Forwarded;
  httpMode: HttpConnectionMode;
  /** Inherited from `defaults` code by code; the section's own win. */
  errorFiles: ErrorFiles;
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
  origin: Origin;
}

export interface FrontendConfig {
  name: string;
  mode: Mode;
  binds: BindConfig[];
  /** Undefined: no backend, every connection is refused (load warns). */
  defaultBackend?: string;
  maxconn: number;
  timeouts: Timeouts;
  /** From `option tcplog` / `option httplog`; undefined: no traffic log asked for. */
  log?: "tcp" | "http";
  /** `log-format` as written; parseLogFormat (src/log/format.ts) accepts it. */
  logFormat?: string;
  /**
   * Where this frontend's traffic logs go: the `log` lines of its `defaults`
   * then its own (HAProxy adds them up), `log global` replaced by the global
   * targets, duplicates removed. Empty: no traffic log. When no section of
   * the configuration has a `log` line, every frontend logs to stderr (raw).
   */
  logTargets: LogTarget[];
  forwardFor?: ForwardFor;
  httpMode: HttpConnectionMode;
  /** Inherited from `defaults` code by code; the section's own win. */
  errorFiles: ErrorFiles;
  /** `max-session-srv-conns N`: idle private backend connections a session keeps (default 5). */
  maxSessionSrvConns: number;
  origin: Origin;
}

export interface GlobalConfig {
  maxconn: number;
  hardStopAfter: number;
  /** `tune.bufsize`: bytes, 1024-1048576, default 16384. */
  bufsize: number;
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
  /**
   * The global section's `log` lines (of every file, in order): where sluice's
   * own messages go and what `log global` means. Default: stderr, raw.
   */
  logTargets: LogTarget[];
}

export interface Config {
  global: GlobalConfig;
  frontends: FrontendConfig[];
  backends: BackendConfig[];
}

/** Values used when neither the proxy nor its `defaults` set them. */
export const BUILTIN = {
  mode: "tcp",
  balance: "roundrobin",
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
  global: { maxconn: 4096, hardStopAfter: 30000, bufsize: 16384, maxHeaderFields: 101, h2BackendMaxConcurrentStreams: 100, h2FrontendMaxConcurrentStreams: 100, h2HeaderTableSize: 4096, h2InitialWindowSize: 65535, h2FrontendGlitchesThreshold: 1000, h2FrontendMaxControlFramesPerSec: 100 },
} as const satisfies {
  mode: Mode;
  balance: "roundrobin";
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
  global: Omit<GlobalConfig, "logTargets">;
};
