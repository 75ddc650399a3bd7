// Rule lines in the configuration (issue 15): both syntaxes give the same
// compiled rules, and every problem of every rule is reported at once with
// its file:line, its proxy and its keyword.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

const HEAD = ["defaults", "    mode http", "    timeout connect 5s", "    timeout client 5s", "    timeout server 5s"];

describe("rule lines", () => {
  test("haproxy.cfg and YAML compile to the same rules, in the order written", () => {
    const a = loadOk(cfg(
      ...HEAD,
      "frontend fe",
      "    bind :80",
      "    acl is_api path_beg /api/",
      "    http-request deny if { path_beg /admin/ }",
      "    http-request set-header X-A 1",
      "    use_backend api if is_api",
      "    http-response del-header Server",
      "    http-after-response set-header X-B 2",
      "    default_backend web",
      "backend web",
      "    server w1 127.0.0.1:9001",
      "backend api",
      "    use-server a1 if { path_end .json }",
      "    server a1 127.0.0.1:9002",
    ));
    const b = loadOk(yaml(
      "defaults: { mode: http, timeout: { connect: 5s, client: 5s, server: 5s } }",
      "frontends:",
      "  fe:",
      "    bind: ':80'",
      "    acl: [is_api path_beg /api/]",
      "    http-request:",
      "      - deny if { path_beg /admin/ }",
      "      - [set-header, X-A, '1']",
      "    use_backend: api if is_api",
      "    http-response: del-header Server",
      "    http-after-response: set-header X-B 2",
      "    default_backend: web",
      "backends:",
      "  web: { servers: { w1: '127.0.0.1:9001' } }",
      "  api:",
      "    use-server: a1 if { path_end .json }",
      "    servers: { a1: '127.0.0.1:9002' }",
    ));
    for (const c of [a, b]) {
      const fe = c.frontends[0]!.rules!;
      expect([fe.httpRequest.length, fe.httpResponse.length, fe.httpAfterResponse.length, fe.useBackend.length]).toEqual([2, 1, 1, 1]);
      expect(fe.useBackend[0]!.name).toBe("api");
      expect(c.backends.find((x) => x.name === "api")!.rules!.useServer[0]!.server).toBe("a1");
      expect(c.backends.find((x) => x.name === "web")!.rules).toBeUndefined();
    }
  });

  test("a listen's rules are its frontend's and its backend's, one object (run once per request)", () => {
    const c = loadOk(cfg(...HEAD, "listen app", "    bind :80", "    http-request deny if { path /x }", "    server s1 127.0.0.1:9001"));
    expect(c.frontends[0]!.rules!.httpRequest.length).toBe(1);
    // Its backend half holds the same rules (use-server, stick), which the request stage never runs twice.
    expect(c.backends[0]!.rules).toBe(c.frontends[0]!.rules!);
  });

  test("tcp-request content and inspect-delay in a backend (both syntaxes): its own rules, in order; its frontend has none", () => {
    const a = loadOk(cfg(
      "defaults", "    mode tcp", "    timeout connect 5s", "    timeout client 5s", "    timeout server 5s",
      "frontend fe",
      "    bind :3306",
      "    default_backend db",
      "backend db",
      "    acl internal_networks src 192.168.0.0/16 172.16.0.0/12 10.0.0.0/8 127.0.0.1",
      "    tcp-request inspect-delay 2s",
      "    tcp-request content reject if ! internal_networks",
      "    tcp-request content accept if { req_ssl_hello_type 1 }",
      "    server s1 127.0.0.1:9001",
    ));
    const b = loadOk(yaml(
      "defaults: { mode: tcp, timeout: { connect: 5s, client: 5s, server: 5s } }",
      "frontends:",
      "  fe: { bind: ':3306', default_backend: db }",
      "backends:",
      "  db:",
      "    acl: [internal_networks src 192.168.0.0/16 172.16.0.0/12 10.0.0.0/8 127.0.0.1]",
      "    tcp-request:",
      "      - inspect-delay 2s",
      "      - content reject if ! internal_networks",
      "      - content accept if { req_ssl_hello_type 1 }",
      "    servers: { s1: '127.0.0.1:9001' }",
    ));
    for (const c of [a, b]) {
      const db = c.backends[0]!.rules!;
      expect([db.tcpContent.length, db.inspectDelay, db.tcpConnection.length]).toEqual([2, 2000, 0]);
      expect(c.frontends[0]!.rules).toBeUndefined();
    }
  });

  test("use_backend without default_backend: no warning (what no rule takes gets 503)", () => {
    const source = cfg(...HEAD, "frontend fe", "    bind :80", "    use_backend be if { path_beg /a }", "backend be", "    server s1 127.0.0.1:9001");
    expect(warningsOf(source)).toEqual([]);
  });

  test("every problem at once, each at its line", () => {
    expect(errorsOf(cfg(
      ...HEAD,
      "frontend fe",
      "    bind :80",
      "    acl bad_acl pathh_beg /x",
      "    http-request deny if { res.hdr(x) -m found }",
      "    http-request track-sc0 src",
      "    http-request frobnicate",
      "    use_backend nowhere if { path_beg /a }",
      "    use_backend be if undefined_acl",
      "    tcp-request connection reject if { path /x }",
      "    tcp-request inspect-delay soon",
      "    tcp-request session expect-proxy layer4",
      "    use_backend be when { path /x }",
      "    default_backend be",
      "backend be",
      "    use-server s9 if TRUE",
      "    tcp-request connection accept",
      "    server s1 127.0.0.1:9000",
    ))).toEqual([
      "sluice.cfg:8: frontend 'fe': acl bad_acl: unknown fetch 'pathh_beg' (did you mean 'path_beg'?)",
      "sluice.cfg:9: frontend 'fe': http-request: 'deny': anonymous ACL '{ res.hdr(x) -m found }': 'res.hdr' is not available in http-request rules",
      "sluice.cfg:10: frontend 'fe': http-request: 'track-sc0': no stick-table to track in (this proxy declares none; add 'table <name>')",
      expect.stringMatching(/^sluice\.cfg:11: frontend 'fe': http-request: unknown http-request action 'frobnicate' \(supported: add-acl, add-header, allow, .*\)$/),
      "sluice.cfg:12: frontend 'fe': use_backend: backend 'nowhere' is not defined (no backend or listen has that name)",
      "sluice.cfg:13: frontend 'fe': use_backend: unknown ACL 'undefined_acl'",
      "sluice.cfg:14: frontend 'fe': tcp-request connection: anonymous ACL '{ path /x }': 'path' is not available in tcp-request connection rules",
      "sluice.cfg:15: frontend 'fe': tcp-request inspect-delay: invalid time 'soon' (expected a number with unit us, ms, s, m, h or d)",
      "sluice.cfg:16: frontend 'fe': tcp-request session: expect-proxy is a 'tcp-request connection' action (the header is a connection's first bytes)",
      "sluice.cfg:17: frontend 'fe': use_backend: unexpected 'when' (expected 'if' or 'unless' and a condition)",
      "sluice.cfg:20: backend 'be': use-server: no server 's9' in this backend",
      "sluice.cfg:21: backend 'be': tcp-request: 'tcp-request connection' is not allowed in a backend section (frontend and listen only)",
    ]);
  });

  test("YAML: errors point at the rule's line and column", () => {
    expect(errorsOf(yaml(
      "frontends:",
      "  fe:",
      "    mode: http",
      "    bind: ':80'",
      "    http-request:",
      "      - deny if { path /x }",
      "      - frobnicate",
      "    default_backend: be",
      "backends:",
      "  be: { mode: http, servers: { s1: '127.0.0.1:9000' } }",
    ))).toEqual([expect.stringMatching(/^sluice\.yaml:7:9: frontend 'fe': http-request: unknown http-request action 'frobnicate'/)]);
  });

  test("rule keywords where HAProxy does not take them", () => {
    expect(errorsOf(cfg(...HEAD, "    http-request deny", "frontend fe", "    bind :80", "    use-server s1", "    default_backend be", "backend be", "    use_backend be", "    server s1 127.0.0.1:9000"))).toEqual([
      "sluice.cfg:6: defaults: 'http-request' is not allowed in a defaults section",
      "sluice.cfg:9: frontend 'fe': 'use-server' is not allowed in a frontend section",
      "sluice.cfg:12: backend 'be': 'use_backend' is not allowed in a backend section",
    ]);
  });
});
