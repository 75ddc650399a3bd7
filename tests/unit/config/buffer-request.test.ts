// option http-buffer-request and http-request wait-for-body as the
// configuration reads them: the option in every proxy section, `no option`
// over a defaults' one, a listen's on both halves; wait-for-body's arguments
// accepted and refused as HAProxy 2.6 (haproxy -c) does, in http-request and
// http-response; req.body_param's
// one argument (2.6 has no case-insensitive flag).
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });

describe("option http-buffer-request", () => {
  test("in defaults, frontend, backend and listen; `no option` takes a defaults' one back", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode http",
      "    option http-buffer-request",
      "frontend on",
      "    bind :8080",
      "    default_backend inherits",
      "frontend off",
      "    bind :8081",
      "    no option http-buffer-request",
      "    default_backend off",
      "backend inherits",
      "    server s 127.0.0.1:8000",
      "backend off",
      "    no option http-buffer-request",
      "    server s 127.0.0.1:8000",
      "listen both",
      "    bind :8082",
      "    server s 127.0.0.1:8000",
    ));
    const fe = (name: string) => c.frontends.find((f) => f.name === name)!;
    const be = (name: string) => c.backends.find((b) => b.name === name)!;
    expect([fe("on").bufferRequest, fe("off").bufferRequest, fe("both").bufferRequest]).toEqual([true, undefined, true]);
    expect([be("inherits").bufferRequest, be("off").bufferRequest, be("both").bufferRequest]).toEqual([true, undefined, true]);
  });
});

describe("http-request wait-for-body", () => {
  const rule = (line: string) => cfg(
    "frontend fe",
    "    mode http",
    "    bind :8080",
    `    http-request ${line}`,
    "    default_backend b",
    "backend b",
    "    mode http",
    "    server s 127.0.0.1:8000",
  );

  test.each([
    "wait-for-body time 1s",
    "wait-for-body time 1s at-least 1k",
    "wait-for-body at-least 16k time 500",
    "wait-for-body time 0",
    "wait-for-body time 1s if METH_POST",
  ])("accepted: %s", (line) => {
    expect(loadOk(rule(line)).frontends[0]!.rules?.waitsForBody).toBe(true);
  });

  test.each([
    ["wait-for-body", "'time' is mandatory"],
    ["wait-for-body time", "'time' needs a value"],
    ["wait-for-body time 1x", "invalid time '1x'"],
    ["wait-for-body time 1s at-least 1z", "invalid size '1z'"],
    ["wait-for-body time 1s foo", "unexpected 'foo' after its arguments"],
  ])("refused: %s", (line, why) => {
    const errors = errorsOf(rule(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toStartWith("sluice.cfg:4: frontend 'fe': http-request: ");
    expect(errors[0]).toContain(why);
  });

  test("in http-response too, not in http-after-response (HAProxy 2.6's lists)", () => {
    const front = (line: string) => cfg("frontend fe", "    mode http", "    bind :8080", `    ${line}`, "    default_backend b", "backend b", "    mode http", "    server s 127.0.0.1:8000");
    expect(loadOk(front("http-response wait-for-body time 1s at-least 1k")).frontends[0]!.rules?.httpResponse).toHaveLength(1);
    expect(errorsOf(front("http-after-response wait-for-body time 1s"))[0]).toContain("'wait-for-body' is not available in http-after-response");
  });

  test("req.body_param takes one argument, as HAProxy 2.6", () => {
    expect(errorsOf(rule("set-var(txn.u) req.body_param(user,i)"))[0]).toContain("req.body_param");
  });
});
