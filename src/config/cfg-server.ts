// The options of a haproxy.cfg `server` or `default-server` line → the raw
// entry both syntaxes share (YAML spells the same keys). Only the words are
// read here; what the values mean is schema-parts.ts's business.
//
// HAProxy's `no-<flag>` words turn off a flag a `default-server` line set
// (`no-check`, `no-backup`...), and `enabled` undoes `disabled`: they write
// the flag as false, so the server's own line wins over what it inherits.

const SERVER_FLAGS = new Set([
  "backup",
  "disabled",
  "send-proxy",
  "ssl",
  // TLS: `no-ssl-reuse` and `no-tls-tickets` are these flags' negations.
  "ssl-reuse",
  "tls-tickets",
  // Health checks.
  "check",
  "check-send-proxy",
  "check-ssl",
  "check-via-socks4",
  "agent-check",
]);
/** Flags whose word starts with `no-` (TLS versions a server must not use); they are not negations. */
const NO_FLAGS = new Set(["no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13"]);
/** Server options that take a value → what the value is, for the usage message. */
const SERVER_VALUES: Record<string, string> = {
  weight: "<number>",
  maxconn: "<number>",
  "pool-max-conn": "<number>",
  "pool-purge-delay": "<time>",
  "pool-low-conn": "<number>",
  proto: "h1|h2",
  "max-reuse": "<number>",
  verify: "none|required",
  "ca-file": "<file>",
  sni: "<expression>",
  verifyhost: "<name>",
  "ssl-min-ver": "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3",
  "ssl-max-ver": "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3",
  ciphers: "<ciphers>",
  ciphersuites: "<ciphersuites>",
  alpn: "<protocol>[,<protocol>...]",
  crt: "<file>",
  "check-sni": "<name>",
  "check-alpn": "<protocol>[,<protocol>...]",
  // balancing and queues (issue 14, balance)
  maxqueue: "<number>",
  minconn: "<number>",
  slowstart: "<time>",
  "init-addr": "last,libc,none,<ip>",
  // Resolution at run time (schema-resolvers.ts).
  resolvers: "<id>",
  "resolve-prefer": "ipv4|ipv6",
  // Health checks (issue 14, checks).
  inter: "<time>",
  fastinter: "<time>",
  downinter: "<time>",
  rise: "<number>",
  fall: "<number>",
  port: "<port>",
  addr: "<address>",
  observe: "layer4|layer7",
  "error-limit": "<number>",
  "on-error": "fastinter|fail-check|sudden-death|mark-down",
  "on-marked-down": "shutdown-sessions",
  "on-marked-up": "shutdown-backup-sessions",
  track: "[<backend>/]<server>",
  "agent-port": "<port>",
  "agent-addr": "<address>",
  "agent-inter": "<time>",
  "agent-send": "<string>",
  // Persistence (issue 15, cookie).
  cookie: "<value>",
  socks4: "<addr>:<port>",
  redir: "<prefix>",
};
const SERVER_OPTIONS = [
  "weight",
  "backup",
  "disabled",
  "maxconn",
  "pool-max-conn",
  "pool-purge-delay",
  "pool-low-conn",
  "send-proxy",
  "proto",
  "max-reuse",
  "ssl",
  "verify",
  "ca-file",
  "sni",
  "verifyhost",
  "alpn",
  "crt",
  "ssl-min-ver",
  "ssl-max-ver",
  ...NO_FLAGS,
  "ciphers",
  "ciphersuites",
  "ssl-reuse",
  "tls-tickets",
  // balancing and queues (issue 14, balance)
  "maxqueue",
  "minconn",
  "slowstart",
  "init-addr",
  "resolvers",
  "resolve-prefer",
  // Health checks (issue 14, checks).
  "check",
  "inter",
  "fastinter",
  "downinter",
  "rise",
  "fall",
  "port",
  "addr",
  "check-send-proxy",
  "check-ssl",
  "check-sni",
  "check-alpn",
  "observe",
  "error-limit",
  "on-error",
  "on-marked-down",
  "on-marked-up",
  "track",
  "agent-check",
  "agent-port",
  "agent-addr",
  "agent-inter",
  "agent-send",
  // Persistence (issue 15, cookie).
  "cookie",
  "redir",
  // Through a SOCKS4 proxy (schema-proxymisc.ts).
  "socks4",
  "check-via-socks4",
];

/** A flag's negation (HAProxy: `no-check`, `no-ssl`...): its own entry, false. */
const NEGATED = new Map([...SERVER_FLAGS].map((flag) => [`no-${flag}`, flag]));

export type ServerOptions = { entry: Record<string, unknown> } | { error: string };

/** Reads the words after `server <name> <address>` (or after `default-server`). */
export function readServerOptions(options: string[]): ServerOptions {
  const entry: Record<string, unknown> = {};
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (SERVER_FLAGS.has(option) || NO_FLAGS.has(option)) {
      entry[option] = true;
    } else if (NEGATED.has(option)) {
      entry[NEGATED.get(option)!] = false;
    } else if (option === "enabled") {
      entry.disabled = false;
    } else if (Object.hasOwn(SERVER_VALUES, option)) {
      const value = options[++i];
      if (value === undefined) return { error: `missing argument for '${option}' (usage: ${option} ${SERVER_VALUES[option]})` };
      entry[option] = value;
    } else {
      return { error: `option '${option}' is not supported yet (supported: ${SERVER_OPTIONS.join(", ")}, enabled, no-<flag>)` };
    }
  }
  return { entry };
}
