// Health checks against real servers that start failing and recover: an
// HTTP check that gets a wrong status, a TCP check refused, a tcp-check that
// expects a string. Once a server is logged DOWN, traffic goes to the others
// with no client error; once it is UP again, it takes traffic again; when
// every active server is DOWN, the backup takes over. The log lines are
// HAProxy's.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type Leaf, TestPki } from "../support/certs.ts";
import { exchange, freePort, type Run, selectedTargets, startSluice, stopSluice, tcpBackend, waitFor } from "./harness.ts";

/** An HTTP server that names itself; its /health answers `health.status`. */
async function namedHttp(name: string) {
  const health = { status: 200 };
  const srv = http.createServer((req, res) => {
    if (req.url === "/health") {
      res.statusCode = health.status;
      return res.end(health.status === 200 ? "ok" : "sick");
    }
    res.end(name);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { name, health, port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

/** The same over TLS (HTTP/1.1 only), with the certificate `leaf`; `checks` counts the /health requests (they came over TLS). */
async function namedHttps(name: string, leaf: Leaf) {
  const health = { status: 200 };
  const seen = { checks: 0 };
  const srv = https.createServer({ cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: ["http/1.1"] }, (req, res) => {
    if (req.url === "/health") {
      seen.checks++;
      res.statusCode = health.status;
      return res.end(health.status === 200 ? "ok" : "sick");
    }
    res.end(name);
  });
  srv.on("tlsClientError", () => {});
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { name, health, seen, port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

async function get(port: number): Promise<{ status: number; body: string }> {
  return await new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
  });
}

/** `n` requests one after the other: how many each server answered, and anything that was not a 200. */
async function spread(port: number, n: number): Promise<{ by: Record<string, number>; errors: number }> {
  const by: Record<string, number> = {};
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const r = await get(port);
    if (r.status !== 200) errors++;
    else by[r.body] = (by[r.body] ?? 0) + 1;
  }
  return { by, errors };
}

const HEAD = `defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
`;

for (const target of selectedTargets()) {
  describe(`health checks (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => unknown)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) await c();
    });
    const logged = (re: RegExp) => run!.errLines.filter((l) => re.test(l));

    test("HTTP check: a wrong status takes a server DOWN, traffic goes to the other with no error; back UP, it serves again", async () => {
      const a1 = await namedHttp("a1");
      const a2 = await namedHttp("a2");
      closers.push(a1.close, a2.close);
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    default_backend api
backend api
    option httpchk GET /health
    http-check expect status 200
    server a1 127.0.0.1:${a1.port} check inter 100ms rise 2 fall 2
    server a2 127.0.0.1:${a2.port} check inter 100ms rise 2 fall 2
`);
      expect((await spread(port, 10)).by).toEqual({ a1: 5, a2: 5 });
      a1.health.status = 500;
      await waitFor(() => logged(/Server api\/a1 is DOWN/).length === 1, 5000, "a1 DOWN");
      expect(logged(/Server api\/a1 is DOWN/)[0]).toMatch(
        /^Server api\/a1 is DOWN, reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$/,
      );
      expect(await spread(port, 10)).toEqual({ by: { a2: 10 }, errors: 0 });
      a1.health.status = 200;
      await waitFor(() => logged(/Server api\/a1 is UP/).length === 1, 5000, "a1 UP");
      expect(logged(/Server api\/a1 is UP/)[0]).toMatch(
        /^Server api\/a1 is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$/,
      );
      const back = await spread(port, 10);
      expect(back.errors).toBe(0);
      expect(back.by.a1! + back.by.a2!).toBe(10);
      expect(back.by.a1).toBeGreaterThanOrEqual(3);
    });

    test("TCP check: a refused server goes DOWN, connections go to the other; listening again, it comes back", async () => {
      const name = (n: string) => (s: import("node:net").Socket) => s.end(n);
      let a = await tcpBackend(name("a"));
      const b = await tcpBackend(name("b"));
      const aPort = a.port;
      closers.push(() => a.close(), () => b.close());
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode tcp
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server a 127.0.0.1:${aPort} check inter 100ms rise 2 fall 2
    server b 127.0.0.1:${b.port} check inter 100ms rise 2 fall 2
`);
      const names = async (n: number) => {
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push((await exchange(port, "", { end: false })).data.toString());
        return out.sort().join("");
      };
      expect(await names(4)).toBe("aabb");
      await a.close();
      await waitFor(() => logged(/Server be\/a is DOWN/).length === 1, 5000, "a DOWN");
      expect(logged(/Server be\/a is DOWN/)[0]).toMatch(
        /^Server be\/a is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 1 active and 0 backup servers left\./,
      );
      expect(await names(6)).toBe("bbbbbb");
      a = await tcpBackend(name("a"), aPort);
      await waitFor(() => logged(/Server be\/a is UP/).length === 1, 5000, "a UP");
      expect(logged(/Server be\/a is UP/)[0]).toMatch(/^Server be\/a is UP, reason: Layer4 check passed, check duration: \d+ms\. 2 active and 0 backup servers online\./);
      expect(await names(4)).toBe("aabb");
    });

    test("TLS checks: a server with ssl gets its HTTP check over TLS with its options; one whose certificate the CA did not sign fails the handshake (Layer6)", async () => {
      const pki = new TestPki();
      const a = await namedHttps("a", pki.leaf("srv", { names: ["srv.test"] }));
      const rogue = await namedHttps("rogue", pki.leaf("rogue", { names: ["srv.test"], selfSigned: true }));
      closers.push(a.close, rogue.close);
      const port = await freePort();
      const tls = `ssl verify required ca-file ${pki.caFile} sni str(srv.test)`;
      run = await startSluice(target, `${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    default_backend api
backend api
    option httpchk GET /health
    http-check expect status 200
    server a 127.0.0.1:${a.port} check inter 500ms rise 1 fall 1 ${tls}
    server rogue 127.0.0.1:${rogue.port} check inter 500ms rise 1 fall 1 ${tls}
`);
      await waitFor(() => logged(/Server api\/rogue is DOWN/).length === 1, 5000, "rogue DOWN");
      expect(logged(/Server api\/rogue is DOWN/)[0]).toMatch(
        /^Server api\/rogue is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure[^"]*", check duration: \d+ms\. 1 active and 0 backup servers left\./,
      );
      // a's checks pass over TLS (a plain HTTP check could not reach /health on an HTTPS port).
      await waitFor(() => a.seen.checks >= 2, 5000, "checks of a over TLS");
      expect(logged(/Server api\/a is DOWN/)).toEqual([]);
      expect(await spread(port, 6)).toEqual({ by: { a: 6 }, errors: 0 });
      a.health.status = 500;
      await waitFor(() => logged(/Server api\/a is DOWN/).length === 1, 5000, "a DOWN");
      expect(logged(/Server api\/a is DOWN/)[0]).toMatch(/^Server api\/a is DOWN, reason: Layer7 wrong status, code: 500, /);
    });

    test("tcp-check send/expect string: a server answering otherwise goes DOWN, and UP again when it answers right", async () => {
      const answer = { text: "+PONG\r\n" };
      const pinged = (name: string) => (s: import("node:net").Socket) => {
        s.once("data", (d) => {
          if (d.toString() === "PING\r\n") s.end(answer.text);
          else s.end(name);
        });
      };
      const a = await tcpBackend(pinged("a"));
      const b = await tcpBackend(pinged("b"));
      closers.push(() => a.close(), () => b.close());
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode tcp
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    option tcp-check
    tcp-check send PING\\r\\n
    tcp-check expect string +PONG
    server a 127.0.0.1:${a.port} check inter 100ms rise 2 fall 2
    server b 127.0.0.1:${b.port} check inter 100ms rise 2 fall 2 backup
`);
      answer.text = "-ERR\r\n";
      await waitFor(() => logged(/Server be\/b is DOWN/).length === 1, 5000, "a and b DOWN");
      await waitFor(() => logged(/no server available/).length === 1, 5000, "the no-server line");
      expect(logged(/Server be\/a is DOWN/)[0]).toMatch(
        /^Server be\/a is DOWN, reason: Layer7 invalid response, info: "TCPCHK did not match content '\+PONG' at step 2", check duration: \d+ms\. 0 active and [01] backup servers left\./,
      );
      expect(logged(/no server available/)).toEqual(["backend 'be' has no server available!"]);
      answer.text = "+PONG\r\n";
      await waitFor(() => logged(/Server be\/a is UP/).length === 1, 5000, "a UP");
      expect(logged(/Server be\/a is UP/)[0]).toMatch(/^Server be\/a is UP, reason: Layer7 check passed, code: 0, info: "\(tcp-check\)", check duration: \d+ms\./);
      const r = await exchange(port, "hello", { end: false });
      expect(r.data.toString()).toBe("a");
    });

    test("backup takeover: when every active server is DOWN the backup serves, with no client error", async () => {
      const a1 = await namedHttp("a1");
      const a2 = await namedHttp("a2");
      const b1 = await namedHttp("b1");
      closers.push(a1.close, a2.close, b1.close);
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    default_backend api
backend api
    option httpchk GET /health
    server a1 127.0.0.1:${a1.port} check inter 100ms rise 1 fall 1
    server a2 127.0.0.1:${a2.port} check inter 100ms rise 1 fall 1
    server b1 127.0.0.1:${b1.port} check inter 100ms backup
`);
      expect((await spread(port, 4)).by).toEqual({ a1: 2, a2: 2 });
      a1.health.status = 503;
      a2.health.status = 503;
      await waitFor(() => logged(/Server api\/a[12] is DOWN/).length === 2, 5000, "a1 and a2 DOWN");
      expect(logged(/Server api\/a[12] is DOWN/).map((l) => /servers left/.test(l) && /(\d) active and (\d) backup/.exec(l)!.slice(1).join("/")).sort()).toEqual(["0/1", "1/1"]);
      expect(await spread(port, 6)).toEqual({ by: { b1: 6 }, errors: 0 });
      expect(logged(/no server available/)).toEqual([]);
      a2.health.status = 200;
      await waitFor(() => logged(/Server api\/a2 is UP/).length === 1, 5000, "a2 UP");
      expect(await spread(port, 4)).toEqual({ by: { a2: 4 }, errors: 0 });
    });
    test("passive checks: 5xx answers take servers DOWN (mark-down, fail-check), the same lines and codes as HAProxy 2.6", async () => {
      const srv = http.createServer((_req, res) => {
        res.statusCode = 500;
        res.end("no");
      });
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      closers.push(() => srv.close());
      const p = (srv.address() as AddressInfo).port;
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    default_backend api
backend api
    server a1 127.0.0.1:${p} check inter 10s observe layer7 error-limit 3 on-error mark-down
    server a2 127.0.0.1:${p} check inter 10s observe layer7 error-limit 2 on-error fail-check
`);
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await get(port)).status);
      // Measured with HAProxy 2.6 on the same configuration: a2 (not checked yet, at rise) falls at its
      // 2nd error, a1 at its 3rd, then no server is left.
      expect(codes).toEqual([500, 500, 500, 500, 500, 503]);
      await waitFor(() => logged(/no server available/).length === 1, 3000, "the no-server line");
      expect(logged(/^Server api|^backend/)).toEqual([
        'Server api/a2 is DOWN, reason: Health analyze, info: "Detected 2 consecutive errors, last one was: Wrong http response". 1 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.',
        'Server api/a1 is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: Wrong http response". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.',
        "backend 'api' has no server available!",
      ]);
    });
  });
}
