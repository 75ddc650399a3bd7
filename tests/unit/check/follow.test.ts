// A worker of a master that does not check (issue 16): worker 1's checks
// decide, this process follows. Its checks never run; each verdict it hears
// moves its server as a check of its own would, and its own check verdicts
// are what a checker tells (onVerdict).
import { describe, expect, test } from "bun:test";
import { setup } from "./fake-net.ts";
import type { ServerVerdict } from "../../../src/check/checks.ts";

const refused = { status: "L4CON", info: "Connection refused", durationMs: 0 } as const;
const passed = { status: "L4OK", info: "", durationMs: 1 } as const;

describe("following another process's checks", () => {
  test("stopped checks never run; a DOWN verdict takes the server out, an UP one puts it back, each logged once", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 100ms\n    server b 127.0.0.1:1002 check inter 100ms\n");
    t.checks.stop();
    await t.net.clock.advance(1000);
    expect(t.server("a").state.checks).toBe(0);
    expect(t.checks.follow({ backend: "be", server: "a", op: "DOWN", result: refused })).toBe(true);
    expect(t.server("a").usable).toBe(false);
    expect(t.server("a").state.health).toBe(0);
    // The same verdict again changes nothing and logs nothing.
    t.checks.follow({ backend: "be", server: "a", op: "DOWN", result: refused });
    expect(t.checks.follow({ backend: "be", server: "a", op: "UP", result: passed })).toBe(true);
    expect(t.server("a").usable).toBe(true);
    expect(t.server("a").state.full).toBe(true);
    expect(t.lines.map((l) => l.slice(0, 20))).toEqual(["Server be/a is DOWN,", "Server be/a is UP, r"]);
    expect(t.checks.follow({ backend: "be", server: "nope", op: "DOWN", result: refused })).toBe(false);
    await t.net.clock.advance(1000);
    expect(t.server("a").state.checks).toBe(0);
  });

  test("a checker tells each change of state its checks decide, and only those", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 100ms\n");
    const told: ServerVerdict[] = [];
    t.checks.onVerdict = (v) => told.push(v);
    t.checks.start();
    await t.net.clock.advance(1000);
    expect(told.map((v) => [v.backend, v.server, v.op, v.result.status])).toEqual([["be", "a", "DOWN", "L4CON"]]);
  });

  test("NOLB (disable-on-404) is told and followed: out of the balancer, still running; UP puts it back", async () => {
    const notFound = { status: "L7OKC", code: 404, info: "", durationMs: 0 } as const;
    const t = setup("backend be\n    option httpchk GET /\n    http-check disable-on-404\n    server a 127.0.0.1:1001 check inter 100ms\n");
    const told: ServerVerdict[] = [];
    t.checks.onVerdict = (v) => told.push(v);
    t.net.ports.set(1001, { answer: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(told.map((v) => [v.op, v.result.status])).toEqual([["NOLB", "L7OKC"]]);
    const f = setup("backend be\n    option httpchk GET /\n    http-check disable-on-404\n    server a 127.0.0.1:1001 check inter 100ms\n");
    f.checks.stop();
    f.checks.follow({ backend: "be", server: "a", op: "NOLB", result: notFound });
    expect([f.server("a").usable, f.server("a").running]).toEqual([false, true]);
    f.checks.follow({ backend: "be", server: "a", op: "UP", result: passed });
    expect(f.server("a").usable).toBe(true);
    expect(f.lines.map((l) => l.slice(0, 25))).toEqual(["Server be/a is stopping, ", "Server be/a is UP, reason"]);
  });
});
