// `stick-table ...` in frontend, backend and listen, `track-sc*` and the
// counter fetches naming tables, and `stick on|match|store-request` (issue
// 15), in both syntaxes, each error with its file:line.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

/** Frontend `web` (its own lines from line 5) and backend `app` (its own lines from line 8 when the frontend has none, after its server). */
function http(fe: string[], be: string[] = []): string[] {
  return [
    "defaults",
    "    mode http",
    "frontend web",
    "    bind :80",
    ...fe.map((l) => `    ${l}`),
    "    default_backend app",
    "backend app",
    "    server a 127.0.0.1:9000",
    ...be.map((l) => `    ${l}`),
  ];
}

describe("stick-table in haproxy.cfg", () => {
  test("the rate-limit idiom: sizes in powers of 1024, times in ms, periods per counter", () => {
    const c = loadOk(cfg(...http([
      "stick-table type ip size 100k expire 30s store http_req_rate(10s)",
      "http-request track-sc0 src",
      "http-request deny deny_status 429 if { sc_http_req_rate(0) gt 20 }",
    ])));
    expect(c.frontends[0]!.stickTable).toEqual({
      name: "web",
      type: "ip",
      len: 32,
      size: 102400,
      expireMs: 30000,
      store: [{ counter: "http_req_rate", periodMs: 10000 }],
    });
    expect(c.frontends[0]!.rules!.httpRequest.length).toBe(2);
  });

  test("every key type, len for string and binary, nopurge, several store words, no expire", () => {
    const c = loadOk(cfg(...http(
      ["stick-table type string len 64 size 1m nopurge store gpc0,conn_cur store conn_rate(3s),bytes_out_rate(1m)"],
      ["stick-table type binary len 8 size 2g expire 1h store server_id"],
    )));
    expect(c.frontends[0]!.stickTable).toEqual({
      name: "web",
      type: "string",
      len: 64,
      size: 1024 ** 2,
      expireMs: 0,
      nopurge: true,
      store: [{ counter: "gpc0" }, { counter: "conn_cur" }, { counter: "conn_rate", periodMs: 3000 }, { counter: "bytes_out_rate", periodMs: 60000 }],
    });
    expect(c.backends[0]!.stickTable).toMatchObject({ name: "app", type: "binary", len: 8, size: 2 * 1024 ** 3, expireMs: 3600000 });
    for (const type of ["ipv6", "integer"]) {
      expect(loadOk(cfg(...http([`stick-table type ${type} size 10`]))).frontends[0]!.stickTable).toMatchObject({ type, store: [] });
    }
  });

  test("a listen's table is on its backend half, once, named after the listen; track-sc0 uses it", () => {
    const c = loadOk(cfg(
      "listen app",
      "    mode http",
      "    bind :80",
      "    stick-table type ip size 10 store conn_cur",
      "    http-request track-sc0 src",
      "    server a 127.0.0.1:9000",
    ));
    expect(c.frontends[0]!.stickTable).toBeUndefined();
    expect(c.backends[0]!.stickTable?.name).toBe("app");
  });

  test("track-sc and sc_* name another proxy's table", () => {
    loadOk(cfg(...http(
      [
        "http-request track-sc1 src table app",
        "http-request deny if { sc_http_req_rate(1,app) gt 5 } || { sc1_conn_cur(app) gt 3 } || { src_get_gpc0(app) gt 0 }",
        "http-request sc-inc-gpc0(1)",
      ],
      ["stick-table type ip size 10 store http_req_rate(1s),conn_cur,gpc0"],
    )));
  });

  test("stick on/match/store-request: compiled on the backend, its table given server_id", () => {
    const c = loadOk(cfg(...http([], [
      "stick-table type ip size 10 expire 5m",
      "acl api path_beg /api",
      "stick on src",
      "stick match req.hdr(x-user) table web if api",
      "stick store-request req.hdr(x-user) table web unless api",
    ]).map((l) => l === "    bind :80" ? "    bind :80\n    stick-table type string size 10" : l)));
    const rules = c.backends[0]!.stickRules!;
    expect(rules.map((r) => [r.match, r.store, r.table, r.when !== undefined])).toEqual([
      [true, true, "app", false],
      [true, false, "web", true],
      [false, true, "web", true],
    ]);
    expect(c.backends[0]!.stickTable!.store).toEqual([{ counter: "server_id" }]);
    expect(c.frontends[0]!.stickTable!.store).toEqual([{ counter: "server_id" }]);
  });

  test("stick lines in a listen steer its backend half", () => {
    const c = loadOk(cfg(
      "listen app",
      "    mode http",
      "    bind :80",
      "    stick-table type ip size 10 store server_id",
      "    stick on src",
      "    server a 127.0.0.1:9000",
    ));
    expect(c.backends[0]!.stickRules!.length).toBe(1);
    expect(c.backends[0]!.stickTable!.store).toEqual([{ counter: "server_id" }]);
  });
});

describe("stick-table in YAML", () => {
  test("a string or a list of words, the same as the haproxy.cfg line", () => {
    const line = "type ip size 100k expire 30s store http_req_rate(10s),gpc0";
    const fromCfg = loadOk(cfg(...http([`stick-table ${line}`, "http-request track-sc0 src"], ["stick-table type integer size 5", "stick on url_param(id)"])));
    for (const value of [`"${line}"`, JSON.stringify(line.split(" "))]) {
      const fromYaml = loadOk(yaml(
        "defaults:",
        "  mode: http",
        "frontends:",
        "  web:",
        "    bind: ':80'",
        `    stick-table: ${value}`,
        "    http-request: track-sc0 src",
        "    default_backend: app",
        "backends:",
        "  app:",
        "    servers:",
        "      a: 127.0.0.1:9000",
        "    stick-table: type integer size 5",
        "    stick: on url_param(id)",
      ));
      // Compiled rules are closures: the tables, and what was compiled, compare.
      const facts = (c: typeof fromCfg) => ({
        tables: [c.frontends[0]!.stickTable, c.backends[0]!.stickTable],
        track: c.frontends[0]!.rules!.httpRequest.length,
        stick: withoutOrigins(c.backends[0]!.stickRules!.map((r) => [r.match, r.store, r.table])),
      });
      expect(facts(fromYaml)).toEqual(facts(fromCfg));
    }
  });

  test("errors in YAML name the line", () => {
    expect(errorsOf(yaml(
      "frontends:",
      "  web:",
      "    mode: http",
      "    bind: ':80'",
      "    stick-table: type ip size 10 store http_req_rate",
    ))).toEqual([
      "sluice.yaml:5:18: frontend 'web': stick-table: counter 'http_req_rate' needs a period in whole milliseconds (got undefined)",
    ]);
  });
});

describe("stick-table errors name file:line", () => {
  const cases: [string, string, string][] = [
    ["an unknown counter", "stick-table type ip size 10 store http_req_speed", "stick-table: unknown counter 'http_req_speed' (known: server_id, gpc0, gpc0_rate, gpc1, gpc1_rate, conn_cnt, conn_cur, conn_rate, sess_cnt, sess_rate, http_req_cnt, http_req_rate, http_err_cnt, http_err_rate, bytes_in_cnt, bytes_in_rate, bytes_out_cnt, bytes_out_rate)"],
    ["a rate without a period", "stick-table type ip size 10 store conn_rate", "stick-table: counter 'conn_rate' needs a period in whole milliseconds (got undefined)"],
    ["a period on a plain counter", "stick-table type ip size 10 store gpc0(10s)", "stick-table: counter 'gpc0' takes no period"],
    ["a bad period", "stick-table type ip size 10 store conn_rate(10x)", "stick-table: store 'conn_rate': invalid time '10x' (expected a number with unit us, ms, s, m, h or d)"],
    ["a bad size", "stick-table type ip size 10q", "stick-table: invalid size '10q' (expected a positive integer, optionally followed by k, m or g)"],
    ["a size of 0", "stick-table type ip size 0", "stick-table: invalid size '0' (expected between 1 and 4294967295 entries)"],
    ["no size", "stick-table type ip", "stick-table: missing size (size <entries>[k|m|g])"],
    ["no type", "stick-table size 10", "stick-table: missing type (type ip|ipv6|integer|string [len <n>]|binary [len <n>])"],
    ["an unknown type", "stick-table type ipv4 size 10", "stick-table: unknown type 'ipv4' (expected ip, ipv6, integer, string or binary)"],
    ["len on an ip table", "stick-table type ip len 4 size 10", "stick-table: 'len' applies to 'type string' and 'type binary' only, right after the type"],
    ["a bad len", "stick-table type string len 0 size 10", "stick-table: 'len' expects a positive integer (got '0')"],
    ["a bad expire", "stick-table type ip size 10 expire soon", "stick-table: 'expire': invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)"],
    ["peers without a name", "stick-table type ip size 10 peers", "stick-table: 'peers' expects <peers section name> as argument"],
    ["an unknown word", "stick-table type ip size 10 keep", "stick-table: unknown argument 'keep' (expected type, size, expire, nopurge, peers or store)"],
  ];
  for (const [what, line, message] of cases) {
    test(what, () => {
      expect(errorsOf(cfg(...http([line])))).toEqual([`sluice.cfg:5: frontend 'web': ${message}`]);
    });
  }

  test("two tables in one proxy", () => {
    expect(errorsOf(cfg(...http(["stick-table type ip size 10", "stick-table type ip size 20"])))).toEqual([
      "sluice.cfg:6: frontend 'web': only one 'stick-table' per proxy (a table is named after its proxy)",
    ]);
  });

  test("not in defaults", () => {
    expect(errorsOf(cfg("defaults", "    stick-table type ip size 10", ...http([]).slice(2)))).toEqual([
      "sluice.cfg:2: defaults: 'stick-table' is not allowed in a defaults section",
    ]);
  });

  test("track-sc without a table, or naming a proxy without one", () => {
    expect(errorsOf(cfg(...http(["http-request track-sc0 src", "http-request track-sc2 src table app"])))).toEqual([
      "sluice.cfg:5: frontend 'web': http-request: 'track-sc0': no stick-table to track in (this proxy declares none; add 'table <name>')",
      "sluice.cfg:6: frontend 'web': http-request: 'track-sc2': unknown stick-table 'app'",
    ]);
  });

  test("sc_* and src_* naming a proxy without a table", () => {
    expect(errorsOf(cfg(...http(["http-request deny if { sc_http_req_rate(0,app) gt 1 }", "http-request deny if { src_conn_cur gt 1 }"])))).toEqual([
      "sluice.cfg:5: frontend 'web': http-request: 'deny': anonymous ACL '{ sc_http_req_rate(0,app) gt 1 }': sc_http_req_rate: no stick-table named 'app'",
      "sluice.cfg:6: frontend 'web': http-request: 'deny': anonymous ACL '{ src_conn_cur gt 1 }': src_conn_cur needs a table: name one, or declare a stick-table in this proxy",
    ]);
  });

  test("stick lines: a table to use, a known form, a pattern, not in a frontend", () => {
    expect(errorsOf(cfg(...http([], [
      "stick on src",
      "stick match src table web",
      "stick store-response res.hdr(x)",
      "stick on",
      "stick forever src",
    ])))).toEqual([
      "sluice.cfg:8: backend 'app': stick: 'stick on' needs a stick-table: declare one in this proxy or name another with 'table <proxy>'",
      "sluice.cfg:9: backend 'app': stick: 'stick match': proxy 'web' declares no stick-table",
      "sluice.cfg:10: backend 'app': stick: 'stick store-response' is not supported yet (use 'stick on' or 'stick store-request')",
      "sluice.cfg:11: backend 'app': stick: 'stick on' expects <pattern> (usage: stick on|match|store-request <pattern> [table <table>] [if|unless <condition>])",
      "sluice.cfg:12: backend 'app': stick: unknown 'stick' rule 'forever' (usage: stick on|match|store-request <pattern> [table <table>] [if|unless <condition>])",
    ]);
    expect(errorsOf(cfg(...http(["stick on src"])))).toEqual(["sluice.cfg:5: frontend 'web': 'stick' is not allowed in a frontend section"]);
  });
});
