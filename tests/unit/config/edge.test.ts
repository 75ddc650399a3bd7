// The edge options (issue 19, edgeopts): zero-warning and which words count
// for it (HAProxy's warnings, not sluice's notices), tune.ssl.default-dh-param
// (checked as HAProxy, said unused), userlist hashes no password can match.
import { describe, expect, test } from "bun:test";
import { ConfigNotice, warningLine } from "../../../src/config/errors.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { TestPki } from "../../support/certs.ts";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const FRONT = ["frontend web", "    bind :80", "    default_backend app", "backend app", "    server a 127.0.0.1:9001"];

describe("zero-warning", () => {
  test("a configuration without warnings starts; YAML twin", () => {
    expect(loadOk(cfg("global", "    zero-warning", ...FRONT)).global.zeroWarning).toBe(true);
    const y = loadOk(yaml("global:", "  zero-warning: true", "frontends:", "  web: { bind: ':80', default_backend: app }", "backends:", "  app: { servers: [{ name: a, address: '127.0.0.1:9001' }] }"));
    expect(withoutOrigins(y)).toEqual(withoutOrigins(loadOk(cfg("global", "    zero-warning", ...FRONT))));
  });

  test("one of HAProxy's warnings refuses it, at the zero-warning line; the warning is kept to be printed", () => {
    const text = cfg("global", "    zero-warning", ...FRONT, "frontend nowhere", "    default_backend app");
    const r = loadConfigTexts([text]);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      "sluice.cfg:2: global: zero-warning: 1 warning was found (printed above) and 'zero-warning' is set: refusing the configuration, as HAProxy does",
    ]);
    expect(r.warnings.map(warningLine)).toEqual([
      "warning: sluice.cfg:8: frontend 'nowhere': no 'bind' directive: it listens nowhere. Please declare it as a backend if this was intended.",
    ]);
    // The same file without zero-warning starts, with its warning.
    expect(loadConfigTexts([cfg(...FRONT, "frontend nowhere", "    default_backend app")]).ok).toBe(true);
  });

  test(".warning counts, .notice and .diag do not (HAProxy's); sluice's notices do not either", () => {
    expect(errorsOf(cfg("global", "    zero-warning", ".warning careful", ...FRONT))[0]).toContain("zero-warning: 1 warning was found");
    const text = cfg(
      "global",
      "    zero-warning",
      "    stats socket /run/sluice.sock level admin expose-fd listeners",
      ".notice hello",
      ".diag there",
      ...FRONT,
      "backend empty",
      "    mode tcp",
      "    retry-on 503",
    );
    const r = loadConfigTexts([text]);
    expect(r.ok).toBe(true);
    expect(r.warnings.length).toBe(5);
    expect(r.warnings.every((w) => w instanceof ConfigNotice)).toBe(true);
    expect(r.warnings.map(warningLine)[0]).toStartWith("notice: sluice.cfg:3: global: stats socket: 'expose-fd listeners' has no effect");
  });

  test("takes no argument", () => {
    expect(errorsOf(cfg("global", "    zero-warning yes", ...FRONT))[0]).toBe("sluice.cfg:2: global: too many arguments for 'zero-warning': 'yes' (usage: zero-warning)");
  });
});

describe("tune.ssl.default-dh-param", () => {
  test("N >= 1024 is accepted with a notice: neither runtime's TLS has DHE to size; YAML twin", () => {
    const text = cfg("global", "    tune.ssl.default-dh-param 2048", ...FRONT);
    expect(loadOk(text).global.dhParamBits).toBe(2048);
    expect(warningsOf(text)).toEqual([
      "sluice.cfg:2: global: tune.ssl.default-dh-param 2048 sizes nothing: the runtime's TLS has no DHE key exchange (Bun: BoringSSL, Deno: rustls), so DHE-* ciphers are never negotiated; clients get ECDHE or TLS 1.3",
    ]);
    const y = yaml("global:", "  tune.ssl.default-dh-param: 2048", "frontends:", "  web: { bind: ':80', default_backend: app }", "backends:", "  app: { servers: [{ name: a, address: '127.0.0.1:9001' }] }");
    expect(loadOk(y).global.dhParamBits).toBe(2048);
    expect(warningsOf(y)[0]).toStartWith("sluice.yaml:2:3: global: tune.ssl.default-dh-param 2048 sizes nothing");
  });

  test("below 1024 or not a number: HAProxy's error", () => {
    expect(errorsOf(cfg("global", "    tune.ssl.default-dh-param 512", ...FRONT))).toEqual([
      "sluice.cfg:2: global: 'tune.ssl.default-dh-param' expects a value >= 1024 (got '512')",
    ]);
    expect(errorsOf(cfg("global", "    tune.ssl.default-dh-param big", ...FRONT))[0]).toContain("expects a value >= 1024 (got 'big')");
  });
});

describe("userlist passwords no one can match", () => {
  test("accepted as HAProxy does, with a notice naming file, line, userlist and user", () => {
    const text = cfg(
      "userlist first",
      "    user tiger password $6$k6y3o.eP$JlKBx9za9667qe4xHSwRv6J.C0/D7cV91",
      "    user scott insecure-password elgato",
      ...FRONT,
    );
    const c = loadOk(text);
    expect(c.userlists?.first?.users.map((u) => u.name)).toEqual(["tiger", "scott"]);
    expect(warningsOf(text)).toEqual([
      "sluice.cfg:2: userlist 'first': user 'tiger': password: malformed SHA-512-crypt hash (expected 86 characters of [./0-9A-Za-z] after the salt, got 33): no password matches it, so this user never logs in (HAProxy accepts it the same way)",
    ]);
    // A notice: zero-warning (where HAProxy is silent too) still starts.
    expect(loadConfigTexts([cfg("global", "    zero-warning", ...text.text.trimEnd().split("\n"))]).ok).toBe(true);
  });

  test("a hash HAProxy's crypt(3) would match but sluice cannot compute stays an error", () => {
    expect(errorsOf(cfg("userlist l", "    user a password $1$abc$0123456789abcdefghijkl", ...FRONT))[0]).toContain("MD5-crypt hashes ('$1$') are not supported");
  });
});

describe("prefer-client-ciphers", () => {
  const leaf = new TestPki().leaf("p", { names: ["p.test"] });
  test("on a bind, or for every bind in ssl-default-bind-options; YAML twin; absent: the server's order", () => {
    const c = loadOk(cfg(
      "frontend web",
      `    bind :443 ssl crt ${leaf.pem} prefer-client-ciphers`,
      `    bind :444 ssl crt ${leaf.pem}`,
      "    default_backend app",
      "backend app",
      "    server a 127.0.0.1:9001",
    ));
    expect(c.frontends[0]!.binds.map((b) => b.ssl?.preferClientCiphers)).toEqual([true, undefined]);
    const d = loadOk(cfg("global", "    ssl-default-bind-options no-sslv3 prefer-client-ciphers", "frontend web", `    bind :443 ssl crt ${leaf.pem}`, "    default_backend app", "backend app", "    server a 127.0.0.1:9001"));
    expect(d.frontends[0]!.binds[0]!.ssl?.preferClientCiphers).toBe(true);
    const y = loadOk(yaml(
      "frontends:",
      `  web: { bind: { address: ':443', ssl: true, crt: '${leaf.pem}', prefer-client-ciphers: true }, default_backend: app }`,
      "backends:",
      "  app: { servers: [{ name: a, address: '127.0.0.1:9001' }] }",
    ));
    expect(y.frontends[0]!.binds[0]!.ssl?.preferClientCiphers).toBe(true);
  });

  test("needs ssl on the bind", () => {
    expect(errorsOf(cfg("frontend web", "    bind :80 prefer-client-ciphers", ...FRONT.slice(2)))).toEqual([
      "sluice.cfg:2: frontend 'web': bind: bind option 'prefer-client-ciphers' needs 'ssl' on the same bind",
    ]);
  });
});
