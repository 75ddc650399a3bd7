// The defaults-and-proxies keywords real configurations carry (issue 19):
// default-server, named defaults and `from`, errorloc*, the TCP keep-alive
// and splice options, environment variables, `.if` blocks, and the
// refusals of resolvers, peers and the options sluice does not do.
import { describe, expect, test } from "bun:test";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { parseCfg } from "../../../src/config/cfg.ts";
import { evaluateCondition } from "../../../src/config/cfg-conditions.ts";
import { splitWords } from "../../../src/config/cfg-words.ts";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const FRONT = ["frontend web", "    bind :80", "    default_backend app"];

describe("default-server", () => {
  test("servers below it start from its options; the defaults' first, then the section's, then their own", () => {
    const c = loadOk(cfg(
      "defaults",
      "    default-server inter 3s fall 2",
      ...FRONT,
      "backend app",
      "    server early 127.0.0.1:9000 check",
      "    default-server weight 7 maxconn 40 check",
      "    server a 127.0.0.1:9001",
      "    server b 127.0.0.1:9002 weight 2 no-check",
      "    default-server disabled",
      "    server c 127.0.0.1:9003 enabled",
    ));
    const s = Object.fromEntries(c.backends[0]!.servers.map((x) => [x.name, x]));
    // A line applies to the servers after it, as in HAProxy.
    expect([s.early!.weight, s.early!.maxconn, s.early!.check?.inter]).toEqual([1, undefined, 3000]);
    expect([s.a!.weight, s.a!.maxconn, s.a!.check?.inter, s.a!.check?.fall]).toEqual([7, 40, 3000, 2]);
    expect([s.b!.weight, s.b!.check]).toEqual([2, undefined]);
    expect([s.c!.disabled, s.c!.weight]).toEqual([false, 7]);
  });

  test("an inherited bad value is reported at the default-server line", () => {
    expect(errorsOf(cfg(...FRONT, "backend app", "    default-server inter soon", "    server a 127.0.0.1:9001"))).toEqual([
      "sluice.cfg:5: backend 'app': server 'a': inter: invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)",
    ]);
  });

  test("not in a frontend; no cookie; options read as on server lines", () => {
    expect(errorsOf(cfg("frontend web", "    bind :80", "    default-server check"))[0]).toBe(
      "sluice.cfg:3: frontend 'web': 'default-server' is not allowed in a frontend section",
    );
    expect(errorsOf(cfg(...FRONT, "backend app", "    default-server cookie x"))).toContain(
      "sluice.cfg:5: backend 'app': default-server: 'cookie' is not allowed here (each server's cookie value is its own)",
    );
    expect(errorsOf(cfg(...FRONT, "backend app", "    default-server frob"))[0]).toStartWith(
      "sluice.cfg:5: backend 'app': default-server: option 'frob' is not supported yet (supported: weight,",
    );
  });

  test("YAML twin: a mapping in defaults and in the backend", () => {
    const fromCfg = loadOk(cfg(
      "defaults",
      "    default-server inter 3s",
      ...FRONT,
      "backend app",
      "    default-server weight 7 check",
      "    server a 127.0.0.1:9001",
      "    server b 127.0.0.1:9002 weight 2",
    ));
    const fromYaml = loadOk(yaml(
      "defaults:",
      "  default-server: { inter: 3s }",
      "frontends:",
      "  web: { bind: ':80', default_backend: app }",
      "backends:",
      "  app:",
      "    default-server: { weight: 7, check: true }",
      "    servers:",
      "      a: 127.0.0.1:9001",
      "      b: { address: 127.0.0.1:9002, weight: 2 }",
    ));
    expect(withoutOrigins(fromYaml.backends)).toEqual(withoutOrigins(fromCfg.backends));
    expect(errorsOf(yaml("backends:", "  app:", "    default-server: { inter: soon }", "    servers: { a: 127.0.0.1:1 }"))).toEqual([
      "sluice.yaml:3:30: backend 'app': server 'a': inter: invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)",
    ]);
  });
});

describe("named defaults and from (HAProxy 2.6)", () => {
  test("a proxy uses the defaults it names; the others the last defaults section", () => {
    const c = loadOk(cfg(
      "defaults slow",
      "    mode http",
      "    timeout server 60s",
      "    default-server maxconn 5",
      "defaults fast",
      "    mode http",
      "    timeout server 2s",
      "frontend web from slow",
      "    bind :80",
      "    default_backend a",
      "backend a from slow",
      "    server s 127.0.0.1:1",
      "backend b",
      "    server s 127.0.0.1:1",
      "defaults tuned from slow",
      "    timeout connect 1s",
      "backend c from tuned",
      "    server s 127.0.0.1:1",
    ));
    const b = Object.fromEntries(c.backends.map((x) => [x.name, x]));
    expect([b.a!.timeouts.server, b.a!.servers[0]!.maxconn]).toEqual([60000, 5]);
    expect([b.b!.timeouts.server, b.b!.servers[0]!.maxconn]).toEqual([2000, undefined]);
    expect([b.c!.timeouts.server, b.c!.timeouts.connect, b.c!.servers[0]!.maxconn]).toEqual([60000, 1000, 5]);
    expect(c.frontends[0]!.timeouts.client).toBe(c.frontends[0]!.timeouts.client);
  });

  test("an unknown or a second defaults of one name is an error; a broken defaults is reported once", () => {
    expect(errorsOf(cfg("backend a from nope", "    server s 127.0.0.1:1"))).toEqual([
      "sluice.cfg:1: backend 'a': defaults 'nope' not found (a defaults section named by 'from' must come before)",
    ]);
    expect(errorsOf(cfg("defaults d", "    mode http", "defaults d", "    mode tcp"))).toEqual([
      "sluice.cfg:3: defaults: defaults 'd' is already defined (a named defaults section must be unique)",
    ]);
    expect(errorsOf(cfg("defaults d", "    retries many", "backend a from d", "    server s 127.0.0.1:1", "backend b", "    server s 127.0.0.1:1"))).toEqual([
      "sluice.cfg:2: defaults: invalid retries 'many' (expected an integer, at least 0)",
    ]);
  });
});

describe("errorloc, errorloc302, errorloc303", () => {
  test("the status is answered with a redirect; a later errorfile or errorloc for it replaces it", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode http",
      "    errorloc 503 https://status.example.com/",
      "    errorloc303 403 /denied",
      "frontend web",
      "    bind :80",
      "    default_backend app",
      "    errorloc302 503 https://other.example.com/",
      "backend app",
      "    server s 127.0.0.1:1",
    ));
    const text = (code: number) => new TextDecoder().decode(c.frontends[0]!.errorFiles[code]);
    expect(text(503)).toBe("HTTP/1.1 302 Found\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: https://other.example.com/\r\n\r\n");
    expect(text(403)).toBe("HTTP/1.1 303 See Other\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: /denied\r\n\r\n");
    expect(errorsOf(cfg("defaults", "    errorloc 302 /x"))).toEqual([
      "sluice.cfg:2: defaults: errorloc: status '302' is not supported (expected one of: 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)",
    ]);
  });

  test("YAML twin", () => {
    const c = loadOk(yaml("defaults:", "  errorloc303: { 503: /busy }"));
    expect(c.backends).toEqual([]);
    const f = loadOk(yaml("defaults:", "  errorloc303: { 503: /busy }", "frontends:", "  web: { bind: ':80', mode: http, default_backend: app }", "backends:", "  app: { mode: http, servers: { s: 127.0.0.1:1 } }"));
    expect(new TextDecoder().decode(f.frontends[0]!.errorFiles[503])).toContain("Location: /busy\r\n");
  });
});

describe("option tcpka, clitcpka, srvtcpka, splice-*", () => {
  test("keep-alive towards clients and servers, per section, with `no option`", () => {
    const c = loadOk(cfg(
      "defaults",
      "    option tcpka",
      "    option splice-auto",
      "frontend web",
      "    bind :80",
      "    default_backend a",
      "frontend quiet",
      "    bind :81",
      "    no option clitcpka",
      "    default_backend b",
      "backend a",
      "    server s 127.0.0.1:1",
      "backend b",
      "    option splice-response",
      "    no option tcpka",
      "    server s 127.0.0.1:1",
    ));
    expect(c.frontends.map((f) => f.clientTcpKeepAlive)).toEqual([true, undefined]);
    expect(c.backends.map((b) => b.serverTcpKeepAlive)).toEqual([true, undefined]);
    const only = loadOk(cfg("listen l", "    bind :80", "    option srvtcpka", "    server s 127.0.0.1:1"));
    expect([only.frontends[0]!.clientTcpKeepAlive, only.backends[0]!.serverTcpKeepAlive]).toEqual([undefined, true]);
  });

  test("option abortonclose: in defaults, backend and listen; no option undoes it", () => {
    const c = loadOk(cfg("defaults", "    mode http", "    option abortonclose", ...FRONT, "backend app", "    server s 127.0.0.1:1", "backend other", "    no option abortonclose", "    server s 127.0.0.1:1"));
    expect(c.backends.map((b) => b.abortOnClose)).toEqual([true, undefined]);
    expect(errorsOf(cfg("frontend web", "    bind :80", "    option abortonclose"))).toEqual([
      "sluice.cfg:3: frontend 'web': 'option abortonclose' is not allowed in a frontend section",
    ]);
  });

  test("option http-pretend-keepalive: the backend's (or its defaults'); in YAML too; no option undoes it", () => {
    const c = loadOk(cfg("defaults", "    mode http", "    option http-pretend-keepalive", ...FRONT, "backend app", "    server s 127.0.0.1:1", "backend other", "    no option http-pretend-keepalive", "    server s 127.0.0.1:1"));
    expect(c.backends.map((b) => b.pretendKeepAlive)).toEqual([true, undefined]);
    const y = loadOk({ name: "sluice.yaml", text: "backends:\n  app: { mode: http, option: [http-pretend-keepalive], servers: [{ name: s, address: '127.0.0.1:1' }] }\n" });
    expect(y.backends[0]!.pretendKeepAlive).toBe(true);
  });

  test("where HAProxy allows them", () => {
    expect(errorsOf(cfg("frontend web", "    bind :80", "    option srvtcpka"))).toEqual([
      "sluice.cfg:3: frontend 'web': 'option srvtcpka' is not allowed in a frontend section",
    ]);
  });

  test("the options sluice does not do are refused with why; their `no option` (HAProxy's default) is accepted", () => {
    expect(errorsOf(cfg("defaults", "    option nolinger"))).toEqual([
      "sluice.cfg:2: defaults: option 'nolinger' is not supported: the runtimes' sockets cannot close with a reset (SO_LINGER 0); sluice closes with FIN",
    ]);
    loadOk(cfg("defaults", "    no option abortonclose", "    no option nolinger", "    no option prefer-last-server"));
  });
});

describe("environment variables", () => {
  const env = { PORT: "8080", WORDS: "a b  c", EMPTY: "" };
  const words = (line: string) => splitWords(line, env);

  test("in double quotes: $NAME, ${NAME}, ${NAME-default}, ${NAME[*]}; unset is empty", () => {
    expect(words('x "$PORT" "${PORT}0" "${NOPE-9}" "${EMPTY-d}" "${PORT-9}" "<$NOPE>"')).toEqual({
      ok: true,
      words: ["x", "8080", "80800", "9", "d", "8080", "<>"],
    });
    expect(words('x "${WORDS[*]}" y')).toEqual({ ok: true, words: ["x", "a", "b", "c", "y"] });
  });

  test("not in single quotes nor unquoted; \\$ is a literal", () => {
    expect(words("x '$PORT' $PORT \"\\$PORT\" \"$ 1\"")).toEqual({ ok: true, words: ["x", "$PORT", "$PORT", "$PORT", "$ 1"] });
  });

  test("addresses expand them quoted or not, as HAProxy's address parser does", () => {
    const r = parseCfg("e.cfg", lines("listen l", "    bind 127.0.0.1:${PORT}", "    server s ${HOST}:$PORT"), { PORT: "8080", HOST: "10.0.0.1" });
    expect(r.errors).toEqual([]);
    const l = (r.segments[0]!.doc.listen as Record<string, Record<string, unknown>>).l!;
    expect(l.bind).toEqual(["127.0.0.1:8080"]);
    expect(l.servers).toEqual([{ name: "s", address: "10.0.0.1:8080" }]);
  });
});

describe(".if blocks", () => {
  test("conditions as HAProxy 2.6 evaluates them", () => {
    const env = { A: "x" };
    const truth = (text: string) => evaluateCondition(text, env);
    expect(truth("defined(A) && streq(x,x)")).toEqual({ value: true });
    expect(truth("defined(B) || !1")).toEqual({ value: false });
    expect(truth("(0 || 1) && strneq(a,b)")).toEqual({ value: true });
    expect(truth("version_atleast(2.4) && version_before(2.8) && !version_atleast(3.0)")).toEqual({ value: true });
    expect(truth("feature(OPENSSL) && !feature(LUA)")).toEqual({ value: true });
    expect(truth("frob(1)")).toEqual({ error: "unknown predicate 'frob' (supported: defined, feature, streq, strneq, version_atleast, version_before)" });
    expect(truth("streq(a)")).toEqual({ error: "streq() takes 2 arguments, got 1" });
  });

  test("only the taken branch is read; nested blocks; .warning and .alert", () => {
    const text = lines(
      '.if streq("$MODE",http)',
      "defaults",
      "    mode http",
      "    .if version_atleast(2.8)",
      "    option http-buffer-request",
      "    this line is skipped",
      "    .else",
      "    timeout client 7s",
      "    .endif",
      ".elif defined(MODE)",
      "defaults",
      "    mode tcp",
      ".else",
      '.alert "MODE is not set"',
      ".endif",
      '.warning "read me"',
    );
    const http = loadConfigTexts([{ name: "c.cfg", text: text.replace('"$MODE"', "http") }]);
    expect(http.ok).toBe(true);
    expect(http.warnings.map((w) => w.message)).toEqual(["c.cfg:16: .warning: read me"]);
    expect(errorsOf({ name: "c.cfg", text: text.replace("defined(MODE)", "0").replace('"$MODE"', "tcp") })).toEqual([
      "c.cfg:14: .alert: MODE is not set",
    ]);
    expect(warningsOf({ name: "c.cfg", text: text.replace('"$MODE"', "http") })).toEqual(["c.cfg:16: .warning: read me"]);
  });

  test("unbalanced blocks are errors", () => {
    expect(errorsOf(cfg(".if 1", "defaults"))).toEqual(["sluice.cfg:1: missing '.endif' at the end of the file (this '.if' block is still open)"]);
    expect(errorsOf(cfg(".endif"))).toEqual(["sluice.cfg:1: '.endif' without '.if'"]);
    expect(errorsOf(cfg(".if 1", ".else", ".else", ".endif"))).toEqual(["sluice.cfg:3: a second '.else' in one '.if' block"]);
  });
});

describe("sections sluice refuses say why", () => {
  test.each([
    ["mailers", "section 'mailers' is not supported: sluice sends no mail"],
    ["program", "section 'program' is not supported: sluice starts no external programs (run them beside it, e.g. under systemd)"],
  ])("%s", (section, message) => {
    expect(errorsOf(cfg(`${section} x`, "    nameserver dns 127.0.0.1:53"))).toEqual([`sluice.cfg:1: ${message}`]);
  });
});

describe("keywords with no meaning for sluice say why (docs/compatibility.md)", () => {
  test("in both syntaxes", () => {
    expect(errorsOf(cfg("global", "    lua-load /etc/haproxy/x.lua", "    nbproc 2"))).toEqual([
      "sluice.cfg:2: global: 'lua-load' is not supported: sluice has no Lua interpreter (the actions, fetches and services a script registers do not exist)",
      "sluice.cfg:3: global: 'nbproc' is not supported: HAProxy removed it (2.5); sluice's processes are set by 'workers' or 'nbthread'",
    ]);
    expect(errorsOf(yaml("global:", "  lua-load: /etc/haproxy/x.lua"))).toEqual([
      "sluice.yaml:2:3: global: 'lua-load' is not supported: sluice has no Lua interpreter (the actions, fetches and services a script registers do not exist)",
    ]);
  });
});
