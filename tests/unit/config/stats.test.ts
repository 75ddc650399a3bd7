// The stats listener's keywords (issue 16) in both syntaxes, and the errors
// for what sluice does not support, each at its file and line.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const BASE = lines(
  "defaults",
  "    mode http",
  "frontend fe",
  "    bind 127.0.0.1:8080",
  "    default_backend be",
  "backend be",
  "    server a 127.0.0.1:9001",
);

describe("stats listener", () => {
  test("haproxy.cfg and its YAML twins (a mapping, or the lines as written) give one config", () => {
    const cfg = loadOk({
      name: "s.cfg",
      text: BASE + lines(
        "listen stats",
        "    bind 127.0.0.1:8404",
        "    stats enable",
        "    stats uri /",
        "    stats refresh 10s",
        "    stats auth admin:secret",
        "    stats auth ops:two:colons",
        "    stats realm Ops",
        "    stats show-legends",
        "    stats hide-version",
        "    http-request use-service prometheus-exporter if { path /metrics }",
      ),
    });
    const yamlBase = `defaults: { mode: http }
frontends: { fe: { bind: "127.0.0.1:8080", default_backend: be } }
backends: { be: { servers: [{ name: a, address: "127.0.0.1:9001" }] } }
`;
    const mapping = loadOk({
      name: "s.yaml",
      text: yamlBase + `listen:
  stats:
    bind: "127.0.0.1:8404"
    stats: { enable: true, uri: /, refresh: 10s, auth: ["admin:secret", "ops:two:colons"], realm: Ops, show-legends: true, hide-version: true }
    http-request: ["use-service prometheus-exporter if { path /metrics }"]
`,
    });
    const written = loadOk({
      name: "s.yaml",
      text: yamlBase + `listen:
  stats:
    bind: "127.0.0.1:8404"
    stats: ["enable", "uri /", "refresh 10s", "auth admin:secret", "auth ops:two:colons", "realm Ops", "show-legends", "hide-version"]
    http-request: ["use-service prometheus-exporter if { path /metrics }"]
`,
    });
    expect(cfg.stats).toEqual([{
      name: "stats",
      binds: [{ host: "127.0.0.1", port: 8404, origin: { file: "s.cfg", line: 9 } }],
      uri: "/",
      refresh: 10000,
      auth: [{ user: "admin", password: "secret" }, { user: "ops", password: "two:colons" }],
      realm: "Ops",
      showLegends: true,
      hideVersion: true,
      metrics: { path: "/metrics", prefix: false },
      origin: { file: "s.cfg", line: 8 },
    }]);
    // A stats listener is neither a frontend nor a backend of the proxy.
    expect(cfg.frontends.map((f) => f.name)).toEqual(["fe"]);
    expect(cfg.backends.map((b) => b.name)).toEqual(["be"]);
    expect(withoutOrigins(mapping)).toEqual(withoutOrigins(cfg));
    expect(withoutOrigins(written)).toEqual(withoutOrigins(cfg));
  });

  test("HAProxy's defaults: uri /haproxy?stats, realm HAProxy Statistics, no refresh, no auth", () => {
    const config = loadOk({ name: "d.cfg", text: BASE + lines("frontend st", "    bind :8404", "    stats enable") });
    expect(config.stats![0]).toMatchObject({ uri: "/haproxy?stats", realm: "HAProxy Statistics", auth: [], showLegends: false });
    expect(config.stats![0]!.refresh).toBeUndefined();
    expect(config.stats![0]!.metrics).toBeUndefined();
  });

  test("a frontend with the exporter's rule line alone serves the metrics only (HAProxy's documented form)", () => {
    const config = loadOk({
      name: "m.cfg",
      text: BASE + lines("frontend prometheus", "    bind 127.0.0.1:8405", "    http-request use-service prometheus-exporter if { path_beg /metrics }"),
    });
    expect(config.stats).toHaveLength(1);
    expect(config.stats![0]).toMatchObject({ name: "prometheus", metrics: { path: "/metrics", prefix: true } });
    expect(config.stats![0]!.uri).toBeUndefined();
  });

  test("what sluice does not support is an error at its line", () => {
    expect(errorsOf({
      name: "e.cfg",
      text: BASE + lines(
        "listen stats", //             8
        "    bind 127.0.0.1:8404",
        "    stats enable",
        "    stats admin TRUE", //  11
        "    stats show-node a b",
        "    stats refresh soon",
        "    stats auth nobody",
        "    stats uri stats", //      15
        "    stats enable now",
      ),
    })).toEqual([
      "e.cfg:11: listen 'stats': 'stats admin' needs a condition (usage: stats admin { if | unless } <cond>)",
      "e.cfg:12: listen 'stats': too many arguments for 'stats show-node' (usage: stats show-node [ <name> ])",
      "e.cfg:13: listen 'stats': stats refresh: invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)",
      "e.cfg:14: listen 'stats': invalid stats auth 'nobody' (expected <user>:<password>)",
      "e.cfg:15: listen 'stats': invalid stats uri 'stats' (expected a path starting with '/')",
      "e.cfg:16: listen 'stats': too many arguments for 'stats enable' (usage: stats enable)",
    ]);
  });

  test("stats admin: a condition of the rules layer in both syntaxes, with the section's acl lines; what needs a proxy is refused at its line", () => {
    const cfg = loadOk({
      name: "a.cfg",
      text: BASE + lines("listen stats", "    bind 127.0.0.1:8404", "    acl local src 127.0.0.1", "    stats enable", "    stats admin if local || { path_beg /ops }"),
    });
    expect(typeof cfg.stats![0]!.admin).toBe("function");
    const yaml = loadOk({
      name: "a.yaml",
      text: "defaults: { mode: http }\nlisten:\n  stats:\n    bind: 127.0.0.1:8404\n    acl: [\"inside src 10.0.0.0/8\"]\n    stats: { enable: true, admin: \"unless inside\" }\n",
    });
    expect(typeof yaml.stats![0]!.admin).toBe("function");
    expect(errorsOf({
      name: "b.cfg",
      text: BASE + lines(
        "listen stats", //                                       8
        "    bind 127.0.0.1:8404",
        "    acl busy sc0_http_req_rate gt 10", //                10
        "    stats enable",
        "    stats admin if { sc0_http_req_rate gt 10 }", //      12
      ),
    })).toEqual([
      "b.cfg:10: listen 'stats': acl busy: 'sc0_http_req_rate' cannot be used on a stats listener (it has no stick tables or tracked counters; usable: src, dst, path, method, hdr, always_true...)",
      "b.cfg:12: listen 'stats': stats admin: 'sc0_http_req_rate' cannot be used on a stats listener (it has no stick tables or tracked counters; usable: src, dst, path, method, hdr, always_true...)",
    ]);
    expect(errorsOf({
      name: "c.cfg",
      text: BASE + lines("listen stats", "    bind 127.0.0.1:8404", "    stats enable", "    stats admin unless { res.hdr(x) -m found }"),
    })).toEqual([
      "c.cfg:11: listen 'stats': stats admin: anonymous ACL '{ res.hdr(x) -m found }': 'res.hdr' is not available in http-request rules",
    ]);
    expect(errorsOf({
      name: "d.cfg",
      text: BASE + lines("listen stats", "    bind 127.0.0.1:8404", "    stats admin if TRUE", "    stats admin if nosuch", "    acl bad nosuchfetch x"),
    })).toEqual([
      "d.cfg:11: listen 'stats': stats admin: unknown ACL 'nosuch'",
      "d.cfg:12: listen 'stats': acl bad: unknown fetch 'nosuchfetch'",
    ]);
  });

  test("a section that routes keeps its place and gets the page (HAProxy's stats applet); in tcp mode stats is ignored with HAProxy's warning", () => {
    const cfg = loadOk({
      name: "t.cfg",
      text: lines(
        "listen both",
        "    mode http",
        "    bind 127.0.0.1:8404",
        "    stats uri /st",
        "    stats scope .",
        "    stats show-node",
        "    stats show-desc edge one",
        "    stats show-modules",
        "    server a 127.0.0.1:9001",
        "    http-request deny if { path /x }",
        "    http-request use-service prometheus-exporter if { hdr(host) -m str x }",
      ),
    });
    expect(cfg.stats ?? []).toEqual([]);
    const page = cfg.frontends[0]!.statsPage!;
    expect(page).toMatchObject({ name: "both", uri: "/st", scope: ["both"], showNode: true, showDesc: "edge one", showModules: true, binds: [] });
    expect(cfg.frontends[0]!.rules!.stats!.uri).toBe("/st");
    // A listen is one proxy: its page is served once, at its frontend half.
    expect(cfg.backends[0]!.statsPage).toBeUndefined();
    expect(warningsOf({ name: "sluice.cfg", text: lines("listen both", "    mode tcp", "    bind 127.0.0.1:8404", "    stats enable", "    server a 127.0.0.1:9001") })).toContain(
      "sluice.cfg:4: listen 'both': 'stats' statement ignored for listen 'both' as it requires HTTP mode",
    );
  });

  test("stats in a backend (its stats http-request rules compiled with its ACLs and userlists); not in defaults", () => {
    const errors = errorsOf({ name: "b.cfg", text: lines("defaults", "    mode http", "    stats enable", "backend be", "    stats enable") });
    expect(errors).toEqual([
      "b.cfg:3: defaults: 'stats' is not allowed in a defaults section",
    ]);
    const cfg = loadOk({
      name: "b.cfg",
      text: lines(
        "userlist ops",
        "    user tiger insecure-password dog",
        "defaults",
        "    mode http",
        "frontend fe",
        "    bind 127.0.0.1:8080",
        "    use_backend st if { hdr(host) stats }",
        "backend st",
        "    acl ok http_auth(ops)",
        "    stats uri /",
        "    stats http-request allow if ok",
        "    stats http-request auth",
      ),
    });
    const st = cfg.backends.find((b) => b.name === "st")!;
    expect(st.statsPage!.requestRules!.map((r) => r.words)).toEqual([["allow", "if", "ok"], ["auth"]]);
    expect(st.rules!.stats!.request).toHaveLength(2);
    // The frontend runs the request stage, which reaches the backend's page.
    expect(cfg.frontends[0]!.rules).toBeDefined();
    expect(errorsOf({ name: "sluice.cfg", text: lines("defaults", "    mode http", "backend st", "    stats http-request redirect location /") })).toEqual([
      "sluice.cfg:4: backend 'st': 'stats http-request redirect' is not supported (HAProxy's stats rules take allow, deny or auth)",
    ]);
    // HAProxy refuses both kinds of access control on one page.
    expect(errorsOf({ name: "sluice.cfg", text: lines("defaults", "    mode http", "backend st", "    stats auth a:b", "    stats http-request deny") })).toEqual([
      "sluice.cfg:5: backend 'st': stats 'auth'/'realm' and 'http-request' can't be used at the same time",
    ]);
  });
});
