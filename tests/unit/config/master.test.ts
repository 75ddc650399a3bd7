// The master-worker keywords (issue 16): master-worker, workers N|auto, nbthread N.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const BACKEND = ["backend app", "    server a 127.0.0.1:1"];
const cfg = (...global: string[]) => ({ name: "m.cfg", text: lines("global", ...global.map((g) => `    ${g}`), ...BACKEND) });
const yaml = (global: string) => ({
  name: "m.yaml",
  text: lines(`global: ${global}`, "backends:", "  app:", "    servers: { a: { address: '127.0.0.1:1' } }"),
});
const modeOf = (source: { name: string; text: string }) => {
  const g = loadOk(source).global;
  return { masterWorker: g.masterWorker, workers: g.workers };
};

describe("master-worker keywords", () => {
  test("built in: one process; workers auto once a master runs", () => {
    expect(modeOf(cfg("maxconn 10"))).toEqual({ masterWorker: false, workers: "auto" });
  });
  test("master-worker alone: a master with one worker per core", () => {
    expect(modeOf(cfg("master-worker"))).toEqual({ masterWorker: true, workers: "auto" });
    expect(modeOf(yaml("{ master-worker: true }"))).toEqual({ masterWorker: true, workers: "auto" });
  });
  test("workers N > 1 or auto implies a master; workers 1 does not", () => {
    expect(modeOf(cfg("workers 3"))).toEqual({ masterWorker: true, workers: 3 });
    expect(modeOf(cfg("workers auto"))).toEqual({ masterWorker: true, workers: "auto" });
    expect(modeOf(cfg("workers 1"))).toEqual({ masterWorker: false, workers: 1 });
    expect(modeOf(yaml("{ workers: 2 }"))).toEqual({ masterWorker: true, workers: 2 });
    expect(modeOf(yaml("{ workers: auto }"))).toEqual({ masterWorker: true, workers: "auto" });
  });
  test("HAProxy's nbthread N is the same number of workers", () => {
    expect(modeOf(cfg("nbthread 2"))).toEqual({ masterWorker: true, workers: 2 });
    expect(modeOf(yaml("{ nbthread: 2 }"))).toEqual({ masterWorker: true, workers: 2 });
    expect(modeOf(cfg("nbthread 2", "workers 2"))).toEqual({ masterWorker: true, workers: 2 });
  });
  test("errors name the file, line and keyword", () => {
    expect(errorsOf(cfg("workers 0"))).toEqual([
      "m.cfg:2: global: invalid workers '0' (expected 'auto' or an integer, 1-256)",
    ]);
    expect(errorsOf(cfg("workers some"))).toEqual([
      "m.cfg:2: global: invalid workers 'some' (expected 'auto' or an integer, 1-256)",
    ]);
    expect(errorsOf(cfg("nbthread 0"))).toEqual(["m.cfg:2: global: nbthread 0 is out of range (1-256)"]);
    expect(errorsOf(cfg("master-worker no-exit-on-failure"))).toEqual([
      "m.cfg:2: global: too many arguments for 'master-worker': 'no-exit-on-failure' (usage: master-worker)",
    ]);
    expect(errorsOf(yaml("{ master-worker: yes please }"))).toEqual([
      "m.yaml:1:26: global: invalid master-worker 'yes please' (expected true or false; haproxy.cfg: the bare keyword)",
    ]);
    expect(errorsOf(cfg("nbthread 2", "workers 4"))).toEqual([
      "m.cfg:1: global: 'workers 4' and 'nbthread 2' disagree (both set the number of worker processes: keep one)",
    ]);
  });
});

describe("option idle-close-on-response (a soft stop keeps idle keep-alive connections to their next response)", () => {
  const proxies = (defaults: string[], frontend: string[]) => ({
    name: "o.cfg",
    text: lines("defaults", "    mode http", ...defaults, "frontend f", "    bind :80", ...frontend, "    default_backend app", ...BACKEND),
  });
  test("absent by default; from defaults or the frontend; YAML twin", () => {
    expect(loadOk(proxies([], [])).frontends[0]!.idleCloseOnResponse).toBeUndefined();
    expect(loadOk(proxies(["    option idle-close-on-response"], [])).frontends[0]!.idleCloseOnResponse).toBe(true);
    expect(loadOk(proxies([], ["    option idle-close-on-response"])).frontends[0]!.idleCloseOnResponse).toBe(true);
    const yamlText = lines(
      "defaults: { mode: http, option: [idle-close-on-response] }",
      "frontends: { f: { bind: ':80', default_backend: app } }",
      "backends: { app: { servers: { a: { address: '127.0.0.1:1' } } } }",
    );
    expect(loadOk({ name: "o.yaml", text: yamlText }).frontends[0]!.idleCloseOnResponse).toBe(true);
  });
  test("not in a backend (HAProxy's sections)", () => {
    expect(errorsOf({ name: "o.cfg", text: lines("backend app", "    option idle-close-on-response", "    server a 127.0.0.1:1") })).toEqual([
      "o.cfg:2: backend 'app': 'option idle-close-on-response' is not allowed in a backend section",
    ]);
  });
});
