import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

// Bind options on the socket (schema-bind.ts): name, v4v6, v6only; HAProxy's
// unbracketed IPv6 any-address `:::PORT`. Both syntaxes give the same binds.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const BACKEND = ["backend be", "    server s 127.0.0.1:9001"];

describe("bind name, v4v6, v6only", () => {
  const cfgText = cfg(
    "frontend web",
    "    bind :::443 v4v6 name dual",
    "    bind [::]:8443,[::1]:8444 v6only name six",
    "    bind 127.0.0.1:80 name plain v6only",
    "    bind :81",
    "    default_backend be",
    ...BACKEND,
  );

  test("haproxy.cfg: the name on each address of its line; ipv6Only on IPv6 addresses only (HAProxy: no effect on IPv4)", () => {
    const binds = withoutOrigins(loadOk(cfgText).frontends[0]!.binds);
    expect(binds).toEqual([
      { host: "::", port: 443, name: "dual", ipv6Only: false },
      { host: "::", port: 8443, name: "six", ipv6Only: true },
      { host: "::1", port: 8444, name: "six", ipv6Only: true },
      { host: "127.0.0.1", port: 80, name: "plain" },
      { host: "0.0.0.0", port: 81 },
    ]);
  });

  test("its YAML twin gives the same frontend", () => {
    const yamlText = yaml(
      "frontends:",
      "  web:",
      "    bind:",
      "      - { address: ':::443', v4v6: true, name: dual }",
      "      - { address: '[::]:8443,[::1]:8444', v6only: true, name: six }",
      "      - { address: '127.0.0.1:80', name: plain, v6only: true }",
      "      - ':81'",
      "    default_backend: be",
      "backends:",
      "  be: { servers: [{ name: s, address: '127.0.0.1:9001' }] }",
    );
    expect(withoutOrigins(loadOk(yamlText).frontends)).toEqual(withoutOrigins(loadOk(cfgText).frontends));
  });

  test.each([
    [cfg("frontend web", "    bind :::80 v4v6 v6only", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: bind options 'v4v6' and 'v6only' contradict each other (choose one)"],
    [cfg("frontend web", "    bind :80 name", ...BACKEND), "sluice.cfg:2: frontend 'web': missing argument for bind option 'name' (usage: name <name>)"],
    [yaml("frontends:", "  web: { bind: { address: ':80', name: 3 } }"), "sluice.yaml:2:40: frontend 'web': bind: invalid bind name 3 (expected a string)"],
    [yaml("frontends:", "  web: { bind: { address: ':80', v4v6: yes } }"), "sluice.yaml:2:40: frontend 'web': bind: invalid v4v6 'yes' (expected true or false)"],
    [cfg("frontend web", "    bind a:b:80", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: invalid IPv6 address 'a:b' in 'a:b:80' (expected HOST:PORT, :PORT, *:PORT, [IPv6]:PORT or IPv6:PORT)"],
  ])("error: %#", (source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });

  test("name and v4v6 are not TLS options: they need no ssl, and go along with it", () => {
    expect(errorsOf(cfg("frontend web", "    bind :::80 v4v6 name x alpn h2", ...BACKEND))).toEqual([
      "sluice.cfg:2: frontend 'web': bind: bind option 'alpn' needs 'ssl' on the same bind",
    ]);
  });
});

describe("fullconn and minconn (the servers' dynamic limit, backend/server.ts)", () => {
  test("accepted in defaults, backend and listen, both syntaxes; the backend's own wins; HAProxy's default from the frontends' maxconn when a server has minconn", () => {
    const withIt = loadOk(cfg("defaults", "    fullconn 1000", "backend be", "    fullconn 100", "    server s 127.0.0.1:9001"));
    expect(withIt.backends[0]!.fullconn).toBe(100);
    const y = loadOk(yaml("backends:", "  be: { fullconn: 100, servers: [{ name: s, address: '127.0.0.1:9001', minconn: 5, maxconn: 50 }] }"));
    expect(y.backends[0]!.fullconn).toBe(100);
    expect(y.backends[0]!.servers[0]).toMatchObject({ minconn: 5, maxconn: 50 });
    // No fullconn: a tenth of the maxconn of the frontends that reach the backend (HAProxy), rounded up.
    const ramp = loadOk(cfg("frontend f", "    bind 127.0.0.1:8080", "    maxconn 2005", "    default_backend be", "backend be", "    server s 127.0.0.1:9001 minconn 5 maxconn 50"));
    expect(ramp.backends[0]!.fullconn).toBe(201);
    // HAProxy: minconn alone, or not below maxconn, is a fixed limit.
    const fixed = loadOk(cfg("backend be", "    server s 127.0.0.1:9001 minconn 50", "    server t 127.0.0.1:9002 minconn 60 maxconn 10"));
    expect(fixed.backends[0]!.servers.map((s) => [s.minconn, s.maxconn])).toEqual([[undefined, 50], [undefined, 60]]);
    expect(fixed.backends[0]!.fullconn).toBeUndefined();
  });

  test.each([
    [cfg("backend be", "    fullconn lots", "    server s 127.0.0.1:9001"), "sluice.cfg:2: backend 'be': invalid fullconn 'lots' (expected an integer, at least 0)"],
    [cfg("backend be", "    fullconn", "    server s 127.0.0.1:9001"), "sluice.cfg:2: backend 'be': missing argument for 'fullconn' (usage: fullconn <number>)"],
  ])("error: %#", (source, message) => {
    expect(errorsOf(source)).toEqual([message]);
  });
});

describe("UNIX socket binds (unix@PATH, /PATH) and their mode and owner", () => {
  const cfgText = cfg(
    "global",
    "    unix-bind prefix /run/sluice/ mode 600 gid 0",
    "frontend web",
    "    bind unix@web.sock mode 660 uid 0",
    "    bind /tmp/plain.sock,127.0.0.1:80",
    "    default_backend be",
    ...BACKEND,
  );

  test("haproxy.cfg: a path instead of host and port; unix-bind's prefix in front, its mode and owner under the bind's", () => {
    expect(withoutOrigins(loadOk(cfgText).frontends[0]!.binds)).toEqual([
      { host: "unix", port: 0, unix: { path: "/run/sluice/web.sock", mode: 0o660, uid: 0, gid: 0 } },
      { host: "unix", port: 0, unix: { path: "/run/sluice//tmp/plain.sock", mode: 0o600, gid: 0 } },
      { host: "127.0.0.1", port: 80 },
    ]);
  });

  test("its YAML twin gives the same frontend", () => {
    const yamlText = yaml(
      "global:",
      "  unix-bind: prefix /run/sluice/ mode 600 gid 0",
      "frontends:",
      "  web:",
      "    bind:",
      "      - { address: 'unix@web.sock', mode: '660', uid: 0 }",
      "      - '/tmp/plain.sock,127.0.0.1:80'",
      "    default_backend: be",
      "backends:",
      "  be: { servers: [{ name: s, address: '127.0.0.1:9001' }] }",
    );
    expect(withoutOrigins(loadOk(yamlText).frontends)).toEqual(withoutOrigins(loadOk(cfgText).frontends));
  });

  test.each([
    [cfg("frontend web", "    bind abns@name", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: 'abns@name': abstract UNIX sockets (abns@) are not supported: HAProxy 2.6 names one by the full 108-byte socket path (the name padded with NUL bytes), which Bun's listener cannot bind; use unix@/path"],
    [cfg("frontend web", "    bind unix@", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: missing path after 'unix@' in 'unix@'"],
    [cfg("frontend web", "    bind unix@/a.sock ssl crt /x.pem", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: 'ssl' on a UNIX socket bind is not supported (the runtimes' UNIX listeners are plain; bind TLS on an IP address)"],
    [cfg("frontend web", "    bind /a.sock mode 999", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: invalid bind mode '999' (expected an octal permission such as 660)"],
    [cfg("frontend web", "    bind /a.sock user root uid 0", ...BACKEND), "sluice.cfg:2: frontend 'web': bind: bind options 'user' and 'uid' both set the socket's owner (choose one)"],
    [cfg("frontend a", "    bind /a.sock", "    default_backend be", "frontend b", "    bind unix@/a.sock", "    default_backend be", ...BACKEND), "sluice.cfg:5: frontend 'b': bind: unix@/a.sock conflicts with unix@/a.sock (frontend 'a' at sluice.cfg:2)"],
  ])("refused with its line: %#", (input, message) => {
    expect(errorsOf(input)).toContain(message);
  });
});
