import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { type Config, loadConfigFiles } from "../../../src/config/load.ts";
import { lines, loadOk, withoutOrigins } from "./helpers.ts";

const CFG = lines(
  "# every supported keyword once",
  "global",
  "    maxconn 10000",
  "    hard-stop-after 1m",
  "    tune.bufsize 32768",
  "    tune.http.maxhdr 200",
  "    tune.h2.be.max-concurrent-streams 50",
  "    log stdout",
  "    log /var/log/sluice.log format json",
  "",
  "defaults",
  "    mode tcp",
  "    retries 2",
  "    maxconn 2000",
  "    balance roundrobin",
  "    option tcplog",
  "    option redispatch",
  "    timeout connect 4s",
  "    timeout client 40s",
  "    timeout server 40s",
  "    timeout queue 10s",
  "    log global",
  '    log-format "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts"',
  "    http-reuse aggressive",
  "    max-session-srv-conns 10",
  "",
  "frontend web",
  "    mode http",
  "    bind :8080,127.0.0.1:8443",
  "    bind [::1]:8081",
  "    option httplog",
  "    option forwardfor except 10.0.0.0/8 header X-Real-IP if-none",
  "    option http-server-close",
  "    log stderr format json",
  "    log-format '%ci %HM %HU %ST %{+Q}r'",
  "    default_backend app",
  "    maxconn 1000",
  "    timeout client 20s",
  "    timeout http-request 5s",
  "    timeout http-keep-alive 2s",
  "    max-session-srv-conns 0",
  "",
  "frontend raw",
  "    bind 127.0.0.1:7000",
  "    default_backend pool",
  "",
  "backend app",
  "    mode http",
  "    option forwarded proto host by for",
  "    option forwardfor",
  "    option httpclose",
  "    http-reuse always",
  "    server a1 127.0.0.1:9001 weight 3 pool-max-conn 10 pool-purge-delay 1s pool-low-conn 2 send-proxy",
  "    server a2 127.0.0.1:9002",
  "    server a3 127.0.0.1:9003 backup disabled maxconn 100",
  "    server h2 127.0.0.1:9004 proto h1 max-reuse 1000",
  "    timeout server 1m",
  "    timeout tunnel 1h",
  "    option redispatch 1",
  "    retry-on conn-failure empty-response 503 all-retryable-errors",
  "",
  "backend pool",
  "    retries 5",
  "    server p1 localhost:9101 weight 0 proto h1 max-reuse 0",
  "",
  "listen db 0.0.0.0:5432",
  "    option http-keep-alive",
  "    timeout client-fin 1s",
  "    timeout server-fin 1s",
  "    server pg1 10.0.0.1:5432",
  "    http-reuse never",
  "    max-session-srv-conns 3",
);

const YAML = lines(
  "# every supported keyword once",
  "global:",
  "  maxconn: 10000",
  "  hard-stop-after: 1m",
  "  tune.bufsize: 32768",
  "  tune.http.maxhdr: '200'",
  "  tune.h2.be.max-concurrent-streams: 50",
  "  log: [stdout, /var/log/sluice.log format json]",
  "defaults:",
  "  mode: tcp",
  "  retries: 2",
  "  maxconn: '2000'",
  "  balance: roundrobin",
  "  option: [tcplog, redispatch]",
  "  timeout: { connect: 4s, client: 40s, server: 40s, queue: 10s }",
  "  log: global",
  "  log-format: '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts'",
  "  http-reuse: aggressive",
  "  max-session-srv-conns: '10'",
  "frontends:",
  "  web:",
  "    mode: http",
  "    bind: [':8080', '127.0.0.1:8443', '[::1]:8081']",
  "    option:",
  "      - httplog",
  "      - forwardfor except 10.0.0.0/8 header X-Real-IP if-none",
  "      - http-server-close",
  "    log: [stderr format json]",
  '    log-format: "%ci %HM %HU %ST %{+Q}r"',
  "    default_backend: app",
  "    maxconn: 1000",
  "    timeout: { client: 20s, http-request: 5s, http-keep-alive: 2000 }",
  "    max-session-srv-conns: 0",
  "  raw:",
  "    bind: 127.0.0.1:7000",
  "    default_backend: pool",
  "backends:",
  "  app:",
  "    mode: http",
  "    option: ['forwarded proto host by for', forwardfor, httpclose, redispatch 1]",
  "    http-reuse: always",
  "    servers:",
  "      a1:",
  "        address: '127.0.0.1:9001'",
  "        weight: 3",
  "        pool-max-conn: 10",
  "        pool-purge-delay: 1s",
  "        pool-low-conn: '2'",
  "        send-proxy: true",
  "      a2: '127.0.0.1:9002'",
  "      a3: { address: '127.0.0.1:9003', backup: true, disabled: true, maxconn: '100' }",
  "      h2: { address: '127.0.0.1:9004', proto: h1, max-reuse: '1000' }",
  "    timeout: { server: 60000, tunnel: 1h }",
  "    retry-on: [conn-failure, empty-response, 503, all-retryable-errors]",
  "  pool:",
  "    retries: 5",
  "    servers: [{ name: p1, address: 'localhost:9101', weight: 0, proto: h1, max-reuse: 0 }]",
  "listen:",
  "  db:",
  "    bind: 0.0.0.0:5432",
  "    option: http-keep-alive",
  "    timeout:",
  "      client-fin: 1s",
  "      server-fin: 1000",
  "    servers: { pg1: '10.0.0.1:5432' }",
  "    http-reuse: never",
  "    max-session-srv-conns: 3",
);

const base = { connect: 4000, client: 40000, server: 40000, queue: 10000 };
const server = (name: string, host: string, port: number, extra: object = {}) => ({
  name,
  host,
  port,
  weight: 1,
  backup: false,
  disabled: false,
  poolMaxConn: -1,
  poolPurgeDelay: 5000,
  poolLowConn: 0,
  sendProxy: false,
  proto: "h1",
  maxReuse: -1,
  ...extra,
});

const stdout = { kind: "stdout", format: "raw" };
const file = { kind: "file", path: "/var/log/sluice.log", format: "json" };
const TCP_FORMAT = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts";

const EXPECTED = {
  global: {
    maxconn: 10000,
    hardStopAfter: 60000,
    bufsize: 32768,
    maxRewrite: 1024,
    maxHeaderFields: 200,
    h2BackendMaxConcurrentStreams: 50,
    h2FrontendMaxConcurrentStreams: 100,
    h2HeaderTableSize: 4096,
    h2InitialWindowSize: 65535,
    h2FrontendGlitchesThreshold: 1000,
    h2FrontendMaxControlFramesPerSec: 100,
    maxChecksInFlight: 64,
    masterWorker: false,
    workers: "auto",
    strictLimits: true,
    logTargets: [stdout, file],
  },
  frontends: [
    {
      name: "web",
      mode: "http",
      binds: [
        { host: "0.0.0.0", port: 8080 },
        { host: "127.0.0.1", port: 8443 },
        { host: "::1", port: 8081 },
      ],
      defaultBackend: "app",
      maxconn: 1000,
      timeouts: { ...base, client: 20000, httpRequest: 5000, httpKeepAlive: 2000 },
      logFormat: "%ci %HM %HU %ST %{+Q}r",
      logTargets: [stdout, file, { kind: "stderr", format: "json" }],
      forwardFor: { header: "X-Real-IP", except: "10.0.0.0/8", ifNone: true },
      httpMode: "server-close",
      errorFiles: {},
      maxSessionSrvConns: 0,
    },
    {
      name: "raw",
      mode: "tcp",
      binds: [{ host: "127.0.0.1", port: 7000 }],
      defaultBackend: "pool",
      maxconn: 2000,
      timeouts: base,
      logFormat: TCP_FORMAT,
      logTargets: [stdout, file],
      httpMode: "keep-alive",
      errorFiles: {},
      maxSessionSrvConns: 10,
    },
    {
      name: "db",
      mode: "tcp",
      binds: [{ host: "0.0.0.0", port: 5432 }],
      defaultBackend: "db",
      maxconn: 2000,
      timeouts: { ...base, clientFin: 1000, serverFin: 1000 },
      logFormat: TCP_FORMAT,
      logTargets: [stdout, file],
      httpMode: "keep-alive",
      errorFiles: {},
      maxSessionSrvConns: 3,
    },
  ],
  backends: [
    {
      name: "app",
      mode: "http",
      balance: { algorithm: "roundrobin" },
      servers: [
        server("a1", "127.0.0.1", 9001, {
          weight: 3,
          poolMaxConn: 10,
          poolPurgeDelay: 1000,
          poolLowConn: 2,
          sendProxy: true,
        }),
        server("a2", "127.0.0.1", 9002),
        server("a3", "127.0.0.1", 9003, { backup: true, disabled: true, maxconn: 100 }),
        server("h2", "127.0.0.1", 9004, { proto: "h1", maxReuse: 1000 }),
      ],
      retries: 2,
      timeouts: { ...base, server: 60000, tunnel: 3_600_000 },
      forwardFor: { header: "X-Forwarded-For", ifNone: false },
      forwarded: { proto: true, host: true, by: true, for: true },
      httpMode: "close",
      errorFiles: {},
      redispatch: true,
      redispatchInterval: 1,
      retryOn: ["conn-failure", "empty-response", 503, "junk-response", "response-timeout", "0rtt-rejected", 500, 502, 504],
      httpReuse: "always",
      healthCheck: { kind: "connect" },
    },
    {
      name: "pool",
      mode: "tcp",
      balance: { algorithm: "roundrobin" },
      servers: [server("p1", "localhost", 9101, { weight: 0, maxReuse: 0 })],
      retries: 5,
      timeouts: base,
      httpMode: "keep-alive",
      errorFiles: {},
      redispatch: true,
      redispatchInterval: -1,
      retryOn: ["conn-failure"],
      httpReuse: "aggressive",
      healthCheck: { kind: "connect" },
    },
    {
      name: "db",
      mode: "tcp",
      balance: { algorithm: "roundrobin" },
      servers: [server("pg1", "10.0.0.1", 5432)],
      retries: 2,
      timeouts: { ...base, clientFin: 1000, serverFin: 1000 },
      httpMode: "keep-alive",
      errorFiles: {},
      redispatch: true,
      redispatchInterval: -1,
      retryOn: ["conn-failure"],
      httpReuse: "never",
      healthCheck: { kind: "connect" },
    },
  ],
};

describe("one model, two syntaxes", () => {
  const fromCfg = loadOk({ name: "sluice.cfg", text: CFG });
  const fromYaml = loadOk({ name: "sluice.yaml", text: YAML });

  test("haproxy.cfg gives the expected Config", () => {
    expect(withoutOrigins(fromCfg)).toStrictEqual(EXPECTED);
  });

  test("its YAML twin gives the same Config", () => {
    expect(withoutOrigins(fromYaml)).toStrictEqual(withoutOrigins(fromCfg));
  });

  test("JSON is read like YAML", () => {
    const json = JSON.stringify(
      {
        frontends: { f: { bind: ":1", default_backend: "b" } },
        backends: { b: { servers: { s: "127.0.0.1:2" } } },
      },
      null,
      2,
    );
    const c = loadOk({ name: "sluice.json", text: json });
    expect(c.frontends[0]!.binds[0]).toEqual({
      host: "0.0.0.0",
      port: 1,
      origin: { file: "sluice.json", line: 4, col: 15 },
    });
  });

  test("origins point at the line (cfg) or line:col (YAML)", () => {
    const web = (c: Config) => c.frontends[0]!;
    const app = (c: Config) => c.backends[0]!;
    expect(web(fromCfg).origin).toEqual({ file: "sluice.cfg", line: 27 });
    expect(web(fromCfg).binds.map((b) => b.origin.line)).toEqual([29, 29, 30]);
    expect(app(fromCfg).servers[2]!.origin).toEqual({ file: "sluice.cfg", line: 55 });
    expect(web(fromYaml).origin).toEqual({ file: "sluice.yaml", line: 21, col: 3 });
    expect(web(fromYaml).binds.map((b) => b.origin)).toEqual([
      { file: "sluice.yaml", line: 23, col: 12 },
      { file: "sluice.yaml", line: 23, col: 21 },
      { file: "sluice.yaml", line: 23, col: 39 },
    ]);
    expect(app(fromYaml).servers[1]!.origin).toEqual({ file: "sluice.yaml", line: 50, col: 7 });
    expect(fromYaml.backends[1]!.servers[0]!.origin).toEqual({
      file: "sluice.yaml",
      line: 57,
      col: 15,
    });
  });

  test("the YAML shape documented in yaml.ts loads", () => {
    const c = loadOk({
      name: "doc.yaml",
      text: lines(
        "global:",
        "  maxconn: 10000",
        "  hard-stop-after: 30s",
        "  tune.bufsize: 16384",
        "  tune.http.maxhdr: 101",
        "  tune.h2.be.max-concurrent-streams: 100",
        "  log: stderr",
        "defaults:",
        "  mode: tcp",
        "  retries: 3",
        "  retry-on: [conn-failure, empty-response, 503]",
        "  maxconn: 1000",
        "  balance: roundrobin",
        "  option: [httplog, 'forwardfor except 10.0.0.0/8 if-none',",
        "           'forwarded proto host', http-server-close, redispatch]",
        "  log: global",
        '  log-format: "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts"',
        "  timeout: { connect: 5s, client: 50s, server: 50s }",
        "  http-reuse: safe",
        "  max-session-srv-conns: 5",
        "frontends:",
        "  web:",
        '    bind: [":8080", "127.0.0.1:8443"]',
        "    default_backend: app",
        "    maxconn: 1000",
        "    max-session-srv-conns: 5",
        "backends:",
        "  app:",
        "    balance: roundrobin",
        "    http-reuse: safe",
        "    servers:",
        '      a1: { address: "127.0.0.1:9001", weight: 3 }',
        '      a2: "127.0.0.1:9002"',
        '      a3: { address: "127.0.0.1:9003", backup: true, disabled: false, maxconn: 100 }',
        '      a4: { address: "127.0.0.1:9004", pool-max-conn: -1, pool-purge-delay: 5s,',
        "            pool-low-conn: 0, send-proxy: true }",
        '      a5: { address: "127.0.0.1:9005", proto: h1, max-reuse: -1 }',
        "listen:",
        "  db:",
        '    bind: ":5432"',
        "    mode: tcp",
        '    servers: { pg1: "10.0.0.1:5432" }',
      ),
    });
    expect(c.frontends.map((f) => f.name)).toEqual(["web", "db"]);
    expect(c.backends.map((b) => [b.name, b.servers.length])).toEqual([["app", 5], ["db", 1]]);
    expect(c.backends[0]!.servers[3]!.sendProxy).toBe(true);
    expect(c.backends[0]!.servers[4]!).toMatchObject({ proto: "h1", maxReuse: -1 });
  });
});

describe("examples/", () => {
  const path = (name: string) =>
    fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

  test("tcp.cfg and tcp.yaml load to equal configs", () => {
    const cfg = loadConfigFiles([path("tcp.cfg")]);
    const yaml = loadConfigFiles([path("tcp.yaml")]);
    if (!cfg.ok || !yaml.ok) throw new Error("examples must load");
    expect(cfg.warnings).toEqual([]);
    expect(withoutOrigins(yaml.config)).toStrictEqual(withoutOrigins(cfg.config));
    const stderr = { kind: "stderr", format: "raw" };
    const POOL_DEFAULTS = {
      backup: false,
      disabled: false,
      poolMaxConn: -1,
      poolPurgeDelay: 5000,
      poolLowConn: 0,
      sendProxy: false,
      proto: "h1",
      maxReuse: -1,
    };
    expect(withoutOrigins(cfg.config)).toStrictEqual({
      global: {
        maxconn: 4096,
        hardStopAfter: 30000,
        bufsize: 16384,
        maxRewrite: 1024,
        maxHeaderFields: 101,
        h2BackendMaxConcurrentStreams: 100,
        h2FrontendMaxConcurrentStreams: 100,
        h2HeaderTableSize: 4096,
        h2InitialWindowSize: 65535,
        h2FrontendGlitchesThreshold: 1000,
        h2FrontendMaxControlFramesPerSec: 100,
        maxChecksInFlight: 64,
        masterWorker: false,
        workers: "auto",
        strictLimits: true,
        logTargets: [stderr],
      },
      frontends: [{
        name: "tcp_in",
        mode: "tcp",
        binds: [{ host: "127.0.0.1", port: 8080 }],
        defaultBackend: "app",
        maxconn: 4096,
        timeouts: { connect: 5000, client: 30000, server: 30000 },
        logTargets: [stderr],
        httpMode: "keep-alive",
        errorFiles: {},
        maxSessionSrvConns: 5,
      }],
      backends: [{
        name: "app",
        mode: "tcp",
        balance: { algorithm: "roundrobin" },
        servers: [
          { name: "s1", host: "127.0.0.1", port: 9001, weight: 3, ...POOL_DEFAULTS },
          { name: "s2", host: "127.0.0.1", port: 9002, weight: 1, ...POOL_DEFAULTS },
        ],
        retries: 3,
        timeouts: { connect: 5000, client: 30000, server: 30000 },
        httpMode: "keep-alive",
        errorFiles: {},
        redispatch: false,
        redispatchInterval: -1,
        retryOn: ["conn-failure"],
        httpReuse: "safe",
        healthCheck: { kind: "connect" },
      }],
    });
  });
});
