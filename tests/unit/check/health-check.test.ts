// Active checks on the virtual clock: HAProxy's health counter (a server
// starts UP at `rise`, a first failure takes it DOWN; `rise` successes bring
// it back, `fall` failures take a fully healthy one down), the interval by
// state (inter, fastinter, downinter), the spread of first checks, the
// timeouts (inter, or timeout connect / timeout check), the in-flight bound,
// the three kinds of check and the log lines, word for word.
import { describe, expect, test } from "bun:test";
import { setup } from "./fake-net.ts";

const OK_500 = { answer: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n" };
const OK_200 = { answer: "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nhealthy" };

describe("the health counter", () => {
  test("a server starts UP at rise: the first failed check takes it DOWN, as HAProxy", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check\n");
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").state.op).toBe("DOWN");
    expect(t.server("a").usable).toBe(false);
    expect(t.lines).toEqual([
      'Server be/a is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      "backend 'be' has no server available!",
    ]);
  });

  test("rise successes bring it UP; downinter while fully DOWN, fastinter while rising, inter once UP", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1s fastinter 200ms downinter 5s rise 2 fall 3\n");
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").state.op).toBe("DOWN");
    t.net.ports.set(1001, "silent");
    // A TCP check passes once connected: "silent" is enough.
    await t.net.clock.advance(5000);
    expect(t.server("a").state.op).toBe("DOWN");
    expect(t.server("a").state.health).toBe(1);
    await t.net.clock.advance(200);
    expect(t.server("a").state.op).toBe("UP");
    expect(t.server("a").upSince).toBe(5201);
    await t.net.clock.advance(1000);
    expect(t.net.times(1001)).toEqual([1, 5001, 5201, 6201]);
    expect(t.lines.at(-1)).toBe(
      "Server be/a is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    );
    expect(t.server("a").state.downtime(t.net.clock.now())).toBe(5200);
  });

  test("fall failures take a fully healthy server DOWN, at fastinter between them", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1s fastinter 200ms downinter 5s rise 2 fall 3\n");
    t.net.ports.set(1001, "silent");
    t.checks.start();
    await t.net.clock.advance(1);
    const state = t.server("a").state;
    expect(state.full).toBe(true);
    expect(state.upSince).toBe(-1);
    t.net.ports.set(1001, "refuse");
    await t.net.clock.advance(1000);
    expect(state.op).toBe("UP");
    await t.net.clock.advance(200);
    expect(state.op).toBe("UP");
    await t.net.clock.advance(200);
    expect(state.op).toBe("DOWN");
    await t.net.clock.advance(5000);
    expect(t.net.times(1001)).toEqual([1, 1001, 1201, 1401, 6401]);
    expect({ checks: state.checks, fails: state.fails, downs: state.downs }).toEqual({ checks: 5, fails: 3, downs: 1 });
    expect(t.lines.filter((l) => l.includes(" is DOWN"))).toHaveLength(1);
  });
});

describe("schedule", () => {
  test("first checks are spread over the shortest interval, one offset per server", async () => {
    const t = setup(`backend be
    server a 127.0.0.1:1001 check inter 2s
    server b 127.0.0.1:1002 check inter 2s
    server c 127.0.0.1:1003 check inter 4s
    server d 127.0.0.1:1004 check inter 2s
    server e 127.0.0.1:1005
`);
    for (const p of [1001, 1002, 1003, 1004]) t.net.ports.set(p, "silent");
    expect(t.checks.offsets()).toEqual([0, 500, 1000, 1500]);
    t.checks.start();
    await t.net.clock.advance(1999);
    expect(t.net.attempts.map((a) => [a.port, a.at])).toEqual([[1001, 1], [1002, 500], [1003, 1000], [1004, 1500]]);
  });

  test("max-spread-checks: the first checks spread over it when it is shorter than the shortest interval", async () => {
    const servers = `backend be
    server a 127.0.0.1:1001 check inter 10s
    server b 127.0.0.1:1002 check inter 10s
    server c 127.0.0.1:1003 check inter 10s
    server d 127.0.0.1:1004 check inter 10s
`;
    expect(setup(servers).checks.offsets()).toEqual([0, 2500, 5000, 7500]);
    const t = setup(servers, "    max-spread-checks 2s");
    expect(t.checks.offsets()).toEqual([0, 500, 1000, 1500]);
    for (const p of [1001, 1002, 1003, 1004]) t.net.ports.set(p, "silent");
    t.checks.start();
    await t.net.clock.advance(1999);
    expect(t.net.attempts.map((a) => [a.port, a.at])).toEqual([[1001, 1], [1002, 500], [1003, 1000], [1004, 1500]]);
    // Longer than the interval: the interval still bounds the spread.
    expect(setup(servers, "    max-spread-checks 1m").checks.offsets()).toEqual([0, 2500, 5000, 7500]);
  });

  test("tune.max-checks-per-thread bounds the checks in flight; the others wait their turn", async () => {
    const servers = [1, 2, 3, 4, 5].map((i) => `    server s${i} 127.0.0.1:100${i} check inter 1s\n`).join("");
    const t = setup(`backend be\n${servers}`, "    tune.max-checks-per-thread 2");
    for (let i = 1; i <= 5; i++) t.net.ports.set(1000 + i, "hang");
    t.checks.start();
    let most = 0;
    for (let ms = 0; ms < 3000; ms += 100) {
      await t.net.clock.advance(100);
      most = Math.max(most, t.checks.limiter.inFlight);
    }
    expect(most).toBe(2);
    // Two at once, each bounded by inter: the third starts when the first times out.
    expect(t.net.attempts.slice(0, 3).map((a) => a.at)).toEqual([1, 200, 1001]);
  });

  test("stop during a check: its connection and timer go at once", async () => {
    const t = setup("backend be\n    option httpchk\n    server a 127.0.0.1:1001 check inter 1s\n");
    t.net.ports.set(1001, "silent");
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.open).toBe(1);
    expect(t.checks.limiter.inFlight).toBe(1);
    t.checks.stop();
    expect(t.net.open).toBe(0);
    expect(t.checks.limiter.inFlight).toBe(0);
    await t.net.clock.advance(10_000);
    expect(t.net.clock.pendingTimers).toBe(0);
  });

  test("stop: no check runs any more", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1s\n");
    t.checks.start();
    await t.net.clock.advance(1);
    t.checks.stop();
    await t.net.clock.advance(10_000);
    expect(t.net.times(1001)).toEqual([1]);
  });
});

describe("timeouts", () => {
  test("without timeout check, inter bounds the connect: Layer4 timeout", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1500ms\n");
    t.net.ports.set(1001, "hang");
    t.checks.start();
    await t.net.clock.advance(1501);
    expect(t.lines[0]).toBe(
      "Server be/a is DOWN, reason: Layer4 timeout, check duration: 1500ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
    );
  });

  test("with timeout check, the connect is bounded by min(timeout connect, inter)", async () => {
    const t = setup("backend be\n    timeout connect 200ms\n    timeout check 300ms\n    server a 127.0.0.1:1001 check inter 1s\n");
    t.net.ports.set(1001, "hang");
    t.checks.start();
    await t.net.clock.advance(1000);
    expect(t.lines[0]).toContain("reason: Layer4 timeout, check duration: 200ms.");
  });

  test("with timeout check, an answer that does not come: Layer7 timeout after it", async () => {
    const t = setup("backend be\n    option httpchk\n    timeout check 300ms\n    server a 127.0.0.1:1001 check inter 2s\n");
    t.net.ports.set(1001, "silent");
    t.checks.start();
    await t.net.clock.advance(1000);
    expect(t.lines[0]).toContain("reason: Layer7 timeout, check duration: 300ms.");
  });
});

describe("HTTP checks", () => {
  test("option httpchk alone: OPTIONS / HTTP/1.0; a 500 is a wrong status", async () => {
    const t = setup("backend be\n    option httpchk\n    server a 127.0.0.1:1001 check\n    server b 127.0.0.1:1002\n");
    t.net.ports.set(1001, OK_500);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.sockets[0]!.sent).toBe("OPTIONS / HTTP/1.0\r\n\r\n");
    expect(t.lines).toEqual([
      'Server be/a is DOWN, reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ]);
    t.net.ports.set(1001, OK_200);
    await t.net.clock.advance(4000);
    expect(t.lines.at(-1)).toBe(
      'Server be/a is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    );
  });

  test("option httpchk METH URI VER, then http-check send changes it and adds headers", async () => {
    const t = setup(`backend be
    option httpchk HEAD /ping HTTP/1.1
    http-check send meth GET uri /health hdr Host api.example
    server a 127.0.0.1:1001 check
`);
    t.net.ports.set(1001, OK_200);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.sockets[0]!.sent).toBe("GET /health HTTP/1.1\r\nhost: api.example\r\nconnection: close\r\n\r\n");
    expect(t.server("a").state.last).toEqual({ status: "L7OK", code: 200, info: "", durationMs: 0 });
  });

  const expectations: [string, { answer: string }, "UP" | "DOWN", string][] = [
    ["expect status 200", OK_200, "UP", "L7OK"],
    ["expect status 200-299,301", OK_500, "DOWN", "L7STS"],
    ["expect ! status 500", OK_500, "DOWN", "L7STS"],
    ["expect rstatus ^5", OK_500, "UP", "L7OK"],
    ["expect string healthy", OK_200, "UP", "L7OK"],
    ["expect string sick", OK_200, "DOWN", "L7RSP"],
    ["expect ! string sick", OK_200, "UP", "L7OK"],
    ["expect rstring ^heal", OK_200, "UP", "L7OK"],
    ["expect ! rstring ^heal", OK_200, "DOWN", "L7RSP"],
  ];
  for (const [rule, answer, op, status] of expectations) {
    test(`http-check ${rule}: ${op} (${status})`, async () => {
      const t = setup(`backend be\n    option httpchk GET /\n    http-check ${rule}\n    server a 127.0.0.1:1001 check\n`);
      t.net.ports.set(1001, answer);
      t.checks.start();
      await t.net.clock.advance(1);
      expect<string[]>([t.server("a").state.op, t.server("a").state.last!.status]).toEqual([op, status]);
    });
  }

  test("a chunked body is read whole for expect string", async () => {
    const t = setup("backend be\n    option httpchk GET /\n    http-check expect string world\n    server a 127.0.0.1:1001 check\n");
    t.net.ports.set(1001, { answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").state.last?.status).toBe("L7OK");
  });

  test("an answer that is not HTTP: Layer7 invalid response", async () => {
    const t = setup("backend be\n    option httpchk\n    server a 127.0.0.1:1001 check\n");
    t.net.ports.set(1001, { answer: "SSH-2.0-OpenSSH\r\n\r\n" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.lines[0]).toContain('reason: Layer7 invalid response, info: "Invalid HTTP response"');
  });
});

describe("tcp-check", () => {
  const cfg = `backend be
    mode tcp
    option tcp-check
    tcp-check connect
    tcp-check send "PING\\r\\n"
    tcp-check expect string +PONG
    server a 127.0.0.1:1001 check
`;
  test("send, then expect string: the answer matches, the server stays UP", async () => {
    const t = setup(cfg);
    t.net.ports.set(1001, { answer: "+PONG\r\n" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.sockets[0]!.sent).toBe("PING\r\n");
    expect(t.server("a").state.last).toEqual({ status: "L7OK", code: 0, info: "(tcp-check)", durationMs: 0 });
    expect(t.server("a").state.op).toBe("UP");
  });

  test("another answer: DOWN, and the log names the step", async () => {
    const t = setup(cfg);
    t.net.ports.set(1001, { answer: "-ERR\r\n" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.lines[0]).toStartWith(
      `Server be/a is DOWN, reason: Layer7 invalid response, info: "TCPCHK did not match content '+PONG' at step 3", check duration: 0ms.`,
    );
  });

  test("a refused connect names its step, as HAProxy", async () => {
    const implicit = setup("backend be\n    mode tcp\n    option tcp-check\n    tcp-check send PING\n    server a 127.0.0.1:1001 check\n");
    implicit.checks.start();
    await implicit.net.clock.advance(1);
    expect(implicit.lines[0]).toContain('info: "Connection refused at initial connection step of tcp-check"');
    const explicit = setup("backend be\n    mode tcp\n    option tcp-check\n    tcp-check connect port 2002\n    server a 127.0.0.1:1001 check\n");
    explicit.checks.start();
    await explicit.net.clock.advance(1);
    expect(explicit.lines[0]).toContain('info: "Connection refused at step 1 of tcp-check (connect port 2002)"');
  });

  test("an expect that waits past inter: Layer7 timeout naming the step", async () => {
    const t = setup(cfg.replace("1001 check\n", "1001 check inter 500ms\n"));
    t.net.ports.set(1001, "silent");
    t.checks.start();
    await t.net.clock.advance(501);
    expect(t.lines[0]).toStartWith(
      `Server be/a is DOWN, reason: Layer7 timeout, info: " at step 3 of tcp-check (expect string '+PONG')", check duration: 500ms.`,
    );
  });

  test("tcp-check connect port N: the check goes to that port", async () => {
    const t = setup("backend be\n    mode tcp\n    option tcp-check\n    tcp-check connect port 2002\n    server a 127.0.0.1:1001 check\n");
    t.net.ports.set(2002, "silent");
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.attempts.map((a) => a.port)).toEqual([2002]);
    expect(t.server("a").state.last?.status).toBe("L4OK");
  });
});

describe("where checks go", () => {
  test("port and addr move the check; check-send-proxy starts it with PROXY UNKNOWN", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check port 2001 addr 127.0.0.9 check-send-proxy\n");
    t.net.ports.set(2001, "silent");
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.attempts).toEqual([{ at: 1, port: 2001, host: "127.0.0.9", tls: undefined }]);
    expect(t.net.sockets[0]!.sent).toBe("PROXY UNKNOWN\r\n");
  });

  test("send-proxy on the server covers its checks, unless they go to another port", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check send-proxy\n    server b 127.0.0.1:1002 check send-proxy port 2002\n");
    t.net.ports.set(1001, "silent");
    t.net.ports.set(2002, "silent");
    t.checks.start();
    await t.net.clock.advance(1000);
    expect(t.net.sockets.map((s) => [s.remotePort, s.sent])).toEqual([[1001, "PROXY UNKNOWN\r\n"], [2002, ""]]);
  });

  test("TLS checks: a server with ssl is checked with its TLS options (SNI, verification) but no h2 in ALPN; check-ssl at another port too", async () => {
    const t = setup(
      "backend be\n    option httpchk GET /health\n" +
        "    server a 127.0.0.1:1001 check ssl verify none sni str(a.test) alpn h2,http/1.1\n" +
        "    server b 127.0.0.1:1002 check port 2002 ssl verify none\n" +
        "    server c 127.0.0.1:1003 check port 2003 check-ssl ssl verify none sni str(c.test)\n",
    );
    for (const port of [1001, 2002, 2003]) t.net.ports.set(port, { answer: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" });
    t.checks.start();
    // The three first checks are spread over inter (2s).
    await t.net.clock.advance(2000);
    const tlsOf = (port: number) => t.net.attempts.find((a) => a.port === port)?.tls;
    const sessions = expect.any(Object);
    expect(tlsOf(1001)).toEqual({ servername: "a.test", verify: false, alpn: ["http/1.1"], tickets: true, sessions });
    expect(tlsOf(2002)).toBeUndefined();
    expect(tlsOf(2003)).toEqual({ servername: "c.test", verify: false, alpn: [], tickets: true, sessions });
    expect(t.net.sockets.find((s) => s.remotePort === 1001)!.sent).toStartWith("GET /health HTTP/1.0\r\n");
    expect(t.lines).toEqual([]);
  });

  test("checks go to the address found at start (init-addr), and a server left without one (init-addr none) is not checked", async () => {
    const t = setup("backend be\n    server a app.internal:1001 check init-addr libc\n    server b gone.internal:1002 check init-addr none\n");
    // What resolveServers does at start: a found address, and none.
    t.server("a").address = "10.1.2.3";
    t.server("b").address = "";
    t.checks.start();
    await t.net.clock.advance(5000);
    expect(new Set(t.net.attempts.map((a) => `${a.host}:${a.port}`))).toEqual(new Set(["10.1.2.3:1001"]));
  });

  test("a failed TLS handshake: Layer6 invalid response, SSL handshake failure with the reason, as HAProxy", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check ssl verify required\n");
    t.net.ports.set(1001, "tls-fail");
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").state.last?.status).toBe("L6RSP");
    expect(t.lines[0]).toBe(
      'Server be/a is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure (certificate not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE)", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    );
  });
});

describe("spread-checks", () => {
  test("each next interval moves by up to N % either way, drawn at random (HAProxy's process_chk)", async () => {
    // The randomness fixed at its two ends: +N % (draw 0) and about -N % (draw just under 1).
    for (const [draw, gap] of [[0, 1500], [0.9999, 501]] as const) {
      const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1s downinter 1s fall 1\n", "    spread-checks 50", () => draw);
      t.checks.start();
      await t.net.clock.advance(1);
      await t.net.clock.advance(4000);
      const times = t.net.times(1001);
      expect(times.length).toBeGreaterThan(1);
      expect(times[1]! - times[0]!).toBe(gap);
      t.checks.stop();
    }
  });

  test("0 to 50 only", () => {
    expect(() => setup("backend be\n    server a 127.0.0.1:1001 check\n", "    spread-checks 51")).toThrow("spread-checks 51 is out of range (0-50)");
  });
});
