import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";
import { TestPki } from "../../support/certs.ts";

// `bind ... accept-proxy` in both syntaxes, and its refusal beside `ssl`.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const BACKEND = ["backend be", "    server s1 127.0.0.1:8080"];

describe("bind ... accept-proxy", () => {
  test("haproxy.cfg: set on the binds that say it, and only those", () => {
    const c = loadOk(cfg("frontend fe", "    bind :80 accept-proxy", "    bind :81", "    default_backend be", ...BACKEND));
    const binds = c.frontends[0]!.binds;
    expect(binds.map((b) => b.acceptProxy)).toEqual([true, undefined]);
  });
  test("YAML twin: { address, accept-proxy: true }; false is the same as leaving it out", () => {
    const c = loadOk(yaml(
      "frontends:",
      "  fe:",
      "    bind:",
      "      - { address: ':80', accept-proxy: true }",
      "      - { address: ':81', accept-proxy: false }",
      "    default_backend: be",
      "backends:",
      "  be: { servers: { s1: '127.0.0.1:8080' } }",
    ));
    expect(c.frontends[0]!.binds.map((b) => b.acceptProxy)).toEqual([true, undefined]);
  });
  test("with proto h2 on the same bind", () => {
    const c = loadOk(cfg("defaults", "    mode http", "frontend fe", "    bind :80 accept-proxy proto h2", "    default_backend be", ...BACKEND));
    expect(c.frontends[0]!.binds[0]).toMatchObject({ acceptProxy: true, proto: "h2" });
  });
  test("with ssl on the same bind: the header first, then the handshake", () => {
    const leaf = new TestPki().leaf("a", { names: ["a.test"] });
    const c = loadOk(cfg("frontend fe", `    bind :443 accept-proxy ssl crt ${leaf.pem}`, "    default_backend be", ...BACKEND));
    expect(c.frontends[0]!.binds[0]).toMatchObject({ acceptProxy: true, ssl: {} });
  });
  test("error: YAML, not a boolean", () => {
    expect(errorsOf(yaml("frontends:", "  fe: { bind: { address: ':80', accept-proxy: yes please }, default_backend: be }", "backends:", "  be: { servers: { s1: '127.0.0.1:8080' } }")))
      .toEqual(["sluice.yaml:2:47: frontend 'fe': bind: invalid accept-proxy 'yes please' (expected true or false)"]);
  });
});

describe("tcp-request connection expect-proxy layer4", () => {
  const fe = (...rule: string[]) => cfg("frontend fe", "    bind :80", ...rule, "    default_backend be", ...BACKEND);
  test("compiled as a connection rule, with or without a condition", () => {
    const c = loadOk(fe("    tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }", "    tcp-request connection expect-proxy layer4"));
    expect(c.frontends[0]!.rules?.tcpConnection.length).toBe(2);
  });
  test.each([
    ["    tcp-request content expect-proxy layer4", "sluice.cfg:3: frontend 'fe': tcp-request content: expect-proxy is a 'tcp-request connection' action (the header is a connection's first bytes)"],
    ["    tcp-request connection expect-proxy", "sluice.cfg:3: frontend 'fe': tcp-request connection: expect-proxy expects 'layer4' (usage: tcp-request connection expect-proxy layer4 [if|unless <condition>])"],
    ["    tcp-request connection expect-proxy layer4 when x", "sluice.cfg:3: frontend 'fe': tcp-request connection: tcp-request connection expect-proxy layer4: unexpected 'when' (expected 'if' or 'unless' and a condition)"],
  ])("error: %s", (line, message) => {
    expect(errorsOf(fe(line))).toEqual([message]);
  });
  test("error: in a section with an ssl bind, saying why", () => {
    const leaf = new TestPki().leaf("a", { names: ["a.test"] });
    const messages = errorsOf(cfg("frontend fe", `    bind :443 ssl crt ${leaf.pem}`, "    tcp-request connection expect-proxy layer4", "    default_backend be", ...BACKEND));
    expect(messages).toEqual([
      "sluice.cfg:3: frontend 'fe': tcp-request connection: expect-proxy in a section with an 'ssl' bind is not supported: the PROXY header comes before the TLS handshake, and an 'ssl' bind's listener has done the handshake before the connection rules run (put 'accept-proxy' on the ssl bind instead)",
    ]);
  });
});
