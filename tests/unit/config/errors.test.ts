import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../src/config/errors.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { errorsOf, lines, warningsOf } from "./helpers.ts";
import { BACKEND_KEYWORDS } from "./backend-keywords.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const TIME = "(expected a number with unit us, ms, s, m, h or d)";

/** A valid frontend/backend pair to put next to the line under test. */
const PAIR = [
  "frontend web",
  "    bind :80",
  "    default_backend api",
  "backend api",
  "    server a1 127.0.0.1:9001",
];

describe("ConfigError", () => {
  test("formats FILE:LINE: CONTEXT: DETAIL, with :COL when known, FILE alone without a line", () => {
    const e = new ConfigError(
      { file: "sluice.cfg", line: 14 },
      ["backend 'api'", "server 'a1'"],
      "port 99999 is out of range (1-65535)",
    );
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe(
      "sluice.cfg:14: backend 'api': server 'a1': port 99999 is out of range (1-65535)",
    );
    expect(String(e)).toBe(e.message);
    expect(e).toMatchObject({
      file: "sluice.cfg",
      line: 14,
      context: ["backend 'api'", "server 'a1'"],
      detail: "port 99999 is out of range (1-65535)",
    });
    expect(new ConfigError({ file: "s.yaml", line: 3, col: 5 }, ["global"], "x").message).toBe(
      "s.yaml:3:5: global: x",
    );
    expect(new ConfigError({ file: "s.cfg" }, [], "cannot read file").message).toBe(
      "s.cfg: cannot read file",
    );
  });
});

describe("haproxy.cfg errors", () => {
  test.each([
    [
      "port out of range",
      ["backend api", "    server a1 127.0.0.1:99999"],
      "sluice.cfg:2: backend 'api': server 'a1': port 99999 is out of range (1-65535)",
    ],
    [
      "bad bind address",
      ["frontend web", "    bind 127.0.0.1:80,nohost"],
      "sluice.cfg:2: frontend 'web': bind: missing port in 'nohost' (expected HOST:PORT, :PORT, *:PORT, [IPv6]:PORT or IPv6:PORT)",
    ],
    [
      "bad time",
      ["defaults", "    timeout connect 5x"],
      `sluice.cfg:2: defaults: timeout connect: invalid time '5x' ${TIME}`,
    ],
    [
      "bad global time",
      ["global", "    hard-stop-after soon"],
      `sluice.cfg:2: global: hard-stop-after: invalid time 'soon' ${TIME}`,
    ],
    [
      "unknown timeout",
      ["defaults", "    timeout tarpitt 5s"],
      "sluice.cfg:2: defaults: unknown timeout 'tarpitt' (expected one of: connect, client, server, queue, tunnel, client-fin, server-fin, http-request, http-keep-alive, check, tarpit)",
    ],
    [
      "not-supported keyword",
      ["global", "    frobnicate"],
      "sluice.cfg:2: global: keyword 'frobnicate' is not supported yet",
    ],
    [
      "ring buffer log targets are refused with the reason",
      ["defaults", "    log ring@buf local0"],
      "sluice.cfg:2: defaults: log: 'ring@buf': ring buffers are not supported (sluice has no 'ring' sections nor 'show events'); log to a syslog address, a unix socket, stdout or stderr",
    ],
    [
      "unsupported section",
      ["mailers mymailers"],
      "sluice.cfg:1: section 'mailers' is not supported: sluice sends no mail",
    ],
    [
      "keyword not allowed in section",
      ["backend api", "    bind :80"],
      "sluice.cfg:2: backend 'api': 'bind' is not allowed in a backend section",
    ],
    [
      "server not allowed in a frontend",
      ["frontend web", "    server a 127.0.0.1:1"],
      "sluice.cfg:2: frontend 'web': 'server' is not allowed in a frontend section",
    ],
    [
      "default_backend not allowed in defaults",
      ["defaults", "    default_backend api"],
      "sluice.cfg:2: defaults: 'default_backend' is not allowed in a defaults section",
    ],
    [
      "proxy keyword in global",
      ["global", "    mode tcp"],
      "sluice.cfg:2: global: 'mode' is not allowed in a global section",
    ],
    [
      "timeout not allowed in section",
      ["frontend web", "    timeout server 5s"],
      "sluice.cfg:2: frontend 'web': 'timeout server' is not allowed in a frontend section",
    ],
    [
      "missing argument",
      ["global", "    maxconn"],
      "sluice.cfg:2: global: missing argument for 'maxconn' (usage: maxconn <number>)",
    ],
    [
      "too many arguments",
      ["backend api", "    retries 3 4"],
      "sluice.cfg:2: backend 'api': too many arguments for 'retries': '4' (usage: retries <number>)",
    ],
    [
      "missing server address",
      ["backend api", "    server a1"],
      "sluice.cfg:2: backend 'api': missing argument for 'server' (usage: server <name> <address> [weight <n>] [backup] [disabled] [maxconn <n>] [minconn <n>] [pool-max-conn <n>] [pool-purge-delay <time>] [pool-low-conn <n>] [send-proxy] [proto h1|h2] [max-reuse <n>] [maxqueue <n>] [slowstart <time>] [init-addr <methods>] [check] [inter <time>] [fastinter <time>] [downinter <time>] [rise <n>] [fall <n>] [port <port>] [addr <address>] [check-send-proxy] [check-ssl] [observe layer4|layer7] [error-limit <n>] [on-error <action>] [ssl [verify none|required] [verifyhost <name>] [ca-file <file>] [sni <expression>] [alpn <list>] [crt <file>] [ssl-min-ver <version>] [ssl-max-ver <version>] [ciphers <list>] [ciphersuites <list>] [no-ssl-reuse] [no-tls-tickets]] [cookie <value>])",
    ],
    [
      "missing server option value",
      ["backend api", "    server a1 127.0.0.1:1 weight"],
      "sluice.cfg:2: backend 'api': server 'a1': missing argument for 'weight' (usage: weight <number>)",
    ],
    [
      "unknown server option",
      ["backend api", "    server a1 127.0.0.1:1 tfo"],
      "sluice.cfg:2: backend 'api': server 'a1': option 'tfo' is not supported yet (supported: weight, backup, disabled, maxconn, pool-max-conn, pool-purge-delay, pool-low-conn, send-proxy, proto, max-reuse, ssl, verify, ca-file, sni, verifyhost, alpn, crt, ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, ciphers, ciphersuites, ssl-reuse, tls-tickets, maxqueue, minconn, slowstart, init-addr, resolvers, resolve-prefer, check, inter, fastinter, downinter, rise, fall, port, addr, check-send-proxy, check-ssl, check-sni, check-alpn, observe, error-limit, on-error, on-marked-down, on-marked-up, track, agent-check, agent-port, agent-addr, agent-inter, agent-send, cookie, redir, socks4, check-via-socks4, enabled, no-<flag>)",
    ],
    [
      "weight out of range",
      ["backend api", "    server a1 127.0.0.1:1 weight 257"],
      "sluice.cfg:2: backend 'api': server 'a1': weight 257 is out of range (0-256)",
    ],
    [
      "bad number",
      ["defaults", "    retries many"],
      "sluice.cfg:2: defaults: invalid retries 'many' (expected an integer, at least 0)",
    ],
    [
      "unsupported balance",
      ["backend api", "    balance rdp-cookie"],
      "sluice.cfg:2: backend 'api': balance 'rdp-cookie' is not supported yet (supported: roundrobin, static-rr, leastconn, first, random, source, uri, url_param, hdr, hash)",
    ],
    [
      "bad mode",
      ["defaults", "    mode udp"],
      "sluice.cfg:2: defaults: invalid mode 'udp' (expected tcp or http)",
    ],
    [
      "unsupported option",
      ["defaults", "    option http-no-delay"],
      "sluice.cfg:2: defaults: option 'http-no-delay' is not supported yet (supported: tcplog, httplog, forwardfor, originalto, forwarded, http-keep-alive, http-server-close, httpclose, redispatch, idle-close-on-response, allbackups, httpchk, tcp-check, redis-check, mysql-check, pgsql-check, ssl-hello-chk, external-check, dontlognull, dontlog-normal, log-separate-errors, logasap, log-health-checks, http-ignore-probes, tcpka, clitcpka, srvtcpka, abortonclose, prefer-last-server, contstats, http-pretend-keepalive, http-buffer-request, checkcache, h1-case-adjust-bogus-client, h1-case-adjust-bogus-server, splice-auto, splice-request, splice-response)",
    ],
    [
      "bind option",
      ["frontend web", "    bind :443 transparent"],
      "sluice.cfg:2: frontend 'web': bind option 'transparent' is not supported yet (supported: ssl, strict-sni, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, no-tls-tickets, prefer-client-ciphers, accept-proxy, v4v6, v6only, proto, crt, crt-list, default-crt, alpn, ssl-min-ver, ssl-max-ver, ciphers, ciphersuites, curves, verify, ca-file, crl-file, crt-ignore-err, ca-ignore-err, name, mode, user, uid, group, gid)",
    ],
    [
      "missing proxy name",
      ["backend"],
      "sluice.cfg:1: missing name for 'backend' (usage: backend <name>)",
    ],
    [
      "invalid proxy name",
      ["backend 'a b'"],
      "sluice.cfg:1: invalid backend name 'a b' (allowed: letters, digits, '-', '_', '.', ':')",
    ],
    [
      "line before any section",
      ["maxconn 10"],
      "sluice.cfg:1: 'maxconn' appears before any section (expected a section header: global, defaults, frontend, backend or listen)",
    ],
    [
      "unterminated quote",
      ["global", '    maxconn "10'],
      "sluice.cfg:2: global: unterminated double quote",
    ],
  ])("%s", (_, text, message) => {
    // Sections with errors add no cross-check errors of their own: this line's error comes alone.
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });

  test("several errors in one file are all reported, in line order", () => {
    expect(errorsOf(cfg(
      "global",
      "    maxconn lots",
      "    frobnicate",
      "defaults",
      "    timeout client 1x",
      "frontend web",
      "    bind :99999",
      "    default_backend nowhere",
      "backend api",
      "    server a1 127.0.0.1:1 weight -1",
      "    balance sticky",
    ))).toEqual([
      "sluice.cfg:2: global: invalid maxconn 'lots' (expected an integer, at least 1)",
      "sluice.cfg:3: global: keyword 'frobnicate' is not supported yet",
      `sluice.cfg:5: defaults: timeout client: invalid time '1x' ${TIME}`,
      "sluice.cfg:7: frontend 'web': bind: port 99999 is out of range (1-65535)",
      "sluice.cfg:10: backend 'api': server 'a1': weight -1 is out of range (0-256)",
        "sluice.cfg:11: backend 'api': balance 'sticky' is not supported yet (supported: roundrobin, static-rr, leastconn, first, random, source, uri, url_param, hdr, hash)",
    ]);
  });
});

describe("YAML errors carry line:col", () => {
  test.each([
    [
      "unknown keyword",
      ["backends:", "  app:", "    servers: { a1: '127.0.0.1:1' }", "    balanse: roundrobin"],
      `sluice.yaml:4:5: backend 'app': unknown keyword 'balanse' (expected one of: ${BACKEND_KEYWORDS})`,
    ],
    [
      "unknown server keyword",
      ["backends:", "  app:", "    servers:", "      a1: { address: '127.0.0.1:1', wieght: 2 }"],
      "sluice.yaml:4:37: backend 'app': server 'a1': unknown keyword 'wieght' (expected one of: address, weight, backup, disabled, maxconn, pool-max-conn, pool-purge-delay, pool-low-conn, send-proxy, proto, max-reuse, ssl, verify, ca-file, sni, verifyhost, alpn, crt, ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, ciphers, ciphersuites, ssl-reuse, tls-tickets, check-sni, check-alpn, maxqueue, minconn, slowstart, init-addr, resolvers, resolve-prefer, check, inter, fastinter, downinter, rise, fall, port, addr, check-send-proxy, check-ssl, observe, error-limit, on-error, on-marked-down, on-marked-up, track, agent-check, agent-port, agent-addr, agent-inter, agent-send, cookie, redir, socks4, check-via-socks4)",
    ],
    [
      "unknown section",
      ["frontend:", "  web: {}"],
      "sluice.yaml:1:1: unknown section 'frontend' (expected one of: global, defaults, frontends, backends, listen, userlists, peers, caches, resolvers, http-errors)",
    ],
    [
      "keyword not allowed in section",
      ["backends:", "  app:", "    bind: ':80'"],
      "sluice.yaml:3:5: backend 'app': 'bind' is not allowed in a backend section",
    ],
    [
      "port out of range",
      ["backends:", "  app:", "    servers:", "      a1: '127.0.0.1:99999'"],
      "sluice.yaml:4:11: backend 'app': server 'a1': port 99999 is out of range (1-65535)",
    ],
    ["port out of range in a list entry", [
      "backends:",
      "  app:",
      "    servers: [{ name: a1, address: '127.0.0.1:99999' }]",
    ], "sluice.yaml:3:36: backend 'app': server 'a1': port 99999 is out of range (1-65535)"],
    [
      "missing server address",
      ["backends:", "  app:", "    servers:", "      a1: { weight: 2 }"],
      "sluice.yaml:4:7: backend 'app': server 'a1': missing 'address'",
    ],
    [
      "bad time",
      ["defaults:", "  timeout:", "    connect: 5x"],
      `sluice.yaml:3:14: defaults: timeout connect: invalid time '5x' ${TIME}`,
    ],
    [
      "wrong type",
      ["global:", "  maxconn: [1, 2]"],
      "sluice.yaml:2:12: global: invalid maxconn a list (expected an integer, at least 1)",
    ],
    [
      "section not a mapping",
      ["frontends:", "  web: ':80'"],
      "sluice.yaml:2:8: frontend 'web': expected a mapping of frontend keywords, got ':80'",
    ],
    [
      "bad flag",
      ["backends:", "  app:", "    servers: { a1: { address: '127.0.0.1:1', backup: 'yes' } }"],
      "sluice.yaml:3:54: backend 'app': server 'a1': invalid backup 'yes' (expected true or false)",
    ],
    [
      "duplicate key",
      ["backends:", "  app: {}", "  app: {}"],
      "sluice.yaml:3:3: duplicate key 'app' (first defined at sluice.yaml:2:3)",
    ],
    [
      "syntax error",
      ["frontends:", "  web: { bind: ':80'"],
      "sluice.yaml:3:1: Flow map in block collection must be sufficiently indented and end with a }",
    ],
    [
      "document not a mapping",
      ["- a", "- b"],
      "sluice.yaml:1:1: the document must be a mapping of sections (global, defaults, frontends, backends, listen, userlists, peers, caches, resolvers, http-errors)",
    ],
  ])("%s", (_, text, message) => {
    expect(errorsOf(yaml(...text))).toEqual([message]);
  });

  test("JSON positions too", () => {
    expect(errorsOf({ name: "s.json", text: '{\n  "global": { "maxconn": "x" }\n}\n' })).toEqual([
      "s.json:2:26: global: invalid maxconn 'x' (expected an integer, at least 1)",
    ]);
  });

  test("every unknown key of a section is reported", () => {
    expect(errorsOf(yaml("global:", "  a: 1", "  b: 2"))).toEqual([
      "sluice.yaml:2:3: global: unknown keyword 'a' (expected one of: maxconn, maxconnrate, maxsessrate, hard-stop-after, tune.bufsize, tune.http.maxhdr, tune.h2.be.max-concurrent-streams, tune.h2.fe.max-concurrent-streams, tune.h2.header-table-size, tune.h2.initial-window-size, tune.h2.fe.glitches-threshold, tune.h2.fe.max-control-frames-per-sec, tune.max-checks-per-thread, log, log-tag, log-send-hostname, description, node, server-state-file, server-state-base, ssl-default-bind-options, ssl-default-bind-ciphers, ssl-default-bind-ciphersuites, ssl-default-server-options, ssl-default-server-ciphers, ssl-default-server-ciphersuites, ssl-server-verify, tune.ssl.cachesize, tune.ssl.lifetime, tune.comp.maxlevel, stats, master-worker, workers, nbthread, cpu-map, localpeer, daemon, pidfile, user, uid, group, gid, chroot, ulimit-n, strict-limits, default-path, ca-base, crt-base, zero-warning, tune.ssl.default-dh-param, tune.maxrewrite, max-spread-checks, spread-checks, unix-bind, environment, h1-case-adjust, h1-case-adjust-file, external-check, insecure-fork-wanted)",
      "sluice.yaml:3:3: global: unknown keyword 'b' (expected one of: maxconn, maxconnrate, maxsessrate, hard-stop-after, tune.bufsize, tune.http.maxhdr, tune.h2.be.max-concurrent-streams, tune.h2.fe.max-concurrent-streams, tune.h2.header-table-size, tune.h2.initial-window-size, tune.h2.fe.glitches-threshold, tune.h2.fe.max-control-frames-per-sec, tune.max-checks-per-thread, log, log-tag, log-send-hostname, description, node, server-state-file, server-state-base, ssl-default-bind-options, ssl-default-bind-ciphers, ssl-default-bind-ciphersuites, ssl-default-server-options, ssl-default-server-ciphers, ssl-default-server-ciphersuites, ssl-server-verify, tune.ssl.cachesize, tune.ssl.lifetime, tune.comp.maxlevel, stats, master-worker, workers, nbthread, cpu-map, localpeer, daemon, pidfile, user, uid, group, gid, chroot, ulimit-n, strict-limits, default-path, ca-base, crt-base, zero-warning, tune.ssl.default-dh-param, tune.maxrewrite, max-spread-checks, spread-checks, unix-bind, environment, h1-case-adjust, h1-case-adjust-file, external-check, insecure-fork-wanted)",
    ]);
  });
});

describe("cross-checks", () => {
  test("undefined default_backend", () => {
    expect(errorsOf(cfg("frontend web", "    bind :80", "    default_backend nope"))).toEqual([
      "sluice.cfg:3: frontend 'web': default_backend 'nope' is not defined (no backend or listen has that name)",
    ]);
  });

  test("a default_backend whose section has errors is still defined", () => {
    expect(errorsOf(cfg(...PAIR, "    retries x"))).toEqual([
      "sluice.cfg:6: backend 'api': invalid retries 'x' (expected an integer, at least 0)",
    ]);
  });

  test("duplicate proxies: same kind, or a listen against either", () => {
    expect(errorsOf(cfg(
      ...PAIR,
      "backend api",
      "    server a2 127.0.0.1:9002",
      "listen web",
      "    bind :81",
      "    server w 127.0.0.1:1",
      "frontend api",
      "    bind :82",
      "    default_backend api",
    ))).toEqual([
      "sluice.cfg:6: backend 'api': duplicate name (backend 'api' is already defined at sluice.cfg:4)",
      "sluice.cfg:8: listen 'web': duplicate name (frontend 'web' is already defined at sluice.cfg:1)",
    ]);
  });

  test("two listens of one name", () => {
    expect(errorsOf(
      yaml(
        "listen:",
        "  x: { bind: ':1', servers: { s: '127.0.0.1:1' } }",
      ),
      yaml(
        "listen:",
        "  x: { bind: ':2', servers: { s: '127.0.0.1:1' } }",
      ),
    )).toEqual([
      "sluice.yaml:2:3: listen 'x': duplicate name (listen 'x' is already defined at sluice.yaml:2:3)",
    ]);
  });

  test("duplicate server", () => {
    expect(errorsOf(cfg(...PAIR, "    server a1 127.0.0.1:9002"))).toEqual([
      "sluice.cfg:6: backend 'api': server 'a1': duplicate name (server 'a1' is already defined at sluice.cfg:5)",
    ]);
    expect(errorsOf(yaml(
      "backends:",
      "  api:",
      "    servers:",
      "      - { name: a1, address: '127.0.0.1:1' }",
      "      - { name: a1, address: '127.0.0.1:2' }",
    ))).toEqual([
      "sluice.yaml:5:9: backend 'api': server 'a1': duplicate name (server 'a1' is already defined at sluice.yaml:4:9)",
    ]);
  });

  test("address conflicts: same host and port, or a wildcard on the same port (a dual-stack :: takes IPv4 too)", () => {
    expect(errorsOf(cfg(
      ...PAIR,
      "frontend second",
      "    bind 127.0.0.1:80",
      "    bind 127.0.0.1:81,127.0.0.1:81",
      "    bind [::]:82",
      "    bind [::1]:83",
      "    default_backend api",
      "listen third",
      "    bind *:82",
      "    bind [::1]:84",
      "    bind [::]:84",
      "    server s 127.0.0.1:1",
    ))).toEqual([
      "sluice.cfg:7: frontend 'second': bind: 127.0.0.1:80 conflicts with 0.0.0.0:80 (frontend 'web' at sluice.cfg:2)",
      "sluice.cfg:8: frontend 'second': bind: 127.0.0.1:81 conflicts with 127.0.0.1:81 (frontend 'second' at sluice.cfg:8)",
      "sluice.cfg:13: listen 'third': bind: 0.0.0.0:82 conflicts with [::]:82 (frontend 'second' at sluice.cfg:9)",
      "sluice.cfg:15: listen 'third': bind: [::]:84 conflicts with [::1]:84 (listen 'third' at sluice.cfg:14)",
    ]);
  });

  test("IPv4 and IPv6 apart share a port (as the kernel and HAProxy): any IPv4 beside [::1] or a v6only ::, and 0.0.0.0 beside a dual :: of the same frontend", () => {
    const r = loadConfigTexts([cfg(
      "frontend a",
      "    bind *:80",
      "    bind [::1]:81",
      "    bind 127.0.0.1:81",
      "    bind [::]:83 v6only",
      "    bind 127.0.0.1:83",
      "    bind 0.0.0.0:82",
      "    bind :::82 v4v6",
      "    default_backend b",
      "listen other",
      "    bind [::]:80 v6only",
      "    server s 127.0.0.1:1",
      "backend b",
      "    server s 127.0.0.1:1",
    )]);
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([]);
  });

  test("different hosts on one port do not conflict", () => {
    const r = loadConfigTexts([cfg(
      "frontend a",
      "    bind 127.0.0.1:80",
      "    bind 127.0.0.2:80",
      "    default_backend b",
      "backend b",
      "    server s 127.0.0.1:1",
    )]);
    expect(r.ok).toBe(true);
  });

  test("mode mismatch between a frontend and its default_backend: http to tcp only (tcp to http upgrades)", () => {
    expect(loadConfigTexts([cfg(...PAIR, "    mode http")]).ok).toBe(true);
    const httpToTcp = cfg("frontend web", "    mode http", "    bind :80", "    default_backend api", "backend api", "    mode tcp", "    server a 127.0.0.1:1");
    expect(errorsOf(httpToTcp)).toEqual([
      "sluice.cfg:4: frontend 'web': default_backend 'api' is in tcp mode but this frontend is in http mode (an http frontend cannot use a tcp backend; a tcp frontend may use an http one)",
    ]);
    // A use_backend to a tcp backend too (HAProxy: "tries to use incompatible tcp backend"); tcp to http is fine.
    const useTcp = cfg("frontend web", "    mode http", "    bind :80", "    use_backend api if { path_beg /x }", "backend api", "    mode tcp", "    server a 127.0.0.1:1");
    expect(errorsOf(useTcp)).toEqual([
      "sluice.cfg:4: frontend 'web': use_backend: backend 'api' is in tcp mode but this frontend is in http mode (an http frontend cannot use a tcp backend; a tcp frontend may use an http one)",
    ]);
    const tcpToHttp = cfg("frontend t", "    mode tcp", "    bind :81", "    use_backend web if { req.len gt 0 }", "backend web", "    mode http", "    server a 127.0.0.1:1");
    expect(loadConfigTexts([tcpToHttp]).ok).toBe(true);
  });

  test("a frontend or listen without bind is a warning, as in HAProxy 2.6 (it listens nowhere)", () => {
    const sources = [cfg("frontend web", "    default_backend api", "backend api", "    server a 127.0.0.1:1", "listen l", "    server b 127.0.0.1:1")];
    expect(loadConfigTexts(sources).ok).toBe(true);
    expect(warningsOf(...sources)).toEqual([
      "sluice.cfg:1: frontend 'web': no 'bind' directive: it listens nowhere. Please declare it as a backend if this was intended.",
      "sluice.cfg:5: listen 'l': no 'bind' directive: it listens nowhere. Please declare it as a backend if this was intended.",
    ]);
  });

  test("warnings: a backend without servers, a frontend without default_backend", () => {
    const sources = [cfg("frontend web", "    bind :80", "backend empty", "listen l :81")];
    expect(loadConfigTexts(sources).ok).toBe(true);
    expect(warningsOf(...sources)).toEqual([
      "sluice.cfg:1: frontend 'web': no default_backend (connections will be refused)",
      "sluice.cfg:3: backend 'empty': no server (connections sent here will fail)",
      "sluice.cfg:4: listen 'l': no server (connections sent here will fail)",
    ]);
  });

  test("unknown file type", () => {
    expect(errorsOf({ name: "sluice.conf", text: "" })).toEqual([
      "sluice.conf: unknown config file type '.conf' (expected .cfg, .yaml, .yml or .json)",
    ]);
  });
});
