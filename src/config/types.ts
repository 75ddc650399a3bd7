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
  timeouts: { connect: 5000, client: 50000, server: 50000 },
  httpMode: "keep-alive",
  httpReuse: "safe",
  maxSessionSrvConns: 5,
  pool: { maxConn: -1, purgeDelay: 5000, lowConn: 0 },
  forwardForHeader: "X-Forwarded-For",
  logTarget: { kind: "stderr", format: "raw" },
  global: { maxconn: 4096, hardStopAfter: 30000, bufsize: 16384, maxHeaderFields: 101, h2BackendMaxConcurrentStreams: 100 },
  /**
   * HTTP/2 connections to servers, where no keyword sets it: the receive
   * window we grant per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the
   * whole connection, and the SETTINGS_MAX_HEADER_LIST_SIZE we announce and
   * enforce.
   */
  h2Backend: { streamWindow: 256 * 1024, connectionWindow: 16 * 1024 * 1024, maxHeaderListSize: 64 * 1024 },
} as const satisfies {
  mode: Mode;
  balance: "roundrobin";
  retries: number;
  timeouts: Timeouts;
  httpMode: HttpConnectionMode;
  httpReuse: HttpReuse;
  maxSessionSrvConns: number;
  pool: { maxConn: number; purgeDelay: number; lowConn: number };
  forwardForHeader: string;
  logTarget: LogTarget;
  global: Omit<GlobalConfig, "logTargets">;
  h2Backend: { streamWindow: number; connectionWindow: number; maxHeaderListSize: number };
};
