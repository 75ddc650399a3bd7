import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";
import { BACKEND_KEYWORDS } from "./backend-keywords.ts";

// Connection reuse: `http-reuse` (defaults, backend, listen),
// `max-session-srv-conns` (defaults, frontend, listen) and the server options
// `pool-max-conn`, `pool-purge-delay`, `pool-low-conn`, `send-proxy`.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const TIME = "(expected a number with unit us, ms, s, m, h or d)";
const REUSE = "(expected never, safe, aggressive or always)";

const POOL_DEFAULTS = { poolMaxConn: -1, poolPurgeDelay: 5000, poolLowConn: 0, sendProxy: false };

describe("built-in values when nothing sets them", () => {
  test.each([
    [
      "haproxy.cfg",
      cfg(
        "frontend web",
        "    bind :80",
        "    default_backend api",
        "backend api",
        "    server a1 127.0.0.1:9001",
        "listen db :5432",
        "    server pg 127.0.0.1:5433",
      ),
    ],
    [
      "YAML",
      yaml(
        "frontends:",
        "  web: { bind: ':80', default_backend: api }",
        "backends:",
        "  api: { servers: { a1: '127.0.0.1:9001' } }",
        "listen:",
        "  db: { bind: ':5432', servers: { pg: { address: '127.0.0.1:5433' } } }",
      ),
    ],
  ])(
    "%s: http-reuse safe, max-session-srv-conns 5, pool defaults, no PROXY header",
    (_, source) => {
      const c = loadOk(source);
      expect(c.frontends.map((f) => [f.name, f.maxSessionSrvConns])).toEqual([["web", 5], [
        "db",
        5,
      ]]);
      expect(c.backends.map((b) => [b.name, b.httpReuse])).toEqual([["api", "safe"], [
        "db",
        "safe",
      ]]);
      for (const b of c.backends) expect(b.servers[0]).toMatchObject(POOL_DEFAULTS);
    },
  );
});

describe("http-reuse", () => {
  test.each(["never", "safe", "aggressive", "always"])("haproxy.cfg and YAML: %s", (mode) => {
    const fromCfg = loadOk(
      cfg("backend api", `    http-reuse ${mode}`, "    server a 127.0.0.1:1"),
    );
    const fromYaml = loadOk(
      yaml("backends:", `  api: { http-reuse: ${mode}, servers: { a: '127.0.0.1:1' } }`),
    );
    expect(fromCfg.backends[0]!.httpReuse).toBe(mode);
    expect(fromYaml.backends[0]!.httpReuse).toBe(mode);
  });

  test("haproxy.cfg: a defaults section applies to the backends after it; a backend's own wins", () => {
    const c = loadOk(cfg(
      "backend before",
      "    server a 127.0.0.1:1",
      "defaults",
      "    http-reuse never",
      "backend inherited",
      "    server a 127.0.0.1:1",
      "backend own",
      "    http-reuse always",
      "    server a 127.0.0.1:1",
      "listen both :81",
      "    server a 127.0.0.1:1",
      "defaults",
      "backend reset",
      "    server a 127.0.0.1:1",
    ));
    expect(c.backends.map((b) => [b.name, b.httpReuse])).toEqual([
      ["before", "safe"],
      ["inherited", "never"],
      ["own", "always"],
      ["both", "never"],
      ["reset", "safe"],
    ]);
  });

  test("YAML: defaults apply to every backend of the file; a backend's own wins; a listen may set it", () => {
    const c = loadOk(yaml(
      "defaults:",
      "  http-reuse: aggressive",
      "backends:",
      "  inherited: { servers: { a: '127.0.0.1:1' } }",
      "  own: { http-reuse: never, servers: { a: '127.0.0.1:1' } }",
      "listen:",
      "  db: { bind: ':5432', http-reuse: always, servers: { a: '127.0.0.1:1' } }",
    ));
    expect(c.backends.map((b) => [b.name, b.httpReuse])).toEqual([
      ["inherited", "aggressive"],
      ["own", "never"],
      ["db", "always"],
    ]);
  });

  test.each([
    [
      "a value HAProxy does not know",
      cfg("backend api", "    http-reuse sometimes"),
      `sluice.cfg:2: backend 'api': invalid http-reuse 'sometimes' ${REUSE}`,
    ],
    [
      "values are case-sensitive, in defaults too",
      cfg("defaults", "    http-reuse Safe"),
      `sluice.cfg:2: defaults: invalid http-reuse 'Safe' ${REUSE}`,
    ],
    [
      "no value",
      cfg("backend api", "    http-reuse"),
      "sluice.cfg:2: backend 'api': missing argument for 'http-reuse' (usage: http-reuse never|safe|aggressive|always)",
    ],
    [
      "two values",
      cfg("backend api", "    http-reuse safe never"),
      "sluice.cfg:2: backend 'api': too many arguments for 'http-reuse': 'never' (usage: http-reuse never|safe|aggressive|always)",
    ],
    [
      "in a frontend",
      cfg("frontend web", "    bind :80", "    http-reuse safe"),
      "sluice.cfg:3: frontend 'web': 'http-reuse' is not allowed in a frontend section",
    ],
    [
      "in global",
      cfg("global", "    http-reuse safe"),
      "sluice.cfg:2: global: 'http-reuse' is not allowed in a global section",
    ],
    [
      "YAML: a value HAProxy does not know",
      yaml("backends:", "  api:", "    http-reuse: sometimes"),
      `sluice.yaml:3:17: backend 'api': invalid http-reuse 'sometimes' ${REUSE}`,
    ],
    [
      "YAML: not a string",
      yaml("defaults:", "  http-reuse: true"),
      `sluice.yaml:2:15: defaults: invalid http-reuse true ${REUSE}`,
    ],
    [
      "YAML: in a frontend",
      yaml("frontends:", "  web:", "    bind: ':80'", "    http-reuse: safe"),
      "sluice.yaml:4:5: frontend 'web': 'http-reuse' is not allowed in a frontend section",
    ],
  ])("error: %s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("max-session-srv-conns", () => {
  test("haproxy.cfg: a frontend's own, else its defaults', else 5; a listen may set it", () => {
    const c = loadOk(cfg(
      "frontend before",
      "    bind :1",
      "    default_backend b",
      "defaults",
      "    max-session-srv-conns 10",
      "frontend inherited",
      "    bind :2",
      "    default_backend b",
      "frontend own",
      "    bind :3",
      "    max-session-srv-conns 0",
      "    default_backend b",
      "listen db :4",
      "    max-session-srv-conns 2",
      "    server a 127.0.0.1:1",
      "backend b",
      "    server a 127.0.0.1:1",
    ));
    expect(c.frontends.map((f) => [f.name, f.maxSessionSrvConns])).toEqual([
      ["before", 5],
      ["inherited", 10],
      ["own", 0],
      ["db", 2],
    ]);
  });

  test("YAML: defaults apply to every frontend of the file; a frontend's own wins", () => {
    const c = loadOk(yaml(
      "defaults:",
      "  max-session-srv-conns: 7",
      "frontends:",
      "  inherited: { bind: ':1', default_backend: b }",
      "  own: { bind: ':2', default_backend: b, max-session-srv-conns: '100' }",
      "backends:",
      "  b: { servers: { a: '127.0.0.1:1' } }",
    ));
    expect(c.frontends.map((f) => [f.name, f.maxSessionSrvConns])).toEqual([
      ["inherited", 7],
      ["own", 100],
    ]);
  });

  test.each([
    [
      "negative",
      cfg("defaults", "    max-session-srv-conns -1"),
      "sluice.cfg:2: defaults: max-session-srv-conns -1 is out of range (at least 0)",
    ],
    [
      "not a number",
      cfg("frontend web", "    bind :80", "    max-session-srv-conns lots"),
      "sluice.cfg:3: frontend 'web': invalid max-session-srv-conns 'lots' (expected an integer, at least 0)",
    ],
    [
      "no value",
      cfg("defaults", "    max-session-srv-conns"),
      "sluice.cfg:2: defaults: missing argument for 'max-session-srv-conns' (usage: max-session-srv-conns <number>)",
    ],
    [
      "in a backend",
      cfg("backend api", "    max-session-srv-conns 3", "    server a 127.0.0.1:1"),
      "sluice.cfg:2: backend 'api': 'max-session-srv-conns' is not allowed in a backend section",
    ],
    [
      "in global",
      cfg("global", "    max-session-srv-conns 3"),
      "sluice.cfg:2: global: 'max-session-srv-conns' is not allowed in a global section",
    ],
    [
      "YAML: not an integer",
      yaml("frontends:", "  web:", "    bind: ':80'", "    max-session-srv-conns: 1.5"),
      "sluice.yaml:4:28: frontend 'web': invalid max-session-srv-conns 1.5 (expected an integer, at least 0)",
    ],
    [
      "YAML: in a backend",
      yaml("backends:", "  api:", "    max-session-srv-conns: 1"),
      "sluice.yaml:3:5: backend 'api': 'max-session-srv-conns' is not allowed in a backend section",
    ],
  ])("error: %s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("server pool options and send-proxy", () => {
  test("haproxy.cfg: each option reaches its server; the others keep their defaults", () => {
    const c = loadOk(cfg(
      "backend api",
      "    server all 127.0.0.1:1 pool-max-conn 10 pool-purge-delay 1s pool-low-conn 2 send-proxy weight 4",
      "    server unlimited 127.0.0.1:2 pool-max-conn -1",
      "    server none 127.0.0.1:3 pool-max-conn 0",
      "    server ms 127.0.0.1:4 pool-purge-delay 500",
      "    server low 127.0.0.1:5 pool-low-conn 3",
      "    server proxied 127.0.0.1:6 send-proxy backup",
    ));
    const servers = c.backends[0]!.servers;
    expect(
      servers.map((s) => [s.name, s.poolMaxConn, s.poolPurgeDelay, s.poolLowConn, s.sendProxy]),
    )
      .toEqual([
        ["all", 10, 1000, 2, true],
        ["unlimited", -1, 5000, 0, false],
        ["none", 0, 5000, 0, false],
        ["ms", -1, 500, 0, false],
        ["low", -1, 5000, 3, false],
        ["proxied", -1, 5000, 0, true],
      ]);
    expect(servers[0]).toMatchObject({ weight: 4, backup: false });
    expect(servers[5]).toMatchObject({ weight: 1, backup: true });
  });

  test("YAML: the object form takes the options under their haproxy.cfg names, in a mapping or a list", () => {
    const c = loadOk(yaml(
      "backends:",
      "  api:",
      "    servers:",
      "      all:",
      "        address: '127.0.0.1:1'",
      "        pool-max-conn: 10",
      "        pool-purge-delay: 1s",
      "        pool-low-conn: '2'",
      "        send-proxy: true",
      "      ms: { address: '127.0.0.1:2', pool-purge-delay: 500, send-proxy: false }",
      "      short: '127.0.0.1:3'",
      "  listed:",
      "    servers: [{ name: l1, address: '127.0.0.1:4', pool-max-conn: '-1', send-proxy: true }]",
    ));
    const [api, listed] = c.backends;
    expect(
      api!.servers.map((
        s,
      ) => [s.name, s.poolMaxConn, s.poolPurgeDelay, s.poolLowConn, s.sendProxy]),
    )
      .toEqual([
        ["all", 10, 1000, 2, true],
        ["ms", -1, 500, 0, false],
        ["short", -1, 5000, 0, false],
      ]);
    expect(listed!.servers[0]).toMatchObject({ ...POOL_DEFAULTS, sendProxy: true });
  });

  test("both syntaxes give the same servers", () => {
    const fromCfg = loadOk(cfg(
      "backend api",
      "    server a 127.0.0.1:1 pool-max-conn 3 pool-purge-delay 2m pool-low-conn 1 send-proxy",
    ));
    const fromYaml = loadOk(yaml(
      "backends:",
      "  api:",
      "    servers:",
      "      a: { address: '127.0.0.1:1', pool-max-conn: 3, pool-purge-delay: 2m,",
      "           pool-low-conn: 1, send-proxy: true }",
    ));
    const { origin: _a, ...a } = fromCfg.backends[0]!.servers[0]!;
    const { origin: _b, ...b } = fromYaml.backends[0]!.servers[0]!;
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      poolMaxConn: 3,
      poolPurgeDelay: 120000,
      poolLowConn: 1,
      sendProxy: true,
    });
  });

  test.each([
    [
      "pool-max-conn below -1",
      cfg("backend api", "    server a1 127.0.0.1:1 pool-max-conn -2"),
      "sluice.cfg:2: backend 'api': server 'a1': pool-max-conn -2 is out of range (at least -1)",
    ],
    [
      "pool-max-conn not a number",
      cfg("backend api", "    server a1 127.0.0.1:1 pool-max-conn many"),
      "sluice.cfg:2: backend 'api': server 'a1': invalid pool-max-conn 'many' (expected an integer, at least -1)",
    ],
    [
      "pool-low-conn negative",
      cfg("backend api", "    server a1 127.0.0.1:1 pool-low-conn -1"),
      "sluice.cfg:2: backend 'api': server 'a1': pool-low-conn -1 is out of range (at least 0)",
    ],
    [
      "pool-purge-delay not a time",
      cfg("backend api", "    server a1 127.0.0.1:1 pool-purge-delay 5x"),
      `sluice.cfg:2: backend 'api': server 'a1': pool-purge-delay: invalid time '5x' ${TIME}`,
    ],
    [
      "pool-purge-delay without a value",
      cfg("backend api", "    server a1 127.0.0.1:1 pool-purge-delay"),
      "sluice.cfg:2: backend 'api': server 'a1': missing argument for 'pool-purge-delay' (usage: pool-purge-delay <time>)",
    ],
    [
      "pool-max-conn without a value",
      cfg("backend api", "    server a1 127.0.0.1:1 send-proxy pool-max-conn"),
      "sluice.cfg:2: backend 'api': server 'a1': missing argument for 'pool-max-conn' (usage: pool-max-conn <number>)",
    ],
    [
      "send-proxy takes no value",
      cfg("backend api", "    server a1 127.0.0.1:1 send-proxy v1"),
      "sluice.cfg:2: backend 'api': server 'a1': option 'v1' is not supported yet (supported: weight, backup, disabled, maxconn, pool-max-conn, pool-purge-delay, pool-low-conn, send-proxy, proto, max-reuse, ssl, verify, ca-file, sni, verifyhost, alpn, crt, ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, ciphers, ciphersuites, ssl-reuse, tls-tickets, maxqueue, minconn, slowstart, init-addr, resolvers, resolve-prefer, check, inter, fastinter, downinter, rise, fall, port, addr, check-send-proxy, check-ssl, check-sni, check-alpn, observe, error-limit, on-error, on-marked-down, on-marked-up, track, agent-check, agent-port, agent-addr, agent-inter, agent-send, cookie, redir, socks4, check-via-socks4, enabled, no-<flag>)",
    ],
    [
      "YAML: send-proxy not a boolean",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', send-proxy: 'yes' }",
      ),
      "sluice.yaml:4:49: backend 'api': server 'a1': invalid send-proxy 'yes' (expected true or false)",
    ],
    [
      "YAML: pool-max-conn out of range",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', pool-max-conn: -5 }",
      ),
      "sluice.yaml:4:52: backend 'api': server 'a1': pool-max-conn -5 is out of range (at least -1)",
    ],
    [
      "YAML: pool-low-conn not an integer",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', pool-low-conn: 1.5 }",
      ),
      "sluice.yaml:4:52: backend 'api': server 'a1': invalid pool-low-conn 1.5 (expected an integer, at least 0)",
    ],
    [
      "YAML: pool-purge-delay not a time",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', pool-purge-delay: soon }",
      ),
      `sluice.yaml:4:55: backend 'api': server 'a1': pool-purge-delay: invalid time 'soon' ${TIME}`,
    ],
    [
      "YAML: camelCase is not the spelling",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', sendProxy: true }",
      ),
      "sluice.yaml:4:37: backend 'api': server 'a1': unknown keyword 'sendProxy' (expected one of: address, weight, backup, disabled, maxconn, pool-max-conn, pool-purge-delay, pool-low-conn, send-proxy, proto, max-reuse, ssl, verify, ca-file, sni, verifyhost, alpn, crt, ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, ciphers, ciphersuites, ssl-reuse, tls-tickets, check-sni, check-alpn, maxqueue, minconn, slowstart, init-addr, resolvers, resolve-prefer, check, inter, fastinter, downinter, rise, fall, port, addr, check-send-proxy, check-ssl, observe, error-limit, on-error, on-marked-down, on-marked-up, track, agent-check, agent-port, agent-addr, agent-inter, agent-send, cookie, redir, socks4, check-via-socks4)",
    ],
    [
      "YAML: a server option is not a backend keyword",
      yaml("backends:", "  api:", "    send-proxy: true", "    servers: { a1: '127.0.0.1:1' }"),
      `sluice.yaml:3:5: backend 'api': unknown keyword 'send-proxy' (expected one of: ${BACKEND_KEYWORDS})`,
    ],
    [
      "haproxy.cfg: a server option is not a section keyword",
      cfg("backend api", "    pool-max-conn 3"),
      "sluice.cfg:2: backend 'api': keyword 'pool-max-conn' is not supported yet",
    ],
  ])("error: %s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});
