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
  origin: Origin;
}

export interface BackendConfig {
  name: string;
  mode: Mode;
  balance: "roundrobin";
  servers: ServerConfig[];
  retries: number;
  timeouts: Timeouts;
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
  origin: Origin;
}

export interface GlobalConfig {
  maxconn: number;
  hardStopAfter: number;
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
  global: { maxconn: 4096, hardStopAfter: 30000 },
} as const satisfies {
  mode: Mode;
  balance: "roundrobin";
  retries: number;
  timeouts: Timeouts;
  global: GlobalConfig;
};
