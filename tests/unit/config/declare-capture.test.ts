import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

// `declare capture request|response len N` (capture-declare.ts): slots after
// the header captures, for `capture ... id N`; both syntaxes.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const BACKEND = ["backend be", "    server s 127.0.0.1:9001"];

describe("declare capture", () => {
  const cfgText = cfg(
    "frontend fe",
    "    bind :80",
    "    mode http",
    "    capture request header host len 20",
    "    declare capture request len 5",
    "    declare capture response len 7",
    "    http-request capture req.hdr(x-id) id 1",
    "    http-request capture req.hdr(x-other) len 3",
    "    http-response capture res.hdr(x-srv) id 0",
    "    default_backend be",
    ...BACKEND,
    "    mode http",
  );

  test("haproxy.cfg: the lines kept as written (their slots: tests/e2e/declare-capture.test.ts, beside HAProxy)", () => {
    const rules = loadOk(cfgText).frontends[0]!;
    expect(rules.ruleLines?.declare.map((l) => l.words)).toEqual([["capture", "request", "len", "5"], ["capture", "response", "len", "7"]]);
  });

  test("its YAML twin gives the same frontend", () => {
    const yamlText = yaml(
      "frontends:",
      "  fe:",
      "    bind: ':80'",
      "    mode: http",
      "    capture: ['request header host len 20']",
      "    declare: ['capture request len 5', 'capture response len 7']",
      "    http-request: ['capture req.hdr(x-id) id 1', 'capture req.hdr(x-other) len 3']",
      "    http-response: ['capture res.hdr(x-srv) id 0']",
      "    default_backend: be",
      "backends:",
      "  be: { mode: http, servers: [{ name: s, address: '127.0.0.1:9001' }] }",
    );
    expect(withoutOrigins(loadOk(yamlText).frontends[0]!.ruleLines)).toEqual(withoutOrigins(loadOk(cfgText).frontends[0]!.ruleLines));
  });

  test.each([
    [["    declare capture request len 0"], "sluice.cfg:4: frontend 'fe': declare: invalid length '0' (expected 1-65535)"],
    [["    declare capture request 5"], "sluice.cfg:4: frontend 'fe': declare: expected 'declare capture request|response len <length>'"],
    [["    declare capture both len 5"], "sluice.cfg:4: frontend 'fe': declare: expected 'declare capture request|response len <length>'"],
    [["    declare capture request len 5", "    http-request capture src id 1"], "sluice.cfg:5: frontend 'fe': http-request: 'capture': no request capture slot with id 1 is declared"],
    [["    declare capture request len 5", "    capture request header host len 3"], "sluice.cfg:4: frontend 'fe': declare: this slot would be numbered after the 'capture request header' line 5 below it (HAProxy numbers it before): write the header captures first"],
    [["    http-request capture src len 3", "    declare capture request len 5"], "sluice.cfg:5: frontend 'fe': declare: this slot would be numbered before the 'http-request capture ... len' of line 4 above it (HAProxy numbers it after): write 'declare capture' lines first"],
  ])("error: %#", (extra, message) => {
    expect(errorsOf(cfg("frontend fe", "    bind :80", "    mode http", ...extra, "    default_backend be", ...BACKEND, "    mode http"))).toEqual([message]);
  });

  test("not in a backend (HAProxy: frontends and listens only)", () => {
    expect(errorsOf(cfg(...BACKEND, "    declare capture request len 5"))[0]).toContain("declare");
  });
});
