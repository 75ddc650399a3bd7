// The health checks' shapes in the configuration (issue 14, checks; issue 19's
// protocol checks): a server's active check, passive observation, the HTTP and
// TCP check scripts. types.ts re-exports them with the rest of the Config.

/** A server's active check: `check`, `inter`, `fastinter`, `downinter`, `rise`, `fall`, `port`, `addr`, `check-send-proxy`. */
/** `agent-check`: HAProxy's auxiliary agent, asked every `inter` what the server says of itself (check/agent-check.ts). */
export interface ServerAgent {
  port: number;
  /** `agent-addr`: the agent's host; absent: the server's. */
  addr?: string;
  /** `agent-inter`: ms between two questions; default: the server's `inter`, else 2s. */
  inter: number;
  /** `agent-send`: what is sent once connected; absent: nothing. */
  send?: string;
}

export interface ServerCheck {
  /** ms between checks while the server is fully UP. */
  inter: number;
  /** ms between checks while it changes state (and after a passive error); default: inter. */
  fastinter: number;
  /** ms between checks while it is fully DOWN; default: inter. */
  downinter: number;
  /** Consecutive successes that bring it UP. */
  rise: number;
  /** Consecutive failures that bring it DOWN. */
  fall: number;
  /** `port`: checks go to this port instead of the server's. */
  port?: number;
  /** `addr`: checks go to this host instead of the server's. */
  addr?: string;
  /** `check-send-proxy`: each check connection starts with a PROXY v1 header. */
  sendProxy: boolean;
  /** Checks speak TLS with the server's `ssl` options: `check-ssl`, or a server with `ssl` whose checks go to it (no port, no addr), as HAProxy. */
  ssl: boolean;
}

export type OnError = "fastinter" | "fail-check" | "sudden-death" | "mark-down";

/** Passive checks: errors seen in traffic count against the server. */
export interface ServerObserve {
  /** layer4: failed connects; layer7: those and 5xx (but 501, 505) or broken responses. */
  layer: "layer4" | "layer7";
  /** Consecutive errors that trigger `onError` (default 10). */
  errorLimit: number;
  onError: OnError;
}

/** `http-check expect [!] status|rstatus|string|rstring <pattern>`. */
export interface HttpCheckExpect {
  negate: boolean;
  match: "status" | "rstatus" | "string" | "rstring";
  pattern: string;
  /** `comment MSG` on the line, or an `http-check comment` line before it: added to a failure's info. */
  comment?: string;
}

/** The request an HTTP check sends: `option httpchk [METH] [URI] [VER]` and `http-check send`. */
export interface HttpCheckRequest {
  method: string;
  uri: string;
  version: string;
  /** `http-check send hdr NAME VALUE`, in order. */
  headers: [string, string][];
  /** `http-check send body STRING`: sent with its content-length. */
  body?: string;
}

/** One `tcp-check` rule. */
export type TcpCheckStep =
  | { kind: "connect"; port?: number; comment?: string }
  | { kind: "send"; data: string; comment?: string }
  /** `binary`: the pattern as hex digits (`tcp-check expect binary 2b504f4e47`). */
  | { kind: "expect"; negate: boolean; match: "string" | "rstring" | "binary"; pattern: string; comment?: string }
  /**
   * `tcp-check comment MSG`: a rule of its own (it counts in the steps'
   * numbers, as HAProxy's) that names the next one; a failure of that one
   * says it, as a `comment MSG` written on its line does.
   */
  | { kind: "comment"; text: string };

/**
 * How a backend's servers with `check` are checked: a TCP connect (the
 * default), an HTTP request (`option httpchk`), or a `tcp-check` script
 * (`option tcp-check`).
 */
export type HealthCheck =
  | { kind: "connect" }
  | {
    kind: "http";
    request: HttpCheckRequest;
    expects: HttpCheckExpect[];
    /** `http-check disable-on-404`: a 404 puts an UP server in NOLB (no new load-balanced traffic, persistent traffic still). */
    disableOn404?: true;
    /** `http-check send-state`: each check request carries X-Haproxy-Server-State. */
    sendState?: true;
  }
  | { kind: "tcp-check"; steps: TcpCheckStep[] }
  | ExternalCheck
  | ProtocolCheck;

/**
 * `option external-check` (HAProxy's): each check runs `command` with the
 * arguments <proxy_address> <proxy_port> <server_address> <server_port> and
 * HAProxy's HAPROXY_* environment; exit status 0 passes.
 */
export interface ExternalCheck {
  kind: "external";
  /** `external-check command`: a path, or a name looked up in `path`. */
  command: string;
  /** `external-check path`: the program's PATH (HAProxy's default: empty). */
  path: string;
  /** The proxy's first bind (a listen's), absent for a backend: the program then gets "NOT_USED". */
  proxyAddress?: { host: string; port: number };
}

/**
 * The checks HAProxy builds as tcp-check sequences of its own: `option
 * redis-check` (PING, +PONG), `option mysql-check [user NAME [post-41|pre-41]]`
 * (the server's greeting; with a user, a login and QUIT), `option pgsql-check
 * user NAME` (a startup message, an authentication request back), `option
 * ssl-hello-chk` (a TLS ClientHello, a TLS record back).
 */
export type ProtocolCheck =
  | { kind: "redis" }
  | { kind: "mysql"; user?: string; post41: boolean }
  | { kind: "pgsql"; user: string }
  | { kind: "ssl-hello" };

// ---- end of health checks
