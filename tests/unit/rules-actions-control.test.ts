// allow, set-var/set-var-fmt/unset-var, set-log-level, capture, set-status,
// set-src, sc-inc-gpc0/1, track-sc0/1/2.
import { describe, expect, test } from "bun:test";
import { serializeResponseHead } from "../../src/http1/serialize.ts";
import { Verdict } from "../../src/rules/types.ts";
import { action, compileError, context, request, response, text, txn } from "./rules-actions-support.ts";

describe("variables", () => {
  test("set-var keeps the sample's type; set-var-fmt stores text; unset-var removes", () => {
    const t = txn(request("/p", ["Host: h", "X-N: 5"]));
    action("http-request", "set-var(txn.n) int(42)")(t);
    action("http-request", "set-var(req.h) req.hdr(x-n)")(t);
    action("http-request", "set-var-fmt(txn.from) %[src]:%[req.hdr(x-n)]")(t);
    expect(t.vars.get("txn", "n")).toBe(42);
    expect(t.vars.get("req", "h")).toBe("5");
    expect(t.vars.get("txn", "from")).toBe("192.0.2.7:5");
    action("http-request", "unset-var(txn.n)")(t);
    expect(t.vars.get("txn", "n")).toBeUndefined();
  });

  test("no sample: the variable is left as it was", () => {
    const t = txn();
    t.vars.set("txn", "x", "kept");
    action("http-request", "set-var(txn.x) req.hdr(x-absent)")(t);
    expect(t.vars.get("txn", "x")).toBe("kept");
  });

  const conditions: [cond: string, before: number | string | undefined, input: string, set: boolean][] = [
    ["ifexists", "old", "str(v)", true],
    ["ifexists", undefined, "str(v)", false],
    ["ifnotexists", undefined, "str(v)", true],
    ["ifnotexists", "old", "str(v)", false],
    ["ifset", "old", "str(v)", true],
    ["ifnotset", "old", "str(v)", false],
    ["ifempty", undefined, "str()", true],
    ["ifempty", undefined, "int(0)", false],
    ["ifnotempty", undefined, "str()", false],
    ["ifnotempty", undefined, "int(0)", true],
    ["ifgt", 10, "int(5)", true],
    ["ifgt", 10, "int(50)", false],
    ["iflt", 10, "int(5)", false],
    ["iflt", 10, "int(50)", true],
    ["ifgt", "text", "int(5)", true],
  ];
  for (const [cond, before, input, set] of conditions) {
    test(`set-var(txn.x,${cond}) with ${String(before)} ← ${input}: ${set ? "set" : "kept"}`, () => {
      const t = txn();
      if (before !== undefined) t.vars.set("txn", "x", before);
      action("http-request", `set-var(txn.x,${cond}) ${input}`)(t);
      const expected = set ? (input.startsWith("int") ? Number(input.slice(4, -1)) : input.slice(4, -1)) : before;
      expect(t.vars.get("txn", "x")).toBe(expected);
    });
  }

  test("argument errors", () => {
    expect(compileError("http-request", "set-var() src")).toBe("'set-var' expects a variable name in parentheses: set-var(<scope>.<name>)");
    expect(compileError("http-request", "set-var(x) src")).toBe(
      "'set-var': variable 'x' needs a scope among proc, sess, txn, req, res (such as txn.x)",
    );
    expect(compileError("http-request", "set-var(global.x) src")).toBe(
      "'set-var': variable 'global.x' needs a scope among proc, sess, txn, req, res (such as txn.x)",
    );
    expect(compileError("http-request", "set-var(txn.a-b) src")).toBe(
      "'set-var': variable name 'a-b' may only contain letters, digits, '_' and '.'",
    );
    expect(compileError("http-request", "set-var(txn.x,ifbig) src")).toBe(
      "'set-var': unknown condition 'ifbig' (expected ifexists, ifnotexists, ifset, ifnotset, ifempty, ifnotempty, ifgt, iflt)",
    );
    expect(compileError("http-request", "set-var(txn.x)")).toBe("'set-var' expects <expr>");
    expect(compileError("http-request", "set-var(txn.x) nofetch")).toBe("'set-var' <expr>: unknown fetch 'nofetch'");
    expect(compileError("http-request", "set-var-fmt(txn.x) if yes")).toBe("'set-var-fmt' expects <fmt>");
    expect(compileError("http-request", "unset-var(txn)")).toBe(
      "'unset-var': variable 'txn' needs a scope among proc, sess, txn, req, res (such as txn.txn)",
    );
  });
});

describe("set-log-level", () => {
  test("the last one that runs wins", () => {
    const t = txn();
    action("http-request", "set-log-level debug")(t);
    action("http-request", "set-log-level silent")(t);
    expect(t.logLevel).toBe("silent");
  });

  test("argument errors", () => {
    expect(compileError("http-request", "set-log-level loud")).toBe(
      "'set-log-level' expects a level among emerg, alert, crit, err, warning, notice, info, debug, silent (was 'loud')",
    );
  });
});

describe("capture", () => {
  test("len N declares the next slot and truncates to N", () => {
    const ctx = context({ captureSlots: [64] });
    const run = action("http-request", "capture req.hdr(user-agent) len 5", ctx);
    expect(ctx.captureSlots).toEqual([64, 5]);
    const t = txn(request("/", ["Host: h", "User-Agent: curl/8.0"]));
    run(t);
    expect(t.captures[1]).toBe("curl/");
  });

  test("id N stores into a declared slot, truncated to its length; responses use theirs", () => {
    const ctx = context({ captureSlots: [3], responseCaptureSlots: [0, 4] });
    const t = txn(request("/", ["Host: h", "X-Id: abcdef"]), response(200, ["Content-Length: 0", "Server: nginx/1.2"]));
    action("http-request", "capture req.hdr(x-id) id 0", ctx)(t);
    action("http-response", "capture res.hdr(server) id 1", ctx)(t);
    action("http-after-response", "capture int(12345) id 1", ctx)(t);
    expect(t.captures[0]).toBe("abc");
    expect(t.responseCaptures[1]).toBe("1234");
  });

  test("no sample stores nothing", () => {
    const t = txn();
    action("http-request", "capture req.hdr(x-absent) len 8")(t);
    expect(t.captures).toEqual([]);
  });

  test("argument errors", () => {
    expect(compileError("http-request", "capture")).toBe("'capture' expects <sample>");
    expect(compileError("http-request", "capture src")).toBe("'capture' expects 'len <length>' or 'id <id>' after <sample>");
    expect(compileError("http-response", "capture src len 4")).toBe("'capture' expects 'id <id>' after <sample>");
    expect(compileError("http-request", "capture src len 0")).toBe("'capture' 'len' expects a positive length (was '0')");
    expect(compileError("http-request", "capture src id 7")).toBe("'capture': no request capture slot with id 7 is declared");
    expect(compileError("http-response", "capture src id x")).toBe("'capture' 'id' expects a slot id (was 'x')");
  });
});

describe("set-status", () => {
  test("status with its standard reason, or the one given", () => {
    const t = txn(request(), response(200));
    action("http-response", "set-status 431")(t);
    expect(t.response!.status).toBe(431);
    expect(text(serializeResponseHead(t.response!, { framing: { kind: "none" } }))).toStartWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
    const u = txn(request(), response(200));
    action("http-after-response", ["set-status", "503", "reason", "Slow Down"])(u);
    expect(text(serializeResponseHead(u.response!, { framing: { kind: "none" } }))).toStartWith("HTTP/1.1 503 Slow Down\r\n");
  });

  test("argument errors", () => {
    expect(compileError("http-response", "set-status")).toBe("'set-status' expects an integer status code between 100 and 999");
    expect(compileError("http-response", "set-status 1000")).toBe(
      "'set-status' expects an integer status code between 100 and 999 (was '1000')",
    );
  });
});

describe("set-src", () => {
  test("the address from a header, the port kept", () => {
    const ctx = context();
    ctx.acls.trusted = (t) => t.client.address.startsWith("192.0.2.");
    const t = txn(request("/", ["Host: h", "X-Real-IP: 203.0.113.9"]));
    action("http-request", "set-src req.hdr(x-real-ip) if trusted", ctx)(t);
    expect(t.client.address).toBe("203.0.113.9");
    expect(t.client.port).toBe(40000);
    // Now outside the trusted network: a second rule does not apply.
    const again = txn(request("/", ["Host: h", "X-Real-IP: 198.51.100.1"]));
    again.client = { ...again.client, address: "10.0.0.1" };
    action("http-request", "set-src req.hdr(x-real-ip) if trusted", ctx)(again);
    expect(again.client.address).toBe("10.0.0.1");
  });

  test("IPv6, and an integer as IPv4; anything else leaves the address", () => {
    const t = txn(request("/", ["Host: h", "X-A: 2001:db8::1", "X-B: not-an-ip", "X-C: 10.0.0.0/8"]));
    action("http-request", "set-src req.hdr(x-a)")(t);
    expect(t.client.address).toBe("2001:db8::1");
    action("http-request", "set-src req.hdr(x-b)")(t);
    action("http-request", "set-src req.hdr(x-c)")(t);
    action("http-request", "set-src req.hdr(x-absent)")(t);
    expect(t.client.address).toBe("2001:db8::1");
    action("http-request", "set-src int(167772161)")(t);
    expect(t.client.address).toBe("10.0.0.1");
  });
});

describe("set-dst, set-dst-port", () => {
  test("the destination's address and port, each keeping the other; nonsense leaves them", () => {
    const t = txn(request("/", ["Host: h", "X-Dst: 192.0.2.10", "X-Bad: nope"]));
    action("http-request", "set-dst req.hdr(x-dst)")(t);
    expect([t.client.localAddress, t.client.localPort, t.client.address]).toEqual(["192.0.2.10", 8080, "192.0.2.7"]);
    action("http-request", "set-dst-port int(8443)")(t);
    expect([t.client.localAddress, t.client.localPort]).toEqual(["192.0.2.10", 8443]);
    action("http-request", "set-dst req.hdr(x-bad)")(t);
    action("http-request", "set-dst-port int(70000)")(t);
    action("http-request", "set-dst-port str(x)")(t);
    expect([t.client.localAddress, t.client.localPort]).toEqual(["192.0.2.10", 8443]);
    action("http-request", "set-dst-port str(81)")(t);
    expect(t.client.localPort).toBe(81);
  });

  test("usage", () => {
    expect(compileError("http-request", "set-dst")).toBe("'set-dst' expects <expr>");
    expect(compileError("http-request", "set-dst-port if x")).toBe("'set-dst-port' expects <expr>");
    expect(compileError("http-response", "set-dst src")).toContain("not available in http-response");
  });
});

describe("stick counters", () => {
  test("track-sc0 in the proxy's own table, once per session; sc-inc-gpc0 counts on it", () => {
    const ctx = context();
    const track = action("http-request", "track-sc0 src", ctx);
    const other = action("http-request", "track-sc0 req.hdr(host) table t1", ctx);
    expect(ctx.tracks).toEqual([{ slot: 0, table: "own" }, { slot: 0, table: "t1" }]);
    const t = txn();
    track(t);
    const entry = t.tracked[0]!;
    expect(entry.table).toBe("own");
    other(t);
    expect(t.tracked[0]).toBe(entry);
    expect(action("http-request", "sc-inc-gpc0(0)")(t)).toBe(Verdict.continue);
    action("http-request", "sc-inc-gpc0(0)")(t);
    action("http-request", "sc-inc-gpc1(0)")(t);
    expect(entry.read("gpc0", t.now)).toBe(2);
    expect(entry.read("gpc1", t.now)).toBe(1);
  });

  test("sc-inc-gpc0 on a counter that tracks nothing does nothing", () => {
    const t = txn();
    expect(action("http-response", "sc-inc-gpc0(2)")(t)).toBe(Verdict.continue);
  });

  test("argument errors", () => {
    expect(compileError("http-request", "track-sc1")).toBe("'track-sc1' expects <key>");
    expect(compileError("http-request", "track-sc1 src table")).toBe("'track-sc1' 'table' expects <table>");
    expect(compileError("http-request", "track-sc1 src table nope")).toBe("'track-sc1': unknown stick-table 'nope'");
    const base = context();
    const noTable = context({ env: { ...base.env, ownTable: undefined } });
    expect(compileError("http-request", "track-sc2 src", noTable)).toBe(
      "'track-sc2': no stick-table to track in (this proxy declares none; add 'table <name>')",
    );
    expect(compileError("http-request", "track-sc0 bad")).toBe("'track-sc0' <key>: unknown fetch 'bad'");
    expect(compileError("http-request", "sc-inc-gpc0(3)")).toBe("'sc-inc-gpc0': invalid stick counter '3' (expected 0, 1 or 2)");
    const refusing = context({ track: () => "table 'own' stores no counter for this key type" });
    expect(compileError("http-request", "track-sc0 src", refusing)).toBe("'track-sc0': table 'own' stores no counter for this key type");
  });
});
