// monitor-uri and monitor fail: both syntaxes, where HAProxy allows them, and
// the compiled monitor's answers.
import { describe, expect, test } from "bun:test";
import { monitorReply } from "../../../src/rules/rule-set.ts";
import type { Txn } from "../../../src/rules/types.ts";
import { errorsOf, lines, loadOk, warningsOf } from "./helpers.ts";

const CFG = lines(
  "defaults",
  "    mode http",
  "    monitor-uri /healthz",
  "frontend web",
  "    bind 127.0.0.1:8080",
  "    monitor fail if { always_false }",
  "    monitor fail unless { always_true }",
  "    default_backend app",
  "frontend own",
  "    bind 127.0.0.1:8081",
  "    monitor-uri /alive",
  "    default_backend app",
  "backend app",
  "    server a 127.0.0.1:9000",
);

const YAML = `
defaults:
  mode: http
  monitor-uri: /healthz
frontends:
  web:
    bind: 127.0.0.1:8080
    monitor: ["fail if { always_false }", "fail unless { always_true }"]
    default_backend: app
  own:
    bind: 127.0.0.1:8081
    monitor-uri: /alive
    default_backend: app
backends:
  app:
    servers:
      a: 127.0.0.1:9000
`;

describe("monitor-uri", () => {
  test("haproxy.cfg and YAML give the same monitors; defaults' is inherited", () => {
    for (const source of [{ name: "m.cfg", text: CFG }, { name: "m.yaml", text: YAML }]) {
      const config = loadOk(source);
      const [web, own] = config.frontends;
      expect(web!.monitorUri).toBe("/healthz");
      expect(own!.monitorUri).toBe("/alive");
      const monitor = web!.rules!.monitor!;
      expect(monitor.fail).toHaveLength(2);
      // Neither condition holds: ready (200, HAProxy's page).
      const reply = monitorReply(monitor, {} as Txn);
      expect(reply.status).toBe(200);
      expect(new TextDecoder().decode(reply.body)).toBe("<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n");
      expect(monitorReply({ ...monitor, fail: [() => true] }, {} as Txn).status).toBe(503);
      expect(own!.rules!.monitor!.fail).toHaveLength(0);
    }
  });

  test("refused in a backend, warned and ignored in mode tcp, a bad monitor line named", () => {
    expect(errorsOf({ name: "b.cfg", text: lines("backend app", "    mode http", "    monitor-uri /x", "    server a 127.0.0.1:1") }))
      .toEqual(["b.cfg:3: backend 'app': 'monitor-uri' is not allowed in a backend section"]);
    const tcp = lines("frontend t", "    mode tcp", "    bind 127.0.0.1:1", "    monitor-uri /x", "    default_backend b", "backend b", "    mode tcp", "    server a 127.0.0.1:2");
    expect(warningsOf({ name: "t.cfg", text: tcp })).toContain("t.cfg:1: frontend 't': monitor-uri will be ignored for frontend 't' (needs 'mode http')");
    expect(loadOk({ name: "t.cfg", text: tcp }).frontends[0]!.rules?.monitor).toBeUndefined();
    const bad = lines("frontend f", "    mode http", "    bind 127.0.0.1:1", "    monitor-uri /x", "    monitor pass if TRUE", "    default_backend b", "backend b", "    mode http", "    server a 127.0.0.1:2");
    expect(errorsOf({ name: "f.cfg", text: bad })).toEqual(["f.cfg:5: frontend 'f': monitor: expected 'monitor fail if|unless <condition>'"]);
  });
});
