import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

// `option redis-check`, `option mysql-check [user NAME [post-41|pre-41]]`,
// `option pgsql-check user NAME`: each a check kind of its own, in both
// syntaxes, with HAProxy's argument rules.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

describe("protocol check options", () => {
  test("each option sets its check kind; mysql-check's user defaults to post-41; defaults pass them on", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode tcp",
      "    option redis-check",
      "backend r",
      "    server r1 127.0.0.1:6379 check",
      "backend m0",
      "    option mysql-check",
      "backend m1",
      "    option mysql-check user haproxy",
      "backend m2",
      "    option mysql-check user haproxy pre-41",
      "backend p",
      "    option pgsql-check user checker",
    ));
    expect(c.backends.map((b) => b.healthCheck)).toEqual([
      { kind: "redis" },
      { kind: "mysql", post41: true },
      { kind: "mysql", user: "haproxy", post41: true },
      { kind: "mysql", user: "haproxy", post41: false },
      { kind: "pgsql", user: "checker" },
    ]);
  });

  test("YAML twin: the same words in option", () => {
    const y = loadOk(yaml(
      "defaults: { mode: tcp }",
      "backends:",
      "  m:",
      "    option: 'mysql-check user haproxy post-41'",
      "    servers: { m1: { address: 127.0.0.1:3306, check: true } }",
      "  p:",
      "    option: ['pgsql-check user checker']",
      "    servers: { p1: { address: 127.0.0.1:5432, check: true } }",
      "  r:",
      "    option: redis-check",
      "    servers: { r1: { address: 127.0.0.1:6379, check: true } }",
    ));
    expect(y.backends.map((b) => b.healthCheck)).toEqual([
      { kind: "mysql", user: "haproxy", post41: true },
      { kind: "pgsql", user: "checker" },
      { kind: "redis" },
    ]);
  });

  test("wrong arguments are named as HAProxy refuses them", () => {
    const errors = errorsOf(cfg(
      "backend a",
      "    option pgsql-check",
      "backend b",
      "    option mysql-check login x",
      "backend c",
      "    option mysql-check user x post-50",
      "backend d",
      "    option redis-check now",
      "frontend f",
      "    bind :80",
      "    option redis-check",
    ));
    expect(errors).toEqual([
      "sluice.cfg:2: backend 'a': option pgsql-check: expects 'user <username>' (usage: option pgsql-check user <username>)",
      "sluice.cfg:4: backend 'b': option mysql-check: only 'user' may follow (got 'login') (usage: option mysql-check [user <username> [post-41|pre-41]])",
      "sluice.cfg:6: backend 'c': option mysql-check: 'post-50' is neither post-41 nor pre-41 (usage: option mysql-check [user <username> [post-41|pre-41]])",
      "sluice.cfg:8: backend 'd': option redis-check: unexpected argument 'now' (usage: option redis-check)",
      "sluice.cfg:11: frontend 'f': 'option redis-check' is not allowed in a frontend section",
    ]);
  });
});

describe("http-check disable-on-404, http-check send-state", () => {
  test("set on the HTTP check in both syntaxes (from defaults too); absent otherwise", () => {
    const c = loadOk(cfg(
      "defaults",
      "    option httpchk GET /health",
      "    http-check disable-on-404",
      "    http-check send-state",
      "backend a",
      "    server a1 127.0.0.1:8080 check",
      "backend b",
      "    option httpchk GET /health",
      "    http-check expect status 200",
      "    server b1 127.0.0.1:8080 check",
    ));
    const [a, b] = c.backends.map((x) => x.healthCheck);
    expect(a).toMatchObject({ kind: "http", disableOn404: true, sendState: true });
    expect(b).toEqual({ kind: "http", request: { method: "GET", uri: "/health", version: "HTTP/1.0", headers: [] }, expects: [{ negate: false, match: "status", pattern: "200" }] });
    const y = loadOk(yaml(
      "backends:",
      "  a:",
      "    option: 'httpchk GET /health'",
      "    http-check: [disable-on-404, send-state]",
      "    servers: { a1: { address: 127.0.0.1:8080, check: true } }",
    ));
    expect(y.backends[0]!.healthCheck).toMatchObject({ kind: "http", disableOn404: true, sendState: true });
  });
});
