import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { loadConfigFiles } from "../../../src/config/load.ts";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

// Health checks (issue 14): the server options `check`, `inter`,
// `fastinter`, `downinter`, `rise`, `fall`, `port`, `addr`,
// `check-send-proxy`, `check-ssl`, `observe`, `error-limit`, `on-error`; `option httpchk`,
// `option tcp-check`, `http-check`, `tcp-check`, `timeout check`,
// `tune.max-checks-per-thread`. Both syntaxes give one Config; wrong
// combinations are named where they were written.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

describe("built-in values", () => {
  test("no check: no check settings, a TCP connect check kind, 64 checks in flight", () => {
    const c = loadOk(cfg("backend api", "    server a1 127.0.0.1:9001"));
    expect(c.backends[0]!.servers[0]!.check).toBeUndefined();
    expect(c.backends[0]!.servers[0]!.observe).toBeUndefined();
    expect(c.backends[0]!.healthCheck).toEqual({ kind: "connect" });
    expect(c.global.maxChecksInFlight).toBe(64);
  });

  test("check alone: inter 2s, fastinter and downinter follow inter, rise 2, fall 3 (HAProxy's)", () => {
    const c = loadOk(cfg("backend api", "    server a1 127.0.0.1:9001 check", "    server a2 127.0.0.1:9002 check inter 500ms"));
    expect(c.backends[0]!.servers.map((s) => s.check)).toEqual([
      { inter: 2000, fastinter: 2000, downinter: 2000, rise: 2, fall: 3, sendProxy: false, ssl: false },
      { inter: 500, fastinter: 500, downinter: 500, rise: 2, fall: 3, sendProxy: false, ssl: false },
    ]);
  });

  test("TLS checks: a server with ssl is checked over TLS where it serves, not at another port or addr unless check-ssl (HAProxy's inheritance)", () => {
    const c = loadOk(cfg(
      "backend api",
      "    server a1 127.0.0.1:9001 check ssl verify none",
      "    server a2 127.0.0.1:9002 check port 9443 ssl verify none",
      "    server a3 127.0.0.1:9003 check port 9443 check-ssl ssl verify none",
      "    server a4 127.0.0.1:9004 check",
    ));
    expect(c.backends[0]!.servers.map((s) => s.check?.ssl)).toEqual([true, false, true, false]);
    const y = loadOk(yaml(
      "backends:",
      "  api:",
      "    servers:",
      "      a3: { address: 127.0.0.1:9003, check: true, port: 9443, check-ssl: true, ssl: true, verify: none }",
    ));
    expect(y.backends[0]!.servers[0]!.check?.ssl).toBe(true);
  });

  test("TLS settings without ssl (HAProxy accepts them silently): check-ssl takes them; the traffic stays plain", () => {
    const text = cfg(
      "backend api",
      "    server a1 127.0.0.1:9001 check check-ssl verify none",
      "    server a2 127.0.0.1:9002 verify required sni str(x.test)",
      "    server a3 127.0.0.1:9003 check check-ssl",
    );
    const c = loadOk(text);
    const [a1, a2, a3] = c.backends[0]!.servers;
    expect([a1!.ssl, a1!.check?.ssl, a1!.checkTls]).toEqual([undefined, true, { verify: "none", sni: "", alpn: [], reuse: true, tickets: true }]);
    // Unused: no TLS checks, no TLS traffic.
    expect([a2!.ssl, a2!.checkTls]).toEqual([undefined, undefined]);
    // check-ssl alone: the defaults (verify required against the system store, no SNI).
    expect(a3!.checkTls).toEqual({ verify: "required", sni: "", alpn: [], reuse: true, tickets: true });
    expect(warningsOf(text)).toEqual([]);
  });

  test("check-sni and check-alpn (HAProxy's): what the checks send instead of sni and alpn; the traffic keeps its own", async () => {
    const c = loadOk(cfg(
      "backend api",
      "    server a1 127.0.0.1:9001 ssl verify none sni str(app.test) alpn h2,http/1.1 check check-sni health.test check-alpn http/1.1",
      "    server a2 127.0.0.1:9002 ssl verify none sni app.test check",
    ));
    const [a1, a2] = c.backends[0]!.servers;
    expect(a1!.ssl).toMatchObject({ sni: "app.test", alpn: ["h2", "http/1.1"], checkSni: "health.test", checkAlpn: ["http/1.1"] });
    const y = loadOk(yaml(
      "backends:",
      "  api:",
      "    servers:",
      "      a1: { address: 127.0.0.1:9001, ssl: true, verify: none, sni: app.test, check: true, check-sni: health.test, check-alpn: http/1.1 }",
    ));
    expect(y.backends[0]!.servers[0]!.ssl).toMatchObject({ sni: "app.test", checkSni: "health.test", checkAlpn: ["http/1.1"] });
    // What the server's checks and its traffic then use.
    const { Server } = await import("../../../src/backend/server.ts");
    const timers = { now: () => 0, setTimer: () => 0, clearTimer: () => {} } as never;
    const s1 = new Server("api", a1!, timers, 100);
    expect([s1.tls?.servername, s1.tls?.alpn, s1.checkTls?.servername, s1.checkTls?.alpn]).toEqual(["app.test", ["h2", "http/1.1"], "health.test", ["http/1.1"]]);
    const s2 = new Server("api", a2!, timers, 100);
    expect(s2.checkTls).toBe(s2.tls);
  });

  test("option httpchk alone: OPTIONS / HTTP/1.0; one argument is the URI", () => {
    const c = loadOk(cfg("backend a", "    option httpchk", "backend b", "    option httpchk /health"));
    expect(c.backends.map((b) => b.healthCheck)).toEqual([
      { kind: "http", request: { method: "OPTIONS", uri: "/", version: "HTTP/1.0", headers: [] }, expects: [] },
      { kind: "http", request: { method: "OPTIONS", uri: "/health", version: "HTTP/1.0", headers: [] }, expects: [] },
    ]);
  });

  test("observe alone: error-limit 10, on-error fail-check", () => {
    const c = loadOk(cfg("backend api", "    mode http", "    server a1 127.0.0.1:9001 check observe layer7"));
    expect(c.backends[0]!.servers[0]!.observe).toEqual({ layer: "layer7", errorLimit: 10, onError: "fail-check" });
  });
});

describe("one model, two syntaxes", () => {
  const CFG = cfg(
    "global",
    "    tune.max-checks-per-thread 8",
    "defaults",
    "    mode http",
    "    timeout check 3s",
    "    option httpchk GET /health HTTP/1.1",
    "backend api",
    "    http-check send hdr Host api.example hdr X-Check yes",
    "    http-check expect status 200-299",
    "    http-check expect ! string maintenance",
    "    server a1 127.0.0.1:9001 check inter 1s fastinter 200ms downinter 5s rise 3 fall 2 port 9101 addr 127.0.0.2 check-send-proxy observe layer7 error-limit 5 on-error mark-down",
    "    server a2 127.0.0.1:9002 check",
    "backend redis",
    "    mode tcp",
    "    option tcp-check",
    "    tcp-check connect port 6380",
    '    tcp-check send "PING\\r\\n"',
    "    tcp-check expect rstring '^\\+PONG'",
    "    server r1 127.0.0.1:6379 check observe layer4 on-error sudden-death",
  );
  const YAML = yaml(
    "global:",
    "  tune.max-checks-per-thread: 8",
    "defaults:",
    "  mode: http",
    "  timeout: { check: 3s }",
    "  option: ['httpchk GET /health HTTP/1.1']",
    "backends:",
    "  api:",
    "    http-check:",
    "      - send hdr Host api.example hdr X-Check yes",
    "      - [expect, status, 200-299]",
    "      - expect ! string maintenance",
    "    servers:",
    "      a1: { address: '127.0.0.1:9001', check: true, inter: 1s, fastinter: 200ms, downinter: 5s, rise: 3, fall: 2, port: 9101, addr: 127.0.0.2, check-send-proxy: true, observe: layer7, error-limit: 5, on-error: mark-down }",
    "      a2: { address: '127.0.0.1:9002', check: true }",
    "  redis:",
    "    mode: tcp",
    "    option: tcp-check",
    "    tcp-check:",
    "      - connect port 6380",
    '      - send "PING\\r\\n"',
    "      - ['expect', 'rstring', '^\\+PONG']",
    "    servers:",
    "      r1: { address: '127.0.0.1:6379', check: true, observe: layer4, on-error: sudden-death }",
  );

  const fromCfg = loadOk(CFG);
  const fromYaml = loadOk(YAML);

  test("haproxy.cfg gives the expected check settings", () => {
    const [api, redis] = fromCfg.backends;
    expect(fromCfg.global.maxChecksInFlight).toBe(8);
    expect(api!.timeouts.check).toBe(3000);
    expect(api!.healthCheck).toEqual({
      kind: "http",
      request: { method: "GET", uri: "/health", version: "HTTP/1.1", headers: [["Host", "api.example"], ["X-Check", "yes"]] },
      expects: [
        { negate: false, match: "status", pattern: "200-299" },
        { negate: true, match: "string", pattern: "maintenance" },
      ],
    });
    expect(api!.servers[0]!.check).toEqual({ inter: 1000, fastinter: 200, downinter: 5000, rise: 3, fall: 2, port: 9101, addr: "127.0.0.2", sendProxy: true, ssl: false });
    expect(api!.servers[0]!.observe).toEqual({ layer: "layer7", errorLimit: 5, onError: "mark-down" });
    expect(redis!.healthCheck).toEqual({
      kind: "tcp-check",
      steps: [
        { kind: "connect", port: 6380 },
        { kind: "send", data: "PING\r\n" },
        { kind: "expect", negate: false, match: "rstring", pattern: "^\\+PONG" },
      ],
    });
    expect(redis!.servers[0]!.observe).toEqual({ layer: "layer4", errorLimit: 10, onError: "sudden-death" });
  });

  test("YAML gives the same", () => {
    const strip = (c: typeof fromCfg) => c.backends.map(({ origin: _o, servers, ...b }) => ({ ...b, servers: servers.map(({ origin: _so, ...s }) => s) }));
    expect(strip(fromYaml)).toStrictEqual(strip(fromCfg));
    expect(fromYaml.global.maxChecksInFlight).toBe(8);
  });
});

describe("errors", () => {
  test.each([
    ["rise 0", cfg("backend api", "    server a1 127.0.0.1:1 check rise 0"), "sluice.cfg:2: backend 'api': server 'a1': rise 0 is out of range (at least 1)"],
    ["fall not a number", cfg("backend api", "    server a1 127.0.0.1:1 check fall many"), "sluice.cfg:2: backend 'api': server 'a1': invalid fall 'many' (expected an integer, at least 1)"],
    ["inter without a time", cfg("backend api", "    server a1 127.0.0.1:1 check inter"), "sluice.cfg:2: backend 'api': server 'a1': missing argument for 'inter' (usage: inter <time>)"],
    ["inter 0", cfg("backend api", "    server a1 127.0.0.1:1 check inter 0"), "sluice.cfg:2: backend 'api': server 'a1': inter must be above 0"],
    ["port out of range", cfg("backend api", "    server a1 127.0.0.1:1 check port 70000"), "sluice.cfg:2: backend 'api': server 'a1': port 70000 is out of range (1-65535)"],
    ["addr with a port", cfg("backend api", "    server a1 127.0.0.1:1 check addr 127.0.0.2:80"), "sluice.cfg:2: backend 'api': server 'a1': invalid addr '127.0.0.2:80' (expected a host such as 127.0.0.2, without a port: 'port' sets it)"],
    ["observe something else", cfg("backend api", "    server a1 127.0.0.1:1 check observe layer5"), "sluice.cfg:2: backend 'api': server 'a1': invalid observe 'layer5' (expected layer4, layer7)"],
    ["on-error something else", cfg("backend api", "    server a1 127.0.0.1:1 check on-error reboot"), "sluice.cfg:2: backend 'api': server 'a1': invalid on-error 'reboot' (expected fastinter, fail-check, sudden-death, mark-down)"],
    [
      "observe layer7 in mode tcp",
      cfg("backend api", "    mode tcp", "    server a1 127.0.0.1:1 check observe layer7"),
      "sluice.cfg:3: backend 'api': server 'a1': 'observe layer7' needs mode http (this backend is in tcp mode; use observe layer4)",
    ],
    [
      "check-send-proxy with TLS checks",
      cfg("backend api", "    server a1 127.0.0.1:1 check check-send-proxy ssl verify none"),
      "sluice.cfg:2: backend 'api': server 'a1': check-send-proxy with TLS checks (check-ssl, or ssl without port/addr) is not supported yet",
    ],
    [
      "observe without check",
      cfg("backend api", "    server a1 127.0.0.1:1 observe layer4"),
      "sluice.cfg:2: backend 'api': server 'a1': 'observe' needs 'check' on the same server (passive checks adjust the active check's state)",
    ],
    [
      "http-check expect without option httpchk",
      cfg("backend api", "    http-check expect status 200", "    server a1 127.0.0.1:1 check"),
      "sluice.cfg:2: backend 'api': 'http-check' rules need 'option httpchk' (without it this backend's checks are TCP connects)",
    ],
    [
      "tcp-check without option tcp-check",
      cfg("backend api", "    tcp-check send PING", "    server a1 127.0.0.1:1 check"),
      "sluice.cfg:2: backend 'api': 'tcp-check' rules need 'option tcp-check'",
    ],
    ["http-check expect: bad status", cfg("backend api", "    option httpchk", "    http-check expect status 2xx"), "sluice.cfg:3: backend 'api': http-check expect: invalid status '2xx' (expected a code like 200 or a range like 200-399)"],
    ["http-check expect: bad regex", cfg("backend api", "    option httpchk", "    http-check expect rstring (", "    server a1 127.0.0.1:1 check"), "sluice.cfg:3: backend 'api': http-check expect: invalid regular expression '(' (Invalid regular expression: missing ))"],
    ["http-check expect: unknown match", cfg("backend api", "    option httpchk", "    http-check expect header name x"), "sluice.cfg:3: backend 'api': http-check expect: 'header' is not supported yet (supported: status, rstatus, string, rstring)"],
    ["http-check expect: no pattern", cfg("backend api", "    option httpchk", "    http-check expect status"), "sluice.cfg:3: backend 'api': http-check expect: missing argument (usage: http-check send [meth <method>] [uri <uri>] [ver <version>] [hdr <name> <value>]... [body <string>], http-check expect [!] status|rstatus|string|rstring <pattern>, http-check disable-on-404, or http-check send-state)"],
    ["http-check connect", cfg("backend api", "    option httpchk", "    http-check connect port 81"), "sluice.cfg:3: backend 'api': 'http-check connect' is not supported yet (supported: send, expect, disable-on-404, send-state, comment)"],
    ["http-check comment with two words", cfg("backend api", "    option httpchk", "    http-check comment hello world"), "sluice.cfg:3: backend 'api': http-check comment: expected one message (quote it if it has spaces) (usage: http-check comment <msg>)"],
    ["http-check disable-on-404 with an argument", cfg("backend api", "    option httpchk", "    http-check disable-on-404 now"), "sluice.cfg:3: backend 'api': http-check disable-on-404: unexpected argument 'now' (usage: http-check disable-on-404)"],
    ["two http-check send", cfg("backend api", "    option httpchk", "    http-check send meth GET", "    http-check send uri /x"), "sluice.cfg:4: backend 'api': more than one 'http-check send' is not supported yet (one request per check)"],
    ["tcp-check send-lf", cfg("backend api", "    option tcp-check", "    tcp-check send-lf %[src]"), "sluice.cfg:3: backend 'api': 'tcp-check send-lf' is not supported yet (supported: connect, send, send-binary, expect, comment)"],
    ["tcp-check send-binary: odd hex", cfg("backend api", "    option tcp-check", "    tcp-check send-binary 50494e4"), "sluice.cfg:3: backend 'api': tcp-check send-binary: '50494e4' is not an even number of hex digits"],
    ["tcp-check connect: bad port", cfg("backend api", "    option tcp-check", "    tcp-check connect port 0"), "sluice.cfg:3: backend 'api': tcp-check connect: invalid port '0' (expected 1-65535)"],
    ["tcp-check send: two strings", cfg("backend api", "    option tcp-check", "    tcp-check send PING PONG"), "sluice.cfg:3: backend 'api': tcp-check send: expected one string (quote it if it has spaces) (usage: tcp-check connect [port <port>], tcp-check send <string>, tcp-check send-binary <hex>, or tcp-check expect [!] string|rstring|binary <pattern>)"],
    ["option httpchk in a frontend", cfg("frontend web", "    bind :80", "    option httpchk"), "sluice.cfg:3: frontend 'web': 'option httpchk' is not allowed in a frontend section"],
    ["timeout check in a frontend", cfg("frontend web", "    bind :80", "    timeout check 1s"), "sluice.cfg:3: frontend 'web': 'timeout check' is not allowed in a frontend section"],
    ["http-check in a frontend", cfg("frontend web", "    bind :80", "    http-check expect status 200"), "sluice.cfg:3: frontend 'web': 'http-check' is not allowed in a frontend section"],
    [
      "YAML: inter not a time",
      yaml("backends:", "  api:", "    servers:", "      a1: { address: '127.0.0.1:1', check: true, inter: soon }"),
      "sluice.yaml:4:57: backend 'api': server 'a1': inter: invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)",
    ],
    [
      "YAML: check not a boolean",
      yaml("backends:", "  api:", "    servers:", "      a1: { address: '127.0.0.1:1', check: yes please }"),
      "sluice.yaml:4:44: backend 'api': server 'a1': invalid check 'yes please' (expected true or false)",
    ],
  ])("%s", (_, source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("examples/", () => {
  const path = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

  test("checks.cfg and checks.yaml load to equal configs, with no warning", () => {
    const fromCfg = loadConfigFiles([path("checks.cfg")]);
    const fromYaml = loadConfigFiles([path("checks.yaml")]);
    if (!fromCfg.ok || !fromYaml.ok) throw new Error("examples must load");
    expect(fromCfg.warnings).toEqual([]);
    expect(withoutOrigins(fromYaml.config)).toStrictEqual(withoutOrigins(fromCfg.config));
    const redis = fromCfg.config.backends.find((b) => b.name === "redis")!;
    expect(redis.healthCheck).toEqual({
      kind: "tcp-check",
      steps: [{ kind: "send", data: "PING\r\n" }, { kind: "expect", negate: false, match: "string", pattern: "+PONG" }],
    });
  });
});
