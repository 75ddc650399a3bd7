// `http-check disable-on-404` and `http-check send-state` on the virtual
// clock: a 404 puts an UP server in NOLB (out of the balancer, still serving
// what names it), a 200 puts it back, with HAProxy 2.6's lines (compared with
// a real haproxy -db); each check request says the server's state.
import { describe, expect, test } from "bun:test";
import { serverStatus } from "../../../src/stats/proxy-source.ts";
import { setup } from "./fake-net.ts";

const NOT_FOUND = { answer: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" };
const OK_200 = { answer: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" };

describe("http-check disable-on-404", () => {
  test("a 404 puts an UP server in NOLB: not usable, still running; a 200 brings it back", async () => {
    const t = setup(`backend be
    option httpchk GET /health
    http-check disable-on-404
    server a 127.0.0.1:1001 check inter 1s
    server b 127.0.0.1:1002
`);
    t.net.ports.set(1001, NOT_FOUND);
    t.checks.start();
    await t.net.clock.advance(1);
    const a = t.server("a");
    expect(a.state.last).toEqual({ status: "L7OKC", code: 404, info: "", durationMs: 0 });
    expect([a.state.op, a.state.stopping, a.usable, a.running]).toEqual(["UP", true, false, true]);
    expect(serverStatus(a, true)).toBe("NOLB");
    expect(t.lines).toEqual([
      "Server be/a is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    ]);
    // More 404s: nothing new.
    await t.net.clock.advance(1000);
    expect(t.lines.length).toBe(1);
    t.net.ports.set(1001, OK_200);
    await t.net.clock.advance(1000);
    expect([a.state.stopping, a.usable]).toEqual([false, true]);
    expect(serverStatus(a, true)).toBe("UP");
    expect(t.lines.at(-1)).toBe(
      "Server be/a is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    );
  });

  test("with log-health-checks: 'conditionally succeeded', and the transition line without its reason (haproxy -db's words)", async () => {
    const t = setup(`backend be
    option httpchk GET /health
    option log-health-checks
    http-check disable-on-404
    http-check expect status 200
    server a 127.0.0.1:1001 check inter 1s
`);
    t.net.ports.set(1001, NOT_FOUND);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.lines).toEqual([
      "Health check for server be/a conditionally succeeded, reason: Layer7 check conditionally passed, code: 404, check duration: 0ms, status: 3/3 UP.",
      "Server be/a is stopping. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    ]);
  });

  test("a DOWN server answering 404 counts up, and comes back in NOLB", async () => {
    const t = setup(`backend be
    option httpchk GET /health
    http-check disable-on-404
    server a 127.0.0.1:1001 check inter 1s rise 1
`);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").state.op).toBe("DOWN");
    t.net.ports.set(1001, NOT_FOUND);
    await t.net.clock.advance(1000);
    expect([t.server("a").state.op, t.server("a").state.stopping, t.server("a").usable]).toEqual(["UP", true, false]);
  });
});

describe("http-check send-state", () => {
  test("each request carries x-haproxy-server-state after the configured fields (HAProxy 2.6's layout), with HAProxy's fields", async () => {
    const t = setup(`backend bck
    option httpchk GET /health
    http-check send-state
    http-check send hdr Host api.example
    server srv2 127.0.0.1:1001 check inter 1s weight 3
    server srv3 127.0.0.1:1002 weight 1
`);
    t.net.ports.set(1001, OK_200);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.sockets[0]!.sent).toBe(
      "GET /health HTTP/1.0\r\nhost: api.example\r\nx-haproxy-server-state: UP 1/3; address=127.0.0.1; port=1001; name=bck/srv2; node=lb1; weight=3/4; scur=0/0; qcur=0\r\n\r\n",
    );
    await t.net.clock.advance(1000);
    expect(t.net.sockets[1]!.sent).toContain("x-haproxy-server-state: UP; address=127.0.0.1;");
  });
});
