import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

// HTTP/2 towards clients: `bind ADDR proto h2` and the global tune.h2.*
// settings of the client side, in both syntaxes, with their defaults and errors.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

const KEYWORDS = [
  ["tune.h2.fe.max-concurrent-streams", "h2FrontendMaxConcurrentStreams", 100, 250],
  ["tune.h2.header-table-size", "h2HeaderTableSize", 4096, 8192],
  ["tune.h2.initial-window-size", "h2InitialWindowSize", 65535, 1048576],
  ["tune.h2.fe.glitches-threshold", "h2FrontendGlitchesThreshold", 1000, 50],
  ["tune.h2.fe.max-control-frames-per-sec", "h2FrontendMaxControlFramesPerSec", 100, 20],
] as const;

describe("global tune.h2 settings of the client side", () => {
  test.each(KEYWORDS)("%s: its default, and set in either syntax", (keyword, field, builtin, value) => {
    expect(loadOk(cfg("global")).global[field]).toBe(builtin);
    expect(loadOk(cfg("global", `    ${keyword} ${value}`)).global[field]).toBe(value);
    expect(loadOk(yaml("global:", `  ${keyword}: ${value}`)).global[field]).toBe(value);
  });

  test.each([
    [cfg("global", "    tune.h2.fe.max-concurrent-streams 0"), "sluice.cfg:2: global: tune.h2.fe.max-concurrent-streams 0 is out of range (1-2147483647)"],
    [cfg("global", "    tune.h2.header-table-size 70000"), "sluice.cfg:2: global: tune.h2.header-table-size 70000 is out of range (0-65536)"],
    [cfg("global", "    tune.h2.initial-window-size 0"), "sluice.cfg:2: global: tune.h2.initial-window-size 0 is out of range (1-2147483647)"],
    [cfg("global", "    tune.h2.fe.glitches-threshold none"), "sluice.cfg:2: global: invalid tune.h2.fe.glitches-threshold 'none' (expected an integer, at least 1)"],
    [cfg("defaults", "    tune.h2.initial-window-size 1000"), "sluice.cfg:2: defaults: 'tune.h2.initial-window-size' is not allowed in a defaults section"],
    [cfg("global", "    tune.h2.fe.max-control-frames-per-sec"), "sluice.cfg:2: global: missing argument for 'tune.h2.fe.max-control-frames-per-sec' (usage: tune.h2.fe.max-control-frames-per-sec <number>)"],
  ])("error: %#", (source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("bind ... proto h2", () => {
  const cfgText = cfg(
    "defaults",
    "    mode http",
    "frontend web",
    "    bind 127.0.0.1:8080",
    "    bind 127.0.0.1:8081,127.0.0.1:8082 proto h2",
    "    default_backend app",
    "backend app",
    "    server a 127.0.0.1:9000",
  );
  const yamlText = yaml(
    "defaults: { mode: http }",
    "frontends:",
    "  web:",
    "    bind: ['127.0.0.1:8080', { address: '127.0.0.1:8081,127.0.0.1:8082', proto: h2 }]",
    "    default_backend: app",
    "backends:",
    "  app: { servers: { a: '127.0.0.1:9000' } }",
  );

  test("haproxy.cfg: the option reaches every address of its line; a bind without it has none", () => {
    const binds = loadOk(cfgText).frontends[0]!.binds;
    expect(binds.map((b) => [b.port, b.proto])).toEqual([[8080, undefined], [8081, "h2"], [8082, "h2"]]);
  });

  test("its YAML twin gives the same frontend", () => {
    expect(withoutOrigins(loadOk(yamlText).frontends)).toEqual(withoutOrigins(loadOk(cfgText).frontends));
  });

  test.each([
    [cfg("frontend web", "    bind :80 proto h3"), "sluice.cfg:2: frontend 'web': bind: invalid bind proto 'h3' (expected h2)"],
    [cfg("frontend web", "    bind :80 proto"), "sluice.cfg:2: frontend 'web': missing argument for bind option 'proto' (usage: proto h2)"],
    [yaml("frontends:", "  web: { bind: { address: ':80', proto: h1 } }"), "sluice.yaml:2:41: frontend 'web': bind: invalid bind proto 'h1' (expected h2)"],
    [yaml("frontends:", "  web: { bind: { address: ':80', alpn: h2 } }"), "sluice.yaml:2:16: frontend 'web': bind: bind option 'alpn' needs 'ssl' on the same bind"],
    [yaml("frontends:", "  web: { bind: { address: ':80', proto: h2, frobnicate: 1 } }"), "sluice.yaml:2:45: frontend 'web': bind: bind option 'frobnicate' is not supported yet (supported: proto, ssl, crt, crt-list, default-crt, alpn, ssl-min-ver, ssl-max-ver, ciphers, ciphersuites, curves, strict-sni, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, no-tls-tickets, prefer-client-ciphers, verify, ca-file, crl-file, crt-ignore-err, ca-ignore-err, accept-proxy, name, v4v6, v6only, mode, user, uid, group, gid)"],
    [cfg("frontend web", "    mode tcp", "    bind :80 proto h2"), "sluice.cfg:3: frontend 'web': bind: proto h2 needs mode http (this frontend is in tcp mode)"],
  ])("error: %#", (source, message) => {
    expect(errorsOf(source)).toContain(message);
  });
});

test("examples/h2c.cfg and examples/h2c.yaml load to equal configs, with the h2 bind", () => {
  const read = (name: string) => ({ name, text: readFileSync(fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url)), "utf8") });
  const fromCfg = loadOk(read("h2c.cfg"));
  expect(withoutOrigins(loadOk(read("h2c.yaml")))).toEqual(withoutOrigins(fromCfg));
  expect(fromCfg.frontends[0]!.binds.map((b) => b.proto)).toEqual([undefined, "h2"]);
});

describe("HAProxy 2.6's tune.h2.max-concurrent-streams", () => {
  test("sets the limit of both sides; 0 is no limit; a later fe/be line changes its side", () => {
    const g = loadOk(cfg("global", "    tune.h2.max-concurrent-streams 7")).global;
    expect([g.h2FrontendMaxConcurrentStreams, g.h2BackendMaxConcurrentStreams]).toEqual([7, 7]);
    const none = loadOk(cfg("global", "    tune.h2.max-concurrent-streams 0")).global;
    expect(none.h2FrontendMaxConcurrentStreams).toBe(2 ** 31 - 1);
    const later = loadOk(cfg("global", "    tune.h2.max-concurrent-streams 7", "    tune.h2.be.max-concurrent-streams 3")).global;
    expect([later.h2FrontendMaxConcurrentStreams, later.h2BackendMaxConcurrentStreams]).toEqual([7, 3]);
    expect(errorsOf(cfg("global", "    tune.h2.max-concurrent-streams lots"))).toEqual(["sluice.cfg:2: global: 'tune.h2.max-concurrent-streams' expects one number (0: no limit)"]);
  });
});
