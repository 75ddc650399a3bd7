import { describe, expect, test } from "bun:test";
import type { LogTarget } from "../../../src/config/types.ts";
import { LOG_FORMAT_VARIABLE_NAMES } from "../../../src/log/format.ts";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { headRoom } from "../../../src/config/schema-tune.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

/** An http frontend/backend pair; `fe` and `be` lines go into each section. */
function pair(fe: string[] = [], be: string[] = []): string[] {
  return [
    "frontend web",
    "    mode http",
    "    bind :80",
    "    default_backend app",
    ...fe.map((l) => `    ${l}`),
    "backend app",
    "    mode http",
    "    server a 127.0.0.1:9000",
    ...be.map((l) => `    ${l}`),
  ];
}

const T = (
  kind: LogTarget["kind"],
  format: LogTarget["format"] = "raw",
  path?: string,
): LogTarget => path === undefined ? { kind, format } : { kind, path, format };
const stderr = T("stderr");
const stdout = T("stdout");

describe("option forwardfor, option forwarded", () => {
  test("forwardfor without arguments: X-Forwarded-For, always", () => {
    const c = loadOk(cfg(...pair(["option forwardfor"], ["option forwardfor"])));
    expect(c.frontends[0]!.forwardFor).toEqual({ header: "X-Forwarded-For", ifNone: false });
    expect(c.backends[0]!.forwardFor).toEqual({ header: "X-Forwarded-For", ifNone: false });
  });

  test("forwardfor arguments in any order; a later line replaces the whole option", () => {
    const c = loadOk(cfg(...pair([
      "option forwardfor except 10.0.0.0/8",
      "option forwardfor if-none header X-Client except 2001:db8::/32",
    ], ["option forwardfor header X-Real-IP"])));
    expect(c.frontends[0]!.forwardFor).toEqual({
      header: "X-Client",
      except: "2001:db8::/32",
      ifNone: true,
    });
    expect(c.backends[0]!.forwardFor).toEqual({ header: "X-Real-IP", ifNone: false });
  });

  test("forwarded without arguments sends proto and for, as HAProxy does", () => {
    const c = loadOk(cfg(...pair([], ["option forwarded"])));
    expect(c.backends[0]!.forwarded).toEqual({ proto: true, host: false, by: false, for: true });
  });

  test("forwarded with arguments sends those only", () => {
    const c = loadOk(cfg(...pair([], ["option forwarded by host"])));
    expect(c.backends[0]!.forwarded).toEqual({ proto: false, host: true, by: true, for: false });
  });

  test("unset: no field, nothing added", () => {
    const c = loadOk(cfg(...pair()));
    expect(c.frontends[0]!.forwardFor).toBeUndefined();
    expect(c.backends[0]!.forwardFor).toBeUndefined();
    expect(c.backends[0]!.forwarded).toBeUndefined();
  });

  test("YAML: the same words, one string per line", () => {
    const c = loadOk(yaml(
      "frontends:",
      "  web:",
      "    mode: http",
      "    bind: ':80'",
      "    default_backend: app",
      "    option: 'forwardfor   except 10.0.0.0/8  if-none'",
      "backends:",
      "  app:",
      "    mode: http",
      "    option: [forwarded proto]",
      "    servers: { a: '127.0.0.1:9000' }",
    ));
    expect(c.frontends[0]!.forwardFor).toEqual({
      header: "X-Forwarded-For",
      except: "10.0.0.0/8",
      ifNone: true,
    });
    expect(c.backends[0]!.forwarded).toEqual({ proto: true, host: false, by: false, for: false });
  });
});

describe("connection modes and redispatch", () => {
  test("keep-alive by default; the last mode line of a section wins", () => {
    const c = loadOk(cfg(
      ...pair(
        ["option httpclose", "option http-keep-alive", "option http-server-close"],
        ["option http-server-close", "option httpclose"],
      ),
      "backend other",
      "    server b 127.0.0.1:9001",
    ));
    expect(c.frontends[0]!.httpMode).toBe("server-close");
    expect(c.backends.map((b) => [b.name, b.httpMode])).toEqual([
      ["app", "close"],
      ["other", "keep-alive"],
    ]);
  });

  test("a frontend and its backend may disagree: both values are kept", () => {
    const c = loadOk(cfg(...pair(["option http-keep-alive"], ["option httpclose"])));
    expect(c.frontends[0]!.httpMode).toBe("keep-alive");
    expect(c.backends[0]!.httpMode).toBe("close");
  });

  test("redispatch: off by default, on with the option", () => {
    const c = loadOk(
      cfg(...pair([], ["option redispatch"]), "backend b2", "    server b 127.0.0.1:1"),
    );
    expect(c.backends.map((b) => [b.name, b.redispatch])).toEqual([["app", true], ["b2", false]]);
  });
});

describe("defaults carry the new options", () => {
  test("into frontends, backends and listens; a section's own setting wins", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode http",
      "    option forwardfor header X-Client",
      "    option forwarded host",
      "    option http-server-close",
      "    option redispatch",
      "    option httplog",
      "    log-format %ci\\ %ST",
      "frontend inherits",
      "    bind :80",
      "    default_backend app",
      "frontend own",
      "    bind :81",
      "    default_backend app",
      "    option forwardfor if-none",
      "    option httpclose",
      "    log-format '%ci %B'",
      "backend app",
      "    option forwarded for",
      "    option http-keep-alive",
      "    server a 127.0.0.1:1",
      "listen both :82",
      "    server b 127.0.0.1:2",
    ));
    // The defaults' log-format, written after its `option httplog`, replaced it (HAProxy keeps the last): no `log` left.
    expect(c.frontends.map((f) => [f.name, f.forwardFor, f.httpMode, f.log, f.logFormat])).toEqual([
      ["inherits", { header: "X-Client", ifNone: false }, "server-close", undefined, "%ci %ST"],
      ["own", { header: "X-Forwarded-For", ifNone: true }, "close", undefined, "%ci %B"],
      ["both", { header: "X-Client", ifNone: false }, "server-close", undefined, "%ci %ST"],
    ]);
    expect(c.backends.map((b) => [b.name, b.forwardFor, b.forwarded, b.httpMode, b.redispatch]))
      .toEqual([
        [
          "app",
          { header: "X-Client", ifNone: false },
          { proto: false, host: false, by: false, for: true },
          "keep-alive",
          true,
        ],
        [
          "both",
          { header: "X-Client", ifNone: false },
          { proto: false, host: true, by: false, for: false },
          "server-close",
          true,
        ],
      ]);
  });

  test("a later defaults section replaces them", () => {
    const c = loadOk(cfg(
      "defaults",
      "    option redispatch",
      "    option httpclose",
      "defaults",
      "backend b",
      "    server s 127.0.0.1:1",
    ));
    expect(c.backends[0]).toMatchObject({ redispatch: false, httpMode: "keep-alive" });
    expect(c.backends[0]!.forwardFor).toBeUndefined();
  });

  test("the YAML twin of the defaults test gives the same Config", () => {
    const fromCfg = loadOk(cfg(
      "defaults",
      "    mode http",
      "    option forwardfor header X-Client",
      "    option forwarded",
      "    option http-server-close",
      "    option redispatch",
      "    log-format %ci",
      "frontend f",
      "    bind :80",
      "    default_backend b",
      "    option httpclose",
      "backend b",
      "    server s 127.0.0.1:1",
    ));
    const fromYaml = loadOk(yaml(
      "defaults:",
      "  mode: http",
      "  option: [forwardfor header X-Client, forwarded, http-server-close, redispatch]",
      "  log-format: '%ci'",
      "frontends:",
      "  f: { bind: ':80', default_backend: b, option: httpclose }",
      "backends:",
      "  b: { servers: { s: '127.0.0.1:1' } }",
    ));
    expect(withoutOrigins(fromYaml)).toStrictEqual(withoutOrigins(fromCfg));
  });
});

describe("option errors", () => {
  const FF_USAGE = "(usage: option forwardfor [except <network>] [header <name>] [if-none])";
  test.each([
    [
      "forwardfor: missing network",
      ["frontend f", "    option forwardfor except"],
      `sluice.cfg:2: frontend 'f': option forwardfor: missing network after 'except' ${FF_USAGE}`,
    ],
    [
      "forwardfor: bad prefix",
      ["frontend f", "    option forwardfor except 10.0.0.0/33"],
      "sluice.cfg:2: frontend 'f': option forwardfor: invalid prefix length '33' in '10.0.0.0/33' (expected 0-32 or a netmask such as 255.255.0.0)",
    ],
    [
      "forwardfor: not a network",
      ["defaults", "    option forwardfor except lan"],
      "sluice.cfg:2: defaults: option forwardfor: invalid network 'lan' (expected an IPv4 or IPv6 address with an optional /prefix, such as 10.0.0.0/8, 10.1.2.3 or 2001:db8::/32)",
    ],
    [
      "forwardfor: missing header name",
      ["backend b", "    option forwardfor header"],
      `sluice.cfg:2: backend 'b': option forwardfor: missing name after 'header' ${FF_USAGE}`,
    ],
    [
      "forwardfor: header name not a token",
      ["backend b", "    option forwardfor header X-Client:"],
      "sluice.cfg:2: backend 'b': option forwardfor: invalid header name 'X-Client:' (expected a token: letters, digits and !#$%&'*+-.^_`|~)",
    ],
    [
      "forwardfor: unknown argument",
      ["listen l", "    option forwardfor always"],
      `sluice.cfg:2: listen 'l': option forwardfor: unknown argument 'always' ${FF_USAGE}`,
    ],
    [
      "forwardfor: a quoted word with a space",
      ["defaults", '    option forwardfor header "X Client"'],
      "sluice.cfg:2: defaults: 'option' arguments cannot contain spaces (got 'X Client')",
    ],
    [
      "forwarded: HAProxy's expression arguments",
      ["backend b", "    option forwarded for-expr src"],
      "sluice.cfg:2: backend 'b': option forwarded: 'for-expr' is not supported yet (supported: proto, host, by, for)",
    ],
    [
      "forwarded: unknown argument",
      ["backend b", "    option forwarded proto secret"],
      "sluice.cfg:2: backend 'b': option forwarded: unknown argument 'secret' (usage: option forwarded [proto] [host] [by] [for])",
    ],
    [
      "forwarded in a frontend (HAProxy ignores it there)",
      ["frontend f", "    option forwarded"],
      "sluice.cfg:2: frontend 'f': 'option forwarded' is not allowed in a frontend section",
    ],
    [
      "redispatch in a frontend",
      ["frontend f", "    option redispatch"],
      "sluice.cfg:2: frontend 'f': 'option redispatch' is not allowed in a frontend section",
    ],
    [
      "httplog in a backend",
      ["backend b", "    option httplog"],
      "sluice.cfg:2: backend 'b': 'option httplog' is not allowed in a backend section",
    ],
    [
      "unknown option in a backend lists the backend's",
      ["backend b", "    option http-no-delay"],
      "sluice.cfg:2: backend 'b': option 'http-no-delay' is not supported yet (supported: forwardfor, originalto, forwarded, http-keep-alive, http-server-close, httpclose, redispatch, allbackups, httpchk, tcp-check, redis-check, mysql-check, pgsql-check, ssl-hello-chk, external-check, log-health-checks, tcpka, srvtcpka, abortonclose, prefer-last-server, http-pretend-keepalive, http-buffer-request, checkcache, h1-case-adjust-bogus-server, splice-auto, splice-request, splice-response)",
    ],
    [
      "unknown option in a frontend lists the frontend's",
      ["frontend f", "    option http-no-delay"],
      "sluice.cfg:2: frontend 'f': option 'http-no-delay' is not supported yet (supported: tcplog, httplog, forwardfor, originalto, http-keep-alive, http-server-close, httpclose, idle-close-on-response, dontlognull, dontlog-normal, log-separate-errors, logasap, http-ignore-probes, tcpka, clitcpka, contstats, http-pretend-keepalive, http-buffer-request, h1-case-adjust-bogus-client, splice-auto, splice-request, splice-response)",
    ],
    [
      "redispatch interval",
      ["backend b", "    option redispatch often"],
      "sluice.cfg:2: backend 'b': option redispatch: invalid interval 'often' (usage: option redispatch [<interval>], an integer: 1 every retry, P every Pth, -1 the last (default), -N the Nth before the last, 0 never)",
    ],
    [
      "httplog with an argument other than clf",
      ["frontend f", "    option httplog common"],
      "sluice.cfg:2: frontend 'f': option httplog: unexpected argument 'common' (usage: option httplog [clf])",
    ],
    [
      "tcplog with an argument",
      ["frontend f", "    option tcplog clf"],
      "sluice.cfg:2: frontend 'f': option tcplog: unexpected argument 'clf' (usage: option tcplog)",
    ],
    [
      "a connection mode takes no argument",
      ["defaults", "    option httpclose now"],
      "sluice.cfg:2: defaults: option httpclose: unexpected argument 'now' (usage: option httpclose)",
    ],
    [
      "no option",
      ["defaults", "    no option http-server-close"],
      "sluice.cfg:2: defaults: 'no option http-server-close' is not supported yet",
    ],
  ])("%s", (_, text, message) => {
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });

  test("every bad option line is reported", () => {
    expect(errorsOf(cfg(
      "frontend f",
      "    option forwarded",
      "    option httplog",
      "    option forwardfor except x",
    ))).toEqual([
      "sluice.cfg:2: frontend 'f': 'option forwarded' is not allowed in a frontend section",
      "sluice.cfg:4: frontend 'f': option forwardfor: invalid network 'x' (expected an IPv4 or IPv6 address with an optional /prefix, such as 10.0.0.0/8, 10.1.2.3 or 2001:db8::/32)",
    ]);
  });

  test.each([
    [
      "a list entry that is not a string",
      ["frontends:", "  f:", "    option: [httplog, 5]"],
      "sluice.yaml:3:23: frontend 'f': invalid option 5 (expected a string such as 'httplog' or 'forwardfor if-none')",
    ],
    [
      "a mapping",
      ["backends:", "  b:", "    option: { forwardfor: true }"],
      "sluice.yaml:3:13: backend 'b': invalid option a mapping (expected a string such as 'httplog' or 'forwardfor if-none')",
    ],
    [
      "an empty string",
      ["defaults:", "  option: ''"],
      "sluice.yaml:2:11: defaults: invalid option '' (expected a string such as 'httplog' or 'forwardfor if-none')",
    ],
    [
      "not allowed here",
      ["frontends:", "  f:", "    option:", "      - httplog", "      - redispatch"],
      "sluice.yaml:5:9: frontend 'f': 'option redispatch' is not allowed in a frontend section",
    ],
  ])("YAML: %s", (_, text, message) => {
    expect(errorsOf(yaml(...text))).toEqual([message]);
  });
});

describe("log", () => {
  test("nothing configured anywhere: sluice and every frontend log to stderr", () => {
    const c = loadOk(cfg(...pair(), "listen l :81", "    server s 127.0.0.1:1"));
    expect(c.global.logTargets).toEqual([stderr]);
    expect(c.frontends.map((f) => f.logTargets)).toEqual([[stderr], [stderr]]);
  });

  test("once something is configured, a frontend without log lines logs nothing", () => {
    const c = loadOk(cfg(
      "global",
      "    log stdout",
      ...pair(),
      "frontend other",
      "    mode http",
      "    bind :81",
      "    default_backend app",
      "    log stderr format json",
    ));
    expect(c.global.logTargets).toEqual([stdout]);
    expect(c.frontends.map((f) => [f.name, f.logTargets])).toEqual([
      ["web", []],
      ["other", [T("stderr", "json")]],
    ]);
  });

  test("log global uses the global targets; defaults' lines and a section's own add up, once each", () => {
    const c = loadOk(cfg(
      "global",
      "    log stdout",
      "    log /var/log/sluice.log format json",
      "defaults",
      "    log global",
      "    log stderr",
      "frontend web",
      "    bind :80",
      "    default_backend app",
      "    log stdout",
      "    log global",
      "    log stderr format json",
      "listen l :81",
      "    server s 127.0.0.1:1",
      "backend app",
      "    server a 127.0.0.1:9000",
    ));
    const file = T("file", "json", "/var/log/sluice.log");
    expect(c.global.logTargets).toEqual([stdout, file]);
    expect(c.frontends.map((f) => [f.name, f.logTargets])).toEqual([
      ["web", [stdout, file, stderr, T("stderr", "json")]],
      ["l", [stdout, file, stderr]],
    ]);
  });

  test("log global without global log lines means stderr", () => {
    const c = loadOk(cfg(...pair(["log global"])));
    expect(c.global.logTargets).toEqual([stderr]);
    expect(c.frontends[0]!.logTargets).toEqual([stderr]);
  });

  test("global log lines of every file add up, in order", () => {
    const c = loadOk(
      { name: "a.cfg", text: lines("global", "    log stdout") },
      { name: "b.yaml", text: lines("global:", "  log: [stderr format json]") },
    );
    expect(c.global.logTargets).toEqual([stdout, T("stderr", "json")]);
  });

  test("a file path is joined to the directory of the config file that names it", () => {
    const c = loadOk(
      {
        name: "/etc/sluice/sluice.cfg",
        text: lines("global", "    log ./logs/sluice.log", "    log /var/log/abs.log"),
      },
      {
        name: "/etc/sluice/conf.d/web.yaml",
        text: lines(
          "frontends:",
          "  web: { bind: ':80', log: [global, '../access.log format json'] }",
        ),
      },
    );
    const own = T("file", "raw", "/etc/sluice/logs/sluice.log");
    const abs = T("file", "raw", "/var/log/abs.log");
    expect(c.global.logTargets).toEqual([own, abs]);
    expect(c.frontends[0]!.logTargets).toEqual([
      own,
      abs,
      T("file", "json", "/etc/sluice/access.log"),
    ]);
  });

  test("cfg and YAML twins", () => {
    const fromCfg = loadOk(cfg(
      "global",
      "    log stdout format raw",
      "defaults",
      "    log global",
      "frontend f",
      "    bind :80",
      "    log logs/f.log format json",
    ));
    const fromYaml = loadOk(yaml(
      "global: { log: stdout }",
      "defaults: { log: [global] }",
      "frontends:",
      "  f: { bind: ':80', log: logs/f.log format json }",
    ));
    expect(withoutOrigins(fromYaml)).toStrictEqual(withoutOrigins(fromCfg));
    expect(fromCfg.frontends[0]!.logTargets).toEqual([
      stdout,
      T("file", "json", "logs/f.log"),
    ]);
  });

  const USAGE =
    "(usage: log <address> [len <length>] [format <format>] <facility> [<level> [<minlevel>]], log stdout|stderr|<file> [format raw|json], or log global)";

  test("a facility on a raw line is kept (it frames nothing there, as in HAProxy)", () => {
    const c = loadOk(cfg("global", "    log stderr format raw local0", ...pair(["log global"])));
    expect(c.global.logTargets).toEqual([{ kind: "stderr", format: "raw", facility: 16 }]);
  });
  test.each([
    [
      "a bare file name reads as a syslog host, which needs a facility",
      ["frontend f", "    log access.log"],
      `sluice.cfg:2: frontend 'f': log: missing facility after 'access.log' ${USAGE}`,
    ],
    [
      "a prefixed target without a facility",
      ["defaults", "    log udp@10.0.0.1:514"],
      `sluice.cfg:2: defaults: log: missing facility after 'udp@10.0.0.1:514' ${USAGE}`,
    ],
    [
      "format without a value",
      ["global", "    log stderr format"],
      `sluice.cfg:2: global: log: missing argument for 'format' ${USAGE}`,
    ],
    [
      "an unknown word where the facility goes",
      ["global", "    log stderr please"],
      "sluice.cfg:2: global: log: unknown facility 'please' (expected one of: kern user mail daemon auth syslog lpr news uucp cron auth2 ftp ntp audit alert cron2 local0 local1 local2 local3 local4 local5 local6 local7)",
    ],
    [
      "log global in global",
      ["global", "    log global"],
      "sluice.cfg:2: global: 'log global' is not allowed in a global section",
    ],
    [
      "log global with more",
      ["defaults", "    log global local0"],
      "sluice.cfg:2: defaults: log global: unexpected argument 'local0' (usage: log global)",
    ],
    [
      "log without target",
      ["defaults", "    log"],
      "sluice.cfg:2: defaults: missing argument for 'log' (usage: log <address> [len <length>] [format <format>] <facility> [<level> [<minlevel>]], or log global)",
    ],
    [
      "no log with an argument",
      ["defaults", "    no log stdout"],
      "sluice.cfg:2: defaults: 'no log stdout' is not supported yet",
    ],
  ])("%s", (_, text, message) => {
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });

  test.each([
    [
      "not a string",
      ["global:", "  log: [stdout, 514]"],
      "sluice.yaml:2:17: global: invalid log 514 (expected a string such as '127.0.0.1 local0' or 'global')",
    ],
    [
      "a mapping",
      ["frontends:", "  f: { log: { target: stdout } }"],
      "sluice.yaml:2:13: frontend 'f': invalid log a mapping (expected a string such as '127.0.0.1 local0' or 'global')",
    ],
  ])("YAML: %s", (_, text, message) => {
    expect(errorsOf(yaml(...text))).toEqual([message]);
  });
});

describe("log-format", () => {
  const HTTPLOG =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
  const TCPLOG = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

  test("HAProxy's own httplog and tcplog formats are accepted and stored as written", () => {
    const c = loadOk(cfg(
      "frontend a",
      "    mode http",
      "    bind :80",
      `    log-format "${HTTPLOG}"`,
      "frontend b",
      "    bind :81",
      `    log-format '${TCPLOG}'`,
    ));
    expect(c.frontends.map((f) => f.logFormat)).toEqual([HTTPLOG, TCPLOG]);
  });

  test("escaped spaces, %% and flags; every listed variable is accepted", () => {
    const all = LOG_FORMAT_VARIABLE_NAMES.map((name) => `%${name}`).join(" ");
    const c = loadOk(
      cfg("frontend a", "    mode http", "    bind :80", "    log-format %ci\\ 100%%\\ %{+Q+E}HU\\ %{-Q}r"),
      yaml("frontends:", "  b:", "    mode: http", "    bind: ':81'", `    log-format: '${all}'`),
    );
    expect(c.frontends.map((f) => f.logFormat)).toEqual(["%ci 100%% %{+Q+E}HU %{-Q}r", all]);
  });

  test("the log engine's language: comma-separated flags, %o, flags without a sign", () => {
    // HAProxy ignores a flag it does not know, a sign-less one included.
    const c = loadOk(
      cfg("frontend a", "    mode http", "    bind :80", "    log-format '%{+Q,+E}HU %{+Q}o%b %{Q}r'"),
    );
    expect(c.frontends.map((f) => f.logFormat)).toEqual(["%{+Q,+E}HU %{+Q}o%b %{Q}r"]);
  });

  const KNOWN = `(known: ${LOG_FORMAT_VARIABLE_NAMES.join(", ")})`;
  const SHAPE =
    "(expected %name or %{flags}name, such as %ci or %{+Q}r; write %% for a literal '%')";
  test.each([
    [
      "an unknown variable",
      ["frontend f", "    log-format '%ci %bogus'"],
      `sluice.cfg:2: frontend 'f': log-format: unknown variable '%bogus' ${KNOWN}`,
    ],
    [
      "a variable name runs to the last letter",
      ["defaults", "    log-format %cip"],
      `sluice.cfg:2: defaults: log-format: unknown variable '%cip' ${KNOWN}`,
    ],
    [
      "a variable name runs to the last letter or digit",
      ["defaults", "    log-format %b2"],
      `sluice.cfg:2: defaults: log-format: unknown variable '%b2' ${KNOWN}`,
    ],
    [
      "a '%' before a digit",
      ["defaults", "    log-format 'done 100% %ST'"],
      `sluice.cfg:2: defaults: log-format: malformed variable '%' ${SHAPE}`,
    ],
    [
      "a '%' at the end",
      ["defaults", "    log-format '%ST %'"],
      `sluice.cfg:2: defaults: log-format: malformed variable '%' ${SHAPE}`,
    ],
    [
      "unclosed flags",
      ["listen l", "    log-format '%{+Q r'"],
      `sluice.cfg:2: listen 'l': log-format: malformed variable '%{+Q' ${SHAPE}`,
    ],
    [
      "flags without a variable",
      ["listen l", "    log-format '%{+Q} x'"],
      `sluice.cfg:2: listen 'l': log-format: malformed variable '%{+Q}' ${SHAPE}`,
    ],
    [
      "a sample expression naming an unknown fetch",
      ["frontend f", "    log-format '%ci %[srcip,ipmask(24)]'"],
      "sluice.cfg:2: frontend 'f': log-format: %[srcip,ipmask(24)]: unknown fetch 'srcip' (did you mean 'src'?)",
    ],
    [
      "a sample expression without its ']'",
      ["frontend f", "    log-format '%ci %[src'"],
      `sluice.cfg:2: frontend 'f': log-format: malformed variable '%[src' ${SHAPE}`,
    ],
    [
      "several words",
      ["defaults", "    log-format %ci %ST"],
      `sluice.cfg:2: defaults: too many arguments for 'log-format': '%ST' (usage: log-format "<format>")`,
    ],
    [
      "in a backend",
      ["backend b", "    log-format %ci"],
      "sluice.cfg:2: backend 'b': 'log-format' is not allowed in a backend section",
    ],
  ])("%s", (_, text, message) => {
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });

  test("YAML: not a string", () => {
    expect(errorsOf(yaml("defaults:", "  log-format: [a]"))).toEqual([
      "sluice.yaml:2:15: defaults: invalid log-format a list (expected a string such as '%ci:%cp %ST %B')",
    ]);
  });
});

describe("global tuning", () => {
  test("defaults: tune.bufsize 16384, tune.maxrewrite 1024, tune.http.maxhdr 101", () => {
    expect(loadOk(cfg("global")).global).toMatchObject({ bufsize: 16384, maxRewrite: 1024, maxHeaderFields: 101 });
  });

  test("tune.maxrewrite and max-spread-checks in either syntax; a head fills the buffer less the reserve, at most half of it", () => {
    expect(loadOk(cfg("global", "    tune.maxrewrite 2048", "    max-spread-checks 5s")).global)
      .toMatchObject({ maxRewrite: 2048, maxSpreadChecks: 5000 });
    expect(loadOk(yaml("global: { tune.maxrewrite: 0, max-spread-checks: 500ms }")).global)
      .toMatchObject({ maxRewrite: 0, maxSpreadChecks: 500 });
    expect(headRoom(16384, 1024)).toBe(15360);
    expect(headRoom(4096, 1024)).toBe(3072);
    expect(headRoom(1024, 1024)).toBe(512);
    expect(headRoom(16384, 0)).toBe(16384);
  });

  test("set in either syntax, limits included", () => {
    expect(loadOk(cfg("global", "    tune.bufsize 1024", "    tune.http.maxhdr 32767")).global)
      .toMatchObject({ bufsize: 1024, maxHeaderFields: 32767 });
    expect(loadOk(yaml("global: { tune.bufsize: 1048576, tune.http.maxhdr: '1' }")).global)
      .toMatchObject({ bufsize: 1048576, maxHeaderFields: 1 });
  });

  test.each([
    [
      ["global", "    tune.bufsize 1023"],
      "sluice.cfg:2: global: tune.bufsize 1023 is out of range (1024-1048576)",
    ],
    [
      ["global", "    tune.bufsize 16k"],
      "sluice.cfg:2: global: invalid tune.bufsize '16k' (expected an integer, 1024-1048576)",
    ],
    [
      ["global", "    tune.http.maxhdr 0"],
      "sluice.cfg:2: global: tune.http.maxhdr 0 is out of range (1-32767)",
    ],
    [
      ["global", "    tune.http.maxhdr 32768"],
      "sluice.cfg:2: global: tune.http.maxhdr 32768 is out of range (1-32767)",
    ],
    [
      ["global", "    tune.maxrewrite -1"],
      "sluice.cfg:2: global: tune.maxrewrite -1 is out of range (0-1048576)",
    ],
    [
      ["defaults", "    tune.bufsize 4096"],
      "sluice.cfg:2: defaults: 'tune.bufsize' is not allowed in a defaults section",
    ],
  ])("%j", (text, message) => {
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });
});

describe("HTTP timeouts", () => {
  test("http-request and http-keep-alive are allowed in defaults, frontend, listen and backend, as in HAProxy", () => {
    const c = loadOk(cfg(
      "defaults",
      "    timeout http-request 1s",
      "    timeout http-keep-alive 2s",
      "frontend f",
      "    bind :80",
      "    default_backend b",
      "    timeout http-request 3s",
      "listen l :81",
      "    timeout http-keep-alive 4s",
      "    server s 127.0.0.1:1",
      "backend b",
      "    timeout http-request 5s",
      "    server s 127.0.0.1:1",
    ));
    expect(c.frontends.map((f) => [f.name, f.timeouts.httpRequest, f.timeouts.httpKeepAlive]))
      .toEqual([["f", 3000, 2000], ["l", 1000, 4000]]);
    expect(c.backends.map((b) => [b.name, b.timeouts.httpRequest])).toEqual([
      ["l", 1000],
      ["b", 5000],
    ]);
  });
});

describe("no log", () => {
  test("haproxy.cfg `no log` in defaults silences its proxies; a later log line adds a target again", () => {
    const r = loadConfigTexts([{
      name: "n.cfg",
      text: "defaults\n    mode http\n    no log\nfrontend a\n    bind :1\nfrontend b\n    bind :2\n    log stdout\n",
    }]);
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
    expect(r.config.frontends.map((f) => f.logTargets)).toEqual([[], [{ kind: "stdout", format: "raw" }]]);
  });
  test("YAML `log: [none]` is the same; `no log` is refused in global", () => {
    const y = loadConfigTexts([{ name: "n.yaml", text: 'frontends:\n  a:\n    bind: ":1"\n    log: [none]\n' }]);
    if (!y.ok) throw new Error(y.errors.map((e) => e.message).join("\n"));
    expect(y.config.frontends[0]!.logTargets).toEqual([]);
    const g = loadConfigTexts([{ name: "g.cfg", text: "global\n    no log\n" }]);
    expect(g.ok ? [] : g.errors.map((e) => e.message)).toEqual(["g.cfg:2: global: 'no log' is not allowed in a global section"]);
  });
});
