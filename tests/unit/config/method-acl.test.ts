// A `method` ACL whose pattern will not match the method it seems to name
// (`get` is not GET in HAProxy, -i or not): a warning at its line, the
// configuration still loads (HAProxy takes it silently).
import { describe, expect, test } from "bun:test";
import { lines, warningsOf } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });

describe("method ACL patterns", () => {
  test("a known method written in lower case warns at its line; upper case and other methods do not", () => {
    const text = cfg(
      "frontend fe",
      "    bind :8080",
      "    acl g method -i get",
      "    acl ok method GET HEAD purge",
      "    http-request deny if g || ok",
    );
    expect(warningsOf(text).filter((w) => w.includes("method pattern"))).toEqual([
      "sluice.cfg:3: frontend 'fe': acl g: method pattern 'get' is not the method GET: the eight HTTP methods match only as written in upper case (-i applies to other methods), as in HAProxy; write 'GET'",
    ]);
  });
});
