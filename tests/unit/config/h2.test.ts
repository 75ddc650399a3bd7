import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";
import { BACKEND_KEYWORDS } from "./backend-keywords.ts";

// HTTP/2 to servers: the server options `proto h1|h2` and `max-reuse N`, and
// global `tune.h2.be.max-concurrent-streams N`.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const PROTO = "(expected h1 or h2)";
const STREAMS = "tune.h2.be.max-concurrent-streams";

describe("built-in values when nothing sets them", () => {
  test.each([
    [
      "haproxy.cfg",
      cfg(
        "global",
        "backend api",
        "    server a1 127.0.0.1:9001",
        "listen db :5432",
        "    server pg 127.0.0.1:5433",
      ),
    ],
    [
      "YAML",
      yaml(
        "global: {}",
        "backends:",
        "  api: { servers: { a1: '127.0.0.1:9001' } }",
        "listen:",
        "  db: { bind: ':5432', servers: { pg: { address: '127.0.0.1:5433' } } }",
      ),
    ],
  ])("%s: proto h1, max-reuse -1, tune.h2.be.max-concurrent-streams 100", (_, source) => {
    const c = loadOk(source);
    expect(c.global.h2BackendMaxConcurrentStreams).toBe(100);
    for (const b of c.backends) expect(b.servers[0]).toMatchObject({ proto: "h1", maxReuse: -1 });
  });

  test("no global section at all: still 100", () => {
    expect(
      loadOk(cfg("backend api", "    server a 127.0.0.1:1")).global.h2BackendMaxConcurrentStreams,
    )
      .toBe(100);
  });
});

describe("server proto and max-reuse", () => {
  test("haproxy.cfg: each option reaches its server; the others keep their defaults", () => {
    const c = loadOk(cfg(
      "backend api",
      "    mode http",
      "    server two 127.0.0.1:1 proto h2 max-reuse 10 weight 2",
      "    server unlimited 127.0.0.1:4 max-reuse -1 proto h2",
      "backend web",
      "    mode http",
      "    server one 127.0.0.1:2 proto h1",
      "    server once 127.0.0.1:3 max-reuse 0 send-proxy",
      "    server plain 127.0.0.1:5",
    ));
    const servers = [...c.backends[0]!.servers, ...c.backends[1]!.servers];
    expect(servers.map((s) => [s.name, s.proto, s.maxReuse])).toEqual([
      ["two", "h2", 10],
      ["unlimited", "h2", -1],
      ["one", "h1", -1],
      ["once", "h1", 0],
      ["plain", "h1", -1],
    ]);
    expect(servers[0]).toMatchObject({ weight: 2, sendProxy: false });
    expect(servers[1]).toMatchObject({ weight: 1, sendProxy: false });
    expect(servers[3]).toMatchObject({ weight: 1, sendProxy: true });
  });

  test("YAML: the object form takes them under their haproxy.cfg names, in a mapping or a list", () => {
    const c = loadOk(yaml(
      "defaults: { mode: http }",
      "backends:",
      "  api:",
      "    servers:",
      "      two:",
      "        address: '127.0.0.1:1'",
      "        proto: h2",
      "        max-reuse: 10",
      "  web:",
      "    servers:",
      "      once: { address: '127.0.0.1:2', proto: h1, max-reuse: '0' }",
      "      short: '127.0.0.1:3'",
      "  listed:",
      "    servers: [{ name: l1, address: '127.0.0.1:4', proto: h2, max-reuse: '-1' }]",
    ));
    const [api, web, listed] = c.backends;
    expect([...api!.servers, ...web!.servers].map((s) => [s.name, s.proto, s.maxReuse])).toEqual([
      ["two", "h2", 10],
      ["once", "h1", 0],
      ["short", "h1", -1],
    ]);
    expect(listed!.servers[0]).toMatchObject({ name: "l1", proto: "h2", maxReuse: -1 });
  });

  test("both syntaxes give the same server", () => {
    const fromCfg = loadOk(cfg(
      "backend api",
      "    mode http",
      "    server a 127.0.0.1:1 proto h2 max-reuse 100 pool-max-conn 2",
    ));
    const fromYaml = loadOk(yaml(
      "backends:",
      "  api:",
      "    mode: http",
      "    servers:",
      "      a: { address: '127.0.0.1:1', proto: h2, max-reuse: 100, pool-max-conn: 2 }",
    ));
    const { origin: _a, ...a } = fromCfg.backends[0]!.servers[0]!;
    const { origin: _b, ...b } = fromYaml.backends[0]!.servers[0]!;
    expect(a).toEqual(b);
    expect(a).toMatchObject({ proto: "h2", maxReuse: 100, poolMaxConn: 2 });
  });

  test("proto h2 is accepted wherever the backend ends up in http mode", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode http",
      "frontend web",
      "    bind :80",
      "    default_backend api",
      "backend api",
      "    server a 127.0.0.1:1 proto h2",
      "listen both :81",
      "    server b 127.0.0.1:2 proto h2",
    ));
    expect(c.backends.map((b) => [b.name, b.mode, b.servers[0]!.proto])).toEqual([
      ["api", "http", "h2"],
      ["both", "http", "h2"],
    ]);
  });

  test("proto h1 is fine in a tcp backend", () => {
    const c = loadOk(
      cfg("backend raw", "    mode tcp", "    server a 127.0.0.1:1 proto h1 max-reuse 3"),
    );
    expect(c.backends[0]!.servers[0]).toMatchObject({ proto: "h1", maxReuse: 3 });
  });

  test.each([
    [
      "proto not h1 or h2",
      cfg("backend api", "    mode http", "    server a1 127.0.0.1:1 proto h3"),
      `sluice.cfg:3: backend 'api': server 'a1': invalid proto 'h3' ${PROTO}`,
    ],
    [
      "proto is case-sensitive",
      cfg("backend api", "    mode http", "    server a1 127.0.0.1:1 proto H2"),
      `sluice.cfg:3: backend 'api': server 'a1': invalid proto 'H2' ${PROTO}`,
    ],
    [
      "proto an HAProxy mux sluice does not have",
      cfg("backend api", "    mode http", "    server a1 127.0.0.1:1 proto fcgi"),
      `sluice.cfg:3: backend 'api': server 'a1': invalid proto 'fcgi' ${PROTO}`,
    ],
    [
      "proto without a value",
      cfg("backend api", "    server a1 127.0.0.1:1 proto"),
      "sluice.cfg:2: backend 'api': server 'a1': missing argument for 'proto' (usage: proto h1|h2)",
    ],
    [
      "max-reuse below -1",
      cfg("backend api", "    server a1 127.0.0.1:1 max-reuse -2"),
      "sluice.cfg:2: backend 'api': server 'a1': max-reuse -2 is out of range (at least -1)",
    ],
    [
      "max-reuse not a number",
      cfg("backend api", "    server a1 127.0.0.1:1 max-reuse lots"),
      "sluice.cfg:2: backend 'api': server 'a1': invalid max-reuse 'lots' (expected an integer, at least -1)",
    ],
    [
      "max-reuse without a value",
      cfg("backend api", "    server a1 127.0.0.1:1 send-proxy max-reuse"),
      "sluice.cfg:2: backend 'api': server 'a1': missing argument for 'max-reuse' (usage: max-reuse <number>)",
    ],
    [
      "haproxy.cfg: a server option is not a section keyword",
      cfg("backend api", "    proto h2"),
      "sluice.cfg:2: backend 'api': keyword 'proto' is not supported yet",
    ],
    [
      "YAML: proto not h1 or h2",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', proto: http2 }",
      ),
      `sluice.yaml:4:44: backend 'api': server 'a1': invalid proto 'http2' ${PROTO}`,
    ],
    [
      "YAML: proto a number",
      yaml("backends:", "  api:", "    servers:", "      a1: { address: '127.0.0.1:1', proto: 2 }"),
      `sluice.yaml:4:44: backend 'api': server 'a1': invalid proto 2 ${PROTO}`,
    ],
    [
      "YAML: max-reuse not an integer",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', max-reuse: 1.5 }",
      ),
      "sluice.yaml:4:48: backend 'api': server 'a1': invalid max-reuse 1.5 (expected an integer, at least -1)",
    ],
    [
      "YAML: max-reuse out of range, in the list form",
      yaml(
        "backends:",
        "  api:",
        "    servers: [{ name: a1, address: '127.0.0.1:1', max-reuse: -3 }]",
      ),
      "sluice.yaml:3:62: backend 'api': server 'a1': max-reuse -3 is out of range (at least -1)",
    ],
    [
      "YAML: camelCase is not the spelling",
      yaml(
        "backends:",
        "  api:",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', maxReuse: 3 }",
      ),
      "sluice.yaml:4:37: backend 'api': server 'a1': unknown keyword 'maxReuse' (expected one of: address, weight, backup, disabled, maxconn, pool-max-conn, pool-purge-delay, pool-low-conn, send-proxy, proto, max-reuse, ssl, verify, ca-file, sni, verifyhost, alpn, crt, ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, ciphers, ciphersuites, ssl-reuse, tls-tickets, check-sni, check-alpn, maxqueue, minconn, slowstart, init-addr, resolvers, resolve-prefer, check, inter, fastinter, downinter, rise, fall, port, addr, check-send-proxy, check-ssl, observe, error-limit, on-error, on-marked-down, on-marked-up, track, agent-check, agent-port, agent-addr, agent-inter, agent-send, cookie, redir, socks4, check-via-socks4)",
    ],
    [
      "YAML: a server option is not a backend keyword",
      yaml("backends:", "  api:", "    proto: h2", "    servers: { a1: '127.0.0.1:1' }"),
      `sluice.yaml:3:5: backend 'api': unknown keyword 'proto' (expected one of: ${BACKEND_KEYWORDS})`,
    ],
  ])("error: %s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("proto h2 needs mode http", () => {
  test.each([
    [
      "a backend in mode tcp",
      cfg("backend raw", "    mode tcp", "    server a1 127.0.0.1:1 proto h2"),
      "sluice.cfg:3: backend 'raw': server 'a1': proto h2 needs mode http (this backend is in tcp mode)",
    ],
    [
      "a backend without mode (tcp, built in)",
      cfg("backend raw", "    server a1 127.0.0.1:1 max-reuse 5 proto h2"),
      "sluice.cfg:2: backend 'raw': server 'a1': proto h2 needs mode http (this backend is in tcp mode)",
    ],
    [
      "tcp from defaults",
      cfg("defaults", "    mode tcp", "backend raw", "    server a1 127.0.0.1:1 proto h2"),
      "sluice.cfg:4: backend 'raw': server 'a1': proto h2 needs mode http (this backend is in tcp mode)",
    ],
    [
      "a listen in mode tcp",
      cfg("listen db :5432", "    mode tcp", "    server pg 127.0.0.1:1 proto h2"),
      "sluice.cfg:3: listen 'db': server 'pg': proto h2 needs mode http (this listen is in tcp mode)",
    ],
    [
      "YAML: pointed at the proto value",
      yaml(
        "backends:",
        "  raw:",
        "    mode: tcp",
        "    servers:",
        "      a1: { address: '127.0.0.1:1', proto: h2 }",
      ),
      "sluice.yaml:5:44: backend 'raw': server 'a1': proto h2 needs mode http (this backend is in tcp mode)",
    ],
    [
      "YAML: block form, list form",
      yaml(
        "backends:",
        "  raw:",
        "    servers: [{ name: a1, address: '127.0.0.1:1',",
        "                proto: h2 }]",
      ),
      "sluice.yaml:4:24: backend 'raw': server 'a1': proto h2 needs mode http (this backend is in tcp mode)",
    ],
  ])("error: %s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });

  test("every such server is reported, the h1 ones are not", () => {
    expect(errorsOf(cfg(
      "backend raw",
      "    server a 127.0.0.1:1 proto h2",
      "    server b 127.0.0.1:2",
      "    server c 127.0.0.1:3 proto h2",
    ))).toEqual([
      "sluice.cfg:2: backend 'raw': server 'a': proto h2 needs mode http (this backend is in tcp mode)",
      "sluice.cfg:4: backend 'raw': server 'c': proto h2 needs mode http (this backend is in tcp mode)",
    ]);
  });
});

describe("send-proxy with proto h2", () => {
  test("is an error naming the server, never silently ignored", () => {
    expect(errorsOf(cfg(
      "backend api",
      "    mode http",
      "    server a 127.0.0.1:1 send-proxy proto h2",
    ))).toEqual([
      "sluice.cfg:3: backend 'api': server 'a': send-proxy with proto h2 is not supported yet (an HTTP/2 connection carries many clients' streams; use proto h1)",
    ]);
  });
});

describe(STREAMS, () => {
  test("set in either syntax, limits included", () => {
    expect(loadOk(cfg("global", `    ${STREAMS} 1`)).global.h2BackendMaxConcurrentStreams).toBe(1);
    expect(loadOk(cfg("global", `    ${STREAMS} 2147483647`)).global.h2BackendMaxConcurrentStreams)
      .toBe(2147483647);
    expect(loadOk(yaml("global:", `  ${STREAMS}: 250`)).global.h2BackendMaxConcurrentStreams)
      .toBe(250);
    expect(loadOk(yaml(`global: { ${STREAMS}: '8' }`)).global.h2BackendMaxConcurrentStreams)
      .toBe(8);
  });

  test("the last file to set it wins, like the other global settings", () => {
    const c = loadOk(
      cfg("global", `    ${STREAMS} 10`),
      yaml("global:", `  ${STREAMS}: 20`),
    );
    expect(c.global.h2BackendMaxConcurrentStreams).toBe(20);
  });

  test.each([
    [
      cfg("global", `    ${STREAMS} 0`),
      `sluice.cfg:2: global: ${STREAMS} 0 is out of range (1-2147483647)`,
    ],
    [
      cfg("global", `    ${STREAMS} 2147483648`),
      `sluice.cfg:2: global: ${STREAMS} 2147483648 is out of range (1-2147483647)`,
    ],
    [
      cfg("global", `    ${STREAMS} many`),
      `sluice.cfg:2: global: invalid ${STREAMS} 'many' (expected an integer, 1-2147483647)`,
    ],
    [
      cfg("global", `    ${STREAMS}`),
      `sluice.cfg:2: global: missing argument for '${STREAMS}' (usage: ${STREAMS} <number>)`,
    ],
    [
      cfg("global", `    ${STREAMS} 1 2`),
      `sluice.cfg:2: global: too many arguments for '${STREAMS}': '2' (usage: ${STREAMS} <number>)`,
    ],
    [
      cfg("defaults", `    ${STREAMS} 10`),
      `sluice.cfg:2: defaults: '${STREAMS}' is not allowed in a defaults section`,
    ],
    [
      cfg("backend api", "    mode http", `    ${STREAMS} 10`),
      `sluice.cfg:3: backend 'api': '${STREAMS}' is not allowed in a backend section`,
    ],
    [
      yaml("global:", `  ${STREAMS}: -1`),
      `sluice.yaml:2:38: global: ${STREAMS} -1 is out of range (1-2147483647)`,
    ],
    [
      yaml("global:", `  ${STREAMS}: 1.5`),
      `sluice.yaml:2:38: global: invalid ${STREAMS} 1.5 (expected an integer, 1-2147483647)`,
    ],
  ])("error: %#", (source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("one protocol per backend", () => {
  test("proto h2 on some servers and not others is a positioned error", async () => {
    const { loadConfigTexts } = await import("../../../src/config/load.ts");
    const r = loadConfigTexts([{ name: "mix.cfg", text: "defaults\n    mode http\nbackend be\n    server a 127.0.0.1:1\n    server b 127.0.0.1:2 proto h2\n" }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message)).toEqual([
      "mix.cfg:5: backend 'be': server 'b': proto h2 on some servers of a backend and not on others is not supported (put them in two backends)",
    ]);
  });
});
