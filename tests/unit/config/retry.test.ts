// retry-on and option redispatch [<interval>], in both syntaxes, with
// HAProxy's rules: a retry-on line replaces the one before (defaults too),
// `none` stands alone, an unknown condition is an error, and a tcp backend
// ignores it (HAProxy silently; sluice says so in a warning).
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

/** An http frontend and backend `app`; `be` lines go into the backend, `defaults` lines into a defaults section. */
function http(be: string[], defaults: string[] = []): string[] {
  return [
    "defaults",
    "    mode http",
    ...defaults.map((l) => `    ${l}`),
    "frontend web",
    "    bind :80",
    "    default_backend app",
    "backend app",
    "    server a 127.0.0.1:9000",
    ...be.map((l) => `    ${l}`),
  ];
}

describe("retry-on", () => {
  test("conn-failure by default; a section's line replaces its defaults' (not added to it)", () => {
    expect(loadOk(cfg(...http([]))).backends[0]!.retryOn).toEqual(["conn-failure"]);
    const c = loadOk(cfg(...http(["retry-on 503 504"], ["retry-on conn-failure empty-response"])));
    expect(c.backends[0]!.retryOn).toEqual([503, 504]);
    const d = loadOk(cfg(...http([], ["retry-on conn-failure empty-response"])));
    expect(d.backends[0]!.retryOn).toEqual(["conn-failure", "empty-response"]);
  });

  test("none: nothing is retried; all-retryable-errors: HAProxy's list", () => {
    expect(loadOk(cfg(...http(["retry-on none"]))).backends[0]!.retryOn).toEqual([]);
    expect(loadOk(cfg(...http(["retry-on all-retryable-errors 404"]))).backends[0]!.retryOn).toEqual([
      "conn-failure",
      "empty-response",
      "junk-response",
      "response-timeout",
      "0rtt-rejected",
      500,
      502,
      503,
      504,
      404,
    ]);
  });

  test("every condition HAProxy knows is accepted", () => {
    const all = "conn-failure empty-response junk-response response-timeout 0rtt-rejected 401 403 404 408 425 500 501 502 503 504";
    const c = loadOk(cfg(...http([`retry-on ${all}`])));
    expect(c.backends[0]!.retryOn as unknown[]).toEqual(all.split(" ").map((w) => (/^\d+$/.test(w) ? Number(w) : w)));
  });

  test("the YAML twin: a string of conditions or a list of words and numbers", () => {
    const fromCfg = loadOk(cfg(...http(["retry-on conn-failure empty-response 503", "option redispatch 2"])));
    for (const value of ["'conn-failure empty-response 503'", "[conn-failure, empty-response, 503]"]) {
      const fromYaml = loadOk(yaml(
        "defaults: { mode: http }",
        "frontends: { web: { bind: ':80', default_backend: app } }",
        "backends:",
        "  app:",
        "    servers: { a: '127.0.0.1:9000' }",
        `    retry-on: ${value}`,
        "    option: redispatch 2",
      ));
      expect(withoutOrigins(fromYaml.backends)).toEqual(withoutOrigins(fromCfg.backends));
    }
    expect(fromCfg.backends[0]).toMatchObject({ retryOn: ["conn-failure", "empty-response", 503], redispatch: true, redispatchInterval: 2 });
  });

  test.each([
    ["an unknown condition", ["retry-on conn-failure 418"], "sluice.cfg:8: backend 'app': retry-on: unknown condition '418'"],
    ["a misspelt one", ["retry-on conn-failures"], "sluice.cfg:8: backend 'app': retry-on: unknown condition 'conn-failures'"],
    ["none with others", ["retry-on none 503"], "sluice.cfg:8: backend 'app': retry-on: 'none' must stand alone"],
    ["no condition", ["retry-on"], "sluice.cfg:8: backend 'app': missing argument for 'retry-on' (usage: retry-on none | <condition> [<condition>...])"],
  ])("error: %s", (_, be, message) => {
    const errors = errorsOf(cfg(...http(be)));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.startsWith(message)).toBe(true);
  });

  test("error: in a frontend (HAProxy: backend or listen only, and defaults)", () => {
    expect(errorsOf(cfg("frontend web", "    mode http", "    bind :80", "    retry-on 503"))).toEqual([
      "sluice.cfg:4: frontend 'web': 'retry-on' is not allowed in a frontend section",
    ]);
  });

  test("error: YAML, neither a string nor a list of conditions", () => {
    const errors = errorsOf(yaml("backends:", "  app:", "    servers: { a: '127.0.0.1:1' }", "    retry-on: { 503: true }"));
    expect(errors).toEqual([
      "sluice.yaml:4:15: backend 'app': invalid retry-on a mapping (expected a string such as 'conn-failure 503' or a list of conditions)",
    ]);
  });

  test("mode tcp: HTTP conditions are ignored with a warning; the backend retries connection failures only", () => {
    const text = cfg(
      "listen db",
      "    mode tcp",
      "    bind :5432",
      "    retry-on conn-failure empty-response 503",
      "    server pg 127.0.0.1:5433",
    );
    expect(loadOk(text).backends[0]!.retryOn).toEqual(["conn-failure"]);
    expect(warningsOf(text)).toEqual([
      "sluice.cfg:4: listen 'db': retry-on empty-response 503 is ignored in mode tcp (only connection failures are retried there)",
    ]);
    // From defaults shared with http proxies: no warning, and none with `retry-on none` either (tcp still retries connects).
    const inherited = cfg("defaults", "    retry-on none", "listen db", "    mode tcp", "    bind :5432", "    server pg 127.0.0.1:5433");
    expect(warningsOf(inherited)).toEqual([]);
    expect(loadOk(inherited).backends[0]!.retryOn).toEqual(["conn-failure"]);
  });
});

describe("option redispatch [<interval>]", () => {
  test.each([
    ["option redispatch", true, -1],
    ["option redispatch 1", true, 1],
    ["option redispatch 3", true, 3],
    ["option redispatch -2", true, -2],
    ["option redispatch 0", false, -1],
  ])("%s", (line, on, interval) => {
    const c = loadOk(cfg(...http([line])));
    expect(c.backends[0]).toMatchObject({ redispatch: on, redispatchInterval: interval });
  });

  test("a section's line replaces its defaults' (option redispatch 0 turns it off)", () => {
    const c = loadOk(cfg(...http(["option redispatch 0"], ["option redispatch 1"])));
    expect(c.backends[0]!.redispatch).toBe(false);
  });

  test.each([
    ["option redispatch often", "option redispatch: invalid interval 'often'"],
    ["option redispatch 1.5", "option redispatch: invalid interval '1.5'"],
    ["option redispatch 1 2", "option redispatch: unexpected argument '2'"],
  ])("error: %s", (line, message) => {
    const errors = errorsOf(cfg(...http([line])));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.startsWith(`sluice.cfg:8: backend 'app': ${message} (usage: option redispatch [<interval>]`)).toBe(true);
  });
});
