import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const frontend = ["frontend web", "    bind :80", "    default_backend app", "backend app", "    server a 127.0.0.1:9000"];

describe("log: HAProxy's addresses", () => {
  test.each([
    ["127.0.0.1 local0", { kind: "udp", host: "127.0.0.1", port: 514, facility: 16 }],
    ["127.0.0.1:1514 local2", { kind: "udp", host: "127.0.0.1", port: 1514, facility: 18 }],
    ["udp@10.0.0.1:514 daemon", { kind: "udp", host: "10.0.0.1", port: 514, facility: 3 }],
    ["udp4@10.0.0.1 daemon", { kind: "udp", host: "10.0.0.1", port: 514, facility: 3 }],
    ["udp6@[::1]:515 user", { kind: "udp", host: "::1", port: 515, facility: 1 }],
    ["[::1]:514 local7", { kind: "udp", host: "::1", port: 514, facility: 23 }],
    ["[2001:db8::1] local7", { kind: "udp", host: "2001:db8::1", port: 514, facility: 23 }],
    // HAProxy's reading of an IPv6 address without brackets: the last colon starts the port.
    ["::1:514 local7", { kind: "udp", host: "::1", port: 514, facility: 23 }],
    ["syslog.example.com:514 local0", { kind: "udp", host: "syslog.example.com", port: 514, facility: 16 }],
    ["/dev/log local0", { kind: "unix", path: "/dev/log", facility: 16 }],
    ["unix@/run/log.sock local0", { kind: "unix", path: "/run/log.sock", facility: 16 }],
    ["fd@3 local0", { kind: "fd", fd: 3, facility: 16 }],
    ["stdout local0", { kind: "stdout", facility: 16 }],
  ])("log %s", (line, expected) => {
    const c = loadOk(cfg("global", `    log ${line}`, ...frontend));
    expect(c.global.logTargets).toEqual([{ ...expected, format: "local", formatDefaulted: true } as never]);
  });

  test("len, format, level and minlevel", () => {
    const c = loadOk(cfg("global", "    log 127.0.0.1:514 len 2048 format rfc5424 local0 info err", ...frontend));
    expect(c.global.logTargets).toEqual([
      { kind: "udp", host: "127.0.0.1", port: 514, maxLen: 2048, format: "rfc5424", facility: 16, level: 6, minLevel: 3 },
    ]);
  });

  test("every format HAProxy 2.6 knows", () => {
    for (const format of ["local", "rfc3164", "rfc5424", "short", "priority", "timed", "iso", "raw"]) {
      const c = loadOk(cfg("global", `    log stderr format ${format} daemon`, ...frontend));
      expect(c.global.logTargets[0]!.format).toBe(format as never);
    }
  });

  test("log-send-hostname turns the default format into rfc3164, not a written one; log-tag", () => {
    const c = loadOk(cfg(
      "global",
      "    log 127.0.0.1 local0",
      "    log 127.0.0.1:515 format local local0",
      "    log-send-hostname",
      "    log-tag edge",
      "defaults",
      "    log global",
      "    log-tag shop",
      ...frontend,
    ));
    expect(c.global.logTargets.map((t) => t.format)).toEqual(["rfc3164", "local"]);
    expect(c.frontends[0]!.logTargets.map((t) => t.format)).toEqual(["rfc3164", "local"]);
    expect(c.frontends[0]!.logging).toEqual({ tag: "shop" });
    expect(c.backends[0]!.logging).toEqual({ tag: "shop" });
    const named = loadOk(cfg("global", "    log 127.0.0.1 local0", "    log-send-hostname node7", ...frontend));
    expect(named.global.logTargets[0]!.format).toBe("rfc3164");
  });

  test("several log lines per proxy, each kept (HAProxy sends to each)", () => {
    const c = loadOk(cfg(
      "global",
      "    log /dev/log local0",
      "    log /dev/log local1 notice",
      "defaults",
      "    log global",
      "frontend web",
      "    bind :80",
      "    default_backend app",
      "    log 127.0.0.1:1514 local3",
      "backend app",
      "    server a 127.0.0.1:9000",
    ));
    expect(c.frontends[0]!.logTargets.map((t) => [t.kind, t.facility, t.level])).toEqual([
      ["unix", 16, undefined],
      ["unix", 17, 5],
      ["udp", 19, undefined],
    ]);
  });

  test("a backend's own log lines (its defaults' first) take its servers' messages; without, the global ones do", () => {
    const c = loadOk(cfg(
      "global",
      "    log 127.0.0.1 local0",
      "defaults",
      "    log global",
      "frontend web",
      "    bind :80",
      "    default_backend app",
      "backend app",
      "    log 127.0.0.1:1514 local3 notice",
      "    server a 127.0.0.1:9000",
      "backend other",
      "    server b 127.0.0.1:9001",
    ));
    expect(c.backends[0]!.logTargets!.map((t) => [t.port, t.facility, t.level])).toEqual([[514, 16, undefined], [1514, 19, 5]]);
    expect(c.backends[1]!.logTargets).toBeUndefined();
  });

  test.each([
    ["ring@buf local0", "log: 'ring@buf': ring buffers are not supported (sluice has no 'ring' sections nor 'show events'); log to a syslog address, a unix socket, stdout or stderr"],
    ["tcp@10.0.0.1:514 local0", "log: address family 'tcp@' is not supported for logs (supported: udp@, udp4@, udp6@, unix@, fd@)"],
    ["127.0.0.1 len 79 local0", "log: invalid length '79' after 'len' (expected 80 to 65535)"],
    ["127.0.0.1 len 65536 local0", "log: invalid length '65536' after 'len' (expected 80 to 65535)"],
    ["127.0.0.1 format cef local0", "log: unknown format 'cef' (expected one of: local, rfc3164, rfc5424, short, priority, timed, iso, raw, json)"],
    ["127.0.0.1 sample 1:2 local0", "log: 'sample' (sending a share of the lines) is not supported yet (usage: log <address> [len <length>] [format <format>] <facility> [<level> [<minlevel>]], log stdout|stderr|<file> [format raw|json], or log global)"],
    ["127.0.0.1 local0 loud", "log: unknown level 'loud' (expected one of: emerg alert crit err warning notice info debug)"],
    ["127.0.0.1 local0 info err debug", "log: unexpected argument 'debug' after the levels (usage: log <address> [len <length>] [format <format>] <facility> [<level> [<minlevel>]], log stdout|stderr|<file> [format raw|json], or log global)"],
    ["127.0.0.1:99999 local0", "log: invalid port '99999' in '127.0.0.1:99999' (expected 1-65535)"],
    ["udp4@[::1] local0", "log: '::1' is not an IPv4 address (udp4@)"],
    ["999.1.1.1 local0", "log: invalid syslog address '999.1.1.1' (expected an IPv4 or IPv6 address, a host name, a socket path, stdout, stderr or fd@<n>)"],
  ])("refused: log %s", (line, message) => {
    expect(errorsOf(cfg("global", `    log ${line}`, ...frontend))).toEqual([`sluice.cfg:2: global: ${message}`]);
  });

  test("YAML twins", () => {
    const fromCfg = loadOk(cfg(
      "global",
      "    log 127.0.0.1:514 format rfc5424 local0 info",
      "    log-tag edge",
      "    log-send-hostname",
      "defaults",
      "    log global",
      "    option dontlognull",
      "    option logasap",
      "    option log-health-checks",
      "frontend web",
      "    bind :80",
      "    default_backend app",
      "    option log-separate-errors",
      "    option dontlog-normal",
      "    no option logasap",
      "backend app",
      "    server a 127.0.0.1:9000",
    ));
    const fromYaml = loadOk(yaml(
      "global:",
      "  log: 127.0.0.1:514 format rfc5424 local0 info",
      "  log-tag: edge",
      "  log-send-hostname: true",
      "defaults:",
      "  log: global",
      "  option: [dontlognull, logasap, log-health-checks]",
      "frontends:",
      "  web: { bind: ':80', default_backend: app, option: [log-separate-errors, dontlog-normal, no logasap] }",
      "backends:",
      "  app: { servers: { a: 127.0.0.1:9000 } }",
    ));
    expect(withoutOrigins(fromYaml)).toStrictEqual(withoutOrigins(fromCfg));
    expect(fromCfg.global.logSendHostname).toBe(true);
    expect(fromCfg.frontends[0]!.logging).toEqual({ dontLogNull: true, dontLogNormal: true, separateErrors: true });
    expect(fromCfg.backends[0]!.logging).toEqual({ healthChecks: true });
  });
});

describe("logging options", () => {
  test.each([
    [["backend b", "    option dontlognull"], "sluice.cfg:2: backend 'b': 'option dontlognull' is not allowed in a backend section"],
    [["frontend f", "    bind :80", "    option log-health-checks"], "sluice.cfg:3: frontend 'f': 'option log-health-checks' is not allowed in a frontend section"],
    [["defaults", "    option logasap now"], "sluice.cfg:2: defaults: option logasap: unexpected argument 'now' (usage: [no] option logasap)"],
    [["defaults", "    no option forwardfor"], "sluice.cfg:2: defaults: 'no option forwardfor' is not supported yet"],
  ])("%j", (text, message) => {
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });
});
