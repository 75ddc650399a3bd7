// `cookie NAME ...` (defaults, backend, listen) and a server's `cookie VALUE`
// (issue 15, cookie), in both syntaxes, with HAProxy 2.6's checks and its
// messages where it has one, each error with file:line.
import { describe, expect, test } from "bun:test";
import type { CookiePersistence } from "../../../src/config/types.ts";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

/** An http frontend and backend `app` (line 7 is the first of `be`); `defaults` lines after `mode http`. */
function http(be: string[], defaults: string[] = [], servers = ["server a 127.0.0.1:9000 cookie s1", "server b 127.0.0.1:9001"]): string[] {
  return [
    "defaults",
    "    mode http",
    ...defaults.map((l) => `    ${l}`),
    "frontend web",
    "    bind :80",
    "    default_backend app",
    "backend app",
    ...be.map((l) => `    ${l}`),
    ...servers.map((l) => `    ${l}`),
  ];
}

const BASE: CookiePersistence = {
  name: "SRV",
  mode: "insert",
  indirect: false,
  nocache: false,
  postonly: false,
  preserve: false,
  httponly: false,
  secure: false,
  domains: [],
  maxidle: 0,
  maxlife: 0,
  attrs: [],
};

describe("cookie in haproxy.cfg", () => {
  test("no cookie line: no persistence; a server without `cookie` has none", () => {
    const c = loadOk(cfg(...http([])));
    expect(c.backends[0]!.cookie).toBeUndefined();
    expect(c.backends[0]!.servers.map((s) => s.cookie)).toEqual(["s1", undefined]);
  });

  test("every option, in the model's units (maxidle and maxlife in seconds; a bare number is seconds)", () => {
    const line = "cookie SRV insert indirect nocache postonly preserve httponly secure domain .a.example domain b.example maxidle 30m maxlife 8h attr SameSite=Lax attr \"Priority=High x\"";
    const c = loadOk(cfg(...http([line])));
    expect(c.backends[0]!.cookie).toEqual({
      ...BASE,
      indirect: true,
      nocache: true,
      postonly: true,
      preserve: true,
      httponly: true,
      secure: true,
      domains: [".a.example", "b.example"],
      maxidle: 1800,
      maxlife: 28800,
      attrs: ["SameSite=Lax", "Priority=High x"],
    });
    expect(loadOk(cfg(...http(["cookie SRV insert maxidle 90"]))).backends[0]!.cookie!.maxidle).toBe(90);
    expect(loadOk(cfg(...http(["cookie SRV insert maxidle 1500ms"]))).backends[0]!.cookie!.maxidle).toBe(2);
  });

  test("the modes; none of them is the passive mode", () => {
    for (const mode of ["insert", "rewrite", "prefix"] as const) {
      expect(loadOk(cfg(...http([`cookie SRV ${mode}`]))).backends[0]!.cookie).toEqual({ ...BASE, mode });
    }
    expect(loadOk(cfg(...http(["cookie SRV"]))).backends[0]!.cookie).toEqual({ ...BASE, mode: "passive" });
    expect(loadOk(cfg(...http(["cookie SRV indirect"]))).backends[0]!.cookie).toEqual({ ...BASE, mode: "passive", indirect: true });
  });

  test("from defaults, unless the backend has its own line (which replaces it whole)", () => {
    const c = loadOk(cfg(...http([], ["cookie DEF insert nocache"])));
    expect(c.backends[0]!.cookie).toEqual({ ...BASE, name: "DEF", nocache: true });
    const d = loadOk(cfg(...http(["cookie OWN prefix"], ["cookie DEF insert nocache"])));
    expect(d.backends[0]!.cookie).toEqual({ ...BASE, name: "OWN", mode: "prefix" });
  });

  test("a listen section takes it", () => {
    const c = loadOk(cfg("listen app", "    mode http", "    bind :80", "    cookie SRV insert indirect", "    server a 127.0.0.1:9000 cookie a"));
    expect(c.backends[0]!.cookie).toEqual({ ...BASE, indirect: true });
    expect(c.backends[0]!.servers[0]!.cookie).toBe("a");
  });
});

describe("cookie in mode tcp", () => {
  test("ignored, with HAProxy's warning at the line (or at the section when it came from defaults)", () => {
    const tcp = (be: string[], defaults: string[] = []) =>
      cfg("defaults", "    mode tcp", ...defaults.map((l) => `    ${l}`), "backend app", ...be.map((l) => `    ${l}`), "    server a 127.0.0.1:9000 cookie a");
    expect(loadOk(tcp(["cookie SRV insert"])).backends[0]!.cookie).toBeUndefined();
    expect(warningsOf(tcp(["cookie SRV insert"]))).toContain("sluice.cfg:4: backend 'app': cookie will be ignored for backend 'app' (needs 'mode http')");
    expect(warningsOf(tcp([], ["cookie SRV insert"]))).toContain("sluice.cfg:4: backend 'app': cookie will be ignored for backend 'app' (needs 'mode http')");
  });
});

describe("cookie: the YAML twin", () => {
  test("a string of the same words, or a list of them, gives the same backend", () => {
    const line = "SRV insert indirect nocache httponly domain .a.example maxidle 30m maxlife 8h attr \"SameSite=None\"";
    const fromCfg = loadOk(cfg(...http([`cookie ${line}`])));
    for (const value of [`'${line}'`, "[SRV, insert, indirect, nocache, httponly, domain, .a.example, maxidle, 30m, maxlife, 8h, attr, SameSite=None]"]) {
      const fromYaml = loadOk(yaml(
        "defaults:",
        "  mode: http",
        "frontends:",
        "  web:",
        "    bind: ':80'",
        "    default_backend: app",
        "backends:",
        "  app:",
        `    cookie: ${value}`,
        "    servers:",
        "      a: { address: '127.0.0.1:9000', cookie: s1 }",
        "      b: 127.0.0.1:9001",
      ));
      expect(withoutOrigins(fromYaml)).toEqual(withoutOrigins(fromCfg));
    }
  });

  test("in defaults too", () => {
    const c = loadOk(yaml(
      "defaults:",
      "  mode: http",
      "  cookie: SRV rewrite",
      "listen:",
      "  app:",
      "    bind: ':80'",
      "    servers:",
      "      - { name: a, address: '127.0.0.1:9000', cookie: x }",
    ));
    expect(c.backends[0]!.cookie).toEqual({ ...BASE, mode: "rewrite" });
    expect(c.backends[0]!.servers[0]!.cookie).toBe("x");
  });
});

describe("cookie errors name file:line", () => {
  const cases: [string, string[], string][] = [
    ["two modes", ["cookie SRV insert rewrite"], "sluice.cfg:7: backend 'app': cookie 'rewrite', 'insert' and 'prefix' modes are incompatible"],
    ["rewrite and indirect", ["cookie SRV rewrite indirect"], "sluice.cfg:7: backend 'app': cookie 'rewrite' and 'indirect' modes are incompatible"],
    ["preserve alone", ["cookie SRV preserve"], "sluice.cfg:7: backend 'app': cookie 'preserve' requires at least 'insert' or 'indirect'"],
    ["domain without a value", ["cookie SRV insert domain"], "sluice.cfg:7: backend 'app': 'domain' expects <domain> as argument"],
    ["attr with a semicolon", ["cookie SRV insert attr a;b"], "sluice.cfg:7: backend 'app': character 'a;b' is not permitted in attribute value (no control characters, no ';')"],
    ["an unknown option", ["cookie SRV insert sticky"], "sluice.cfg:7: backend 'app': 'cookie' supports rewrite, insert, prefix, indirect, nocache, postonly, preserve, httponly, secure, domain, maxidle, maxlife and attr options (got 'sticky')"],
    ["dynamic", ["cookie SRV insert dynamic"], "sluice.cfg:7: backend 'app': cookie option 'dynamic' is not supported yet (give each server its 'cookie <value>')"],
    ["a bad time", ["cookie SRV insert maxidle 5x"], "sluice.cfg:7: backend 'app': invalid maxidle '5x' (expected a number with unit us, ms, s, m, h or d; seconds without one)"],
    ["a name that is not a token", ["cookie S;R insert"], "sluice.cfg:7: backend 'app': invalid cookie name 'S;R' (expected a token, RFC 6265)"],
    ["no name", ["cookie"], "sluice.cfg:7: backend 'app': missing argument for 'cookie' (usage: cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly] [secure] [domain <domain>]... [maxidle <time>] [maxlife <time>] [attr <value>]...)"],
  ];
  for (const [what, be, message] of cases) {
    test(what, () => {
      expect(errorsOf(cfg(...http(be)))).toEqual([message]);
    });
  }

  test("not in a frontend", () => {
    expect(errorsOf(cfg("frontend web", "    mode http", "    bind :80", "    cookie SRV insert"))).toEqual([
      "sluice.cfg:4: frontend 'web': 'cookie' is not allowed in a frontend section",
    ]);
  });

  test("a server's cookie value must be a cookie value; `cookie` without one is a usage error", () => {
    expect(errorsOf(cfg(...http([], [], ["server a 127.0.0.1:9000 cookie a,b"])))).toEqual([
      "sluice.cfg:7: backend 'app': server 'a': invalid cookie 'a,b' (expected a cookie value: visible characters but space, '\"', ',', ';' and '\\')",
    ]);
    expect(errorsOf(cfg(...http([], [], ["server a 127.0.0.1:9000 cookie"])))).toEqual([
      "sluice.cfg:7: backend 'app': server 'a': missing argument for 'cookie' (usage: cookie <value>)",
    ]);
  });

  test("YAML: line and column of the value", () => {
    const errors = errorsOf(yaml(
      "backends:",
      "  app:",
      "    mode: http",
      "    cookie: SRV insert rewrite",
      "    servers:",
      "      a: { address: '127.0.0.1:9000', cookie: 'a b' }",
    ));
    expect(errors).toEqual([
      "sluice.yaml:4:13: backend 'app': cookie 'rewrite', 'insert' and 'prefix' modes are incompatible",
      "sluice.yaml:6:47: backend 'app': server 'a': invalid cookie 'a b' (expected a cookie value: visible characters but space, '\"', ',', ';' and '\\')",
    ]);
  });
});
