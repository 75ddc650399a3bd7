// tcp-request content conditions are three-valued, as HAProxy's
// acl_exec_cond: a term on a sample that more bytes may change (req.len, a
// ClientHello cut short) and that does not match cannot tell yet (MISS),
// `!` keeps it so, AND stops at the first term that is not true, OR lets a
// true suite win. Checked here as the Condition reports it: false plus
// `conditionMissed` for MISS, and no MISS once the bytes are final.
import { describe, expect, test } from "bun:test";
import { compileCondition } from "../../../src/rules/acl.ts";
import { Stage, type Txn } from "../../../src/rules/types.ts";
import { env, txn } from "./txn.ts";

const HELLO_START = new Uint8Array([0x16, 3, 1, 0, 200, 1, 0, 0, 196]);
const SSH = new TextEncoder().encode("SSH-2.0-client\r\n");

/** "pass", "fail" or "miss": what the condition says about `payload` (final or not). */
function outcome(text: string, payload: Uint8Array, payloadFinal = false): string {
  const c = compileCondition(text.split(/\s+/), new Map(), Stage.tcpContent, env());
  if (typeof c === "string") throw new Error(c);
  const t = { ...txn({ payload }), payloadFinal, conditionMissed: false } as Txn;
  const held = c(t);
  if (t.conditionMissed === true) {
    expect(held).toBe(false);
    return "miss";
  }
  return held ? "pass" : "fail";
}

describe("tcp-request content conditions (HAProxy's three-valued ACLs)", () => {
  test("a ClientHello cut short cannot tell yet; bytes that are no TLS record fail for good", () => {
    expect(outcome("if { req.ssl_sni -m found }", HELLO_START)).toBe("miss");
    expect(outcome("if { req_ssl_hello_type 1 }", HELLO_START)).toBe("miss");
    expect(outcome("if { req.ssl_sni -m found }", SSH)).toBe("fail");
    expect(outcome("if { req_ssl_hello_type 1 }", SSH)).toBe("fail");
    // Final bytes: no more waiting, the same hello fails.
    expect(outcome("if { req.ssl_sni -m found }", HELLO_START, true)).toBe("fail");
  });

  test("req.len may always grow: a length that does not match yet cannot tell; one that matches passes", () => {
    expect(outcome("if { req.len gt 5 }", new Uint8Array(3))).toBe("miss");
    expect(outcome("if { req.len gt 2 }", new Uint8Array(3))).toBe("pass");
    expect(outcome("if { req.len gt 5 }", new Uint8Array(3), true)).toBe("fail");
  });

  test("'!' keeps a MISS; AND stops at it; OR lets a true suite win over it; unless waits the same way", () => {
    expect(outcome("if !{ req.ssl_sni -m found }", HELLO_START)).toBe("miss");
    expect(outcome("if !{ req.ssl_sni -m found }", SSH)).toBe("pass");
    // The rules e2e/rules.test.ts writes: a hello in pieces must not be rejected before it is whole.
    expect(outcome("if { req.len gt 0 } !{ req.ssl_sni -m found }", HELLO_START)).toBe("miss");
    expect(outcome("if { req.len gt 0 } !{ req.ssl_sni -m found }", SSH)).toBe("pass");
    expect(outcome("if { src 10.0.0.0/8 } !{ req.ssl_sni -m found }", HELLO_START)).toBe("fail");
    expect(outcome("if { req.ssl_sni -m found } || { src 192.0.2.0/24 }", HELLO_START)).toBe("pass");
    expect(outcome("if { req.ssl_sni -m found } || { src 10.0.0.0/8 }", HELLO_START)).toBe("miss");
    expect(outcome("unless { req.ssl_sni -m found }", HELLO_START)).toBe("miss");
    expect(outcome("unless { req.ssl_sni -m found }", SSH)).toBe("pass");
  });
});
