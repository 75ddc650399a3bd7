// Rules end to end (issue 15): the real proxy under each target, real
// clients (curl over HTTP/1.1 and HTTP/2, openssl s_client for SNI routing)
// and real servers in this process that record what they were sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type net from "node:net";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, tcpBackend, type Backend, waitFor } from "./harness.ts";

interface Seen {
  name: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** An HTTP server that answers with its name and records what it got. */
async function named(name: string, seen: Seen[]): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ name, url: req.url!, headers: req.headers });
    res.setHeader("server", "hidden/1.0");
    res.end(`${name} ${req.url}\n`);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function curl(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = Bun.spawn(["curl", "-sS", "-i", "--max-time", "10", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { code, out: out.replace(/\r\n/g, "\n") };
}

for (const target of selectedTargets()) {
  describe(`rules (${target.name})`, () => {
    const seen: Seen[] = [];
    let web: Awaited<ReturnType<typeof named>>;
    let api: Awaited<ReturnType<typeof named>>;
    let sluice: Run;
    let port = 0;
    let h2port = 0;

    beforeAll(async () => {
      web = await named("web", seen);
      api = await named("api", seen);
      port = await freePort();
      do h2port = await freePort(); while (h2port === port);
      sluice = await startSluice(target, `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${h2port} proto h2
    acl is_api path_beg /api/
    http-request deny deny_status 403 if { path_beg /admin/ } !{ src 10.0.0.0/8 }
    http-request redirect location /new%[path,regsub(^/old,)] code 308 if { path_beg /old/ }
    http-request return status 200 content-type text/plain string "pong\\n" if { path /ping }
    http-request set-header X-Client %[src]
    http-request set-path /v2%[path] if is_api
    use_backend api if { path_beg /v2/api/ } || { hdr(host) -i api.example.test }
    http-response del-header Server
    http-after-response set-header X-Edge sluice
    default_backend web

backend web
    server w1 127.0.0.1:${web.port}

backend api
    http-request add-header X-Backend api
    http-response set-header X-Api yes
    server a1 127.0.0.1:${api.port}
`);
    });

    afterAll(async () => {
      await stopSluice(sluice);
      await web.close();
      await api.close();
    });

    for (const proto of ["http/1.1", "h2"] as const) {
      const url = (path: string) => (proto === "h2" ? [`--http2-prior-knowledge`, `http://127.0.0.1:${h2port}${path}`] : [`--http1.1`, `http://127.0.0.1:${port}${path}`]);

      test(`${proto}: path and host routing, rewrites seen by the server, response rules`, async () => {
        seen.length = 0;
        const a = await curl(url("/api/items?x=1"));
        expect(a.out).toContain("api /v2/api/items?x=1");
        expect(a.out.toLowerCase()).toContain("x-api: yes");
        expect(a.out.toLowerCase()).toContain("x-edge: sluice");
        expect(a.out.toLowerCase()).not.toContain("hidden/1.0");
        const h = await curl([...url("/page"), "-H", "Host: API.example.test"]);
        expect(h.out).toContain("api /page");
        const w = await curl(url("/page"));
        expect(w.out).toContain("web /page");
        expect(seen.map((s) => s.name)).toEqual(["api", "api", "web"]);
        expect(seen[0]!.headers["x-client"]).toBe("127.0.0.1");
        expect(seen[0]!.headers["x-backend"]).toBe("api");
        expect(seen[2]!.headers["x-backend"]).toBeUndefined();
      });

      test(`${proto}: deny, redirect and return answered by sluice itself`, async () => {
        seen.length = 0;
        const d = await curl(url("/admin/x"));
        expect(d.out).toMatch(/^HTTP\/[12](\.1)? 403/);
        expect(d.out.toLowerCase()).toContain("x-edge: sluice");
        const r = await curl(url("/old/page"));
        expect(r.out).toMatch(/^HTTP\/[12](\.1)? 308/);
        expect(r.out.toLowerCase()).toContain("location: /new/page");
        const p = await curl(url("/ping"));
        expect(p.out).toMatch(/^HTTP\/[12](\.1)? 200/);
        expect(p.out).toEndWith("pong\n");
        expect(seen).toEqual([]);
      });
    }
  });

  describe(`tcp-request and SNI routing (${target.name})`, () => {
    let a: Backend;
    let b: Backend;
    let sluice: Run;
    let port = 0;
    const got: string[] = [];

    beforeAll(async () => {
      // The backends see the ClientHello (TLS is not terminated) and answer their name.
      a = await tcpBackend((s) => s.once("data", () => (got.push("a"), s.end("a\n"))));
      b = await tcpBackend((s) => s.once("data", () => (got.push("b"), s.end("b\n"))));
      port = await freePort();
      sluice = await startSluice(target, `defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend tls_in
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 3s
    tcp-request content reject if { req.len gt 0 } !{ req.ssl_sni -m found }
    tcp-request content accept if { req.ssl_sni -m found }
    use_backend a if { req.ssl_sni -i a.example.test }
    default_backend b

backend a
    server a1 127.0.0.1:${a.port}
backend b
    server b1 127.0.0.1:${b.port}
`);
    });

    afterAll(async () => {
      await stopSluice(sluice);
      await a.close();
      await b.close();
    });

    test("openssl s_client's SNI picks the backend; a non-TLS client is rejected", async () => {
      for (const name of ["a.example.test", "other.example.test"]) {
        const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", name], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
        await proc.exited;
      }
      expect(got).toEqual(["a", "b"]);
      const plain = await curl([`http://127.0.0.1:${port}/`]);
      expect(plain.code).not.toBe(0);
      expect(got).toEqual(["a", "b"]);
    });
  });

  describe(`captures in the log line (${target.name})`, () => {
    const seen: Seen[] = [];
    let web: Awaited<ReturnType<typeof named>>;
    let sluice: Run;
    let port = 0;

    beforeAll(async () => {
      web = await named("web", seen);
      port = await freePort();
      sluice = await startSluice(target, `global
    log stderr
defaults
    mode http
    option httplog
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${port}
    capture request header Host len 12
    capture response header Server len 6
    http-request capture req.hdr(user-agent),lower len 8
    http-request set-log-level silent if { path /quiet }
    http-request deny if { path /fdeny }
    http-request return status 200 content-type text/plain string hi if { path /ret }
    http-request redirect location /x if { path /red }
    http-request tarpit if { path /tar }
    timeout tarpit 200ms
    default_backend web
backend web
    http-request deny if { path /bdeny }
    http-request set-var(txn.path) path
    http-response return status 201 if { var(txn.path) -m str /rret }
    server w1 127.0.0.1:${web.port}
`);
    });

    afterAll(async () => {
      await stopSluice(sluice);
      await web.close();
    });

    test("capture request/response header and http-request capture show as HAProxy's %hr %hs", async () => {
      await curl(["-H", "Host: www.example.test", "-A", "Curl-Test/1.0", `http://127.0.0.1:${port}/cap`]);
      await waitFor(() => sluice.errLines.some((l) => l.includes('"GET /cap HTTP/1.1"')), 3000, "log line");
      const line = sluice.errLines.find((l) => l.includes('"GET /cap HTTP/1.1"'))!;
      // Host cut to 12, the user agent lowered and cut to 8; the server's Server field cut to 6.
      expect(line).toContain(' {www.example.|curl-tes} {hidden} "GET /cap HTTP/1.1"');
    });

    test("a request the frontend denies is logged against the frontend (fe/<NOSRV>), one the backend denies against the backend, as HAProxy 2.6", async () => {
      await curl([`http://127.0.0.1:${port}/fdeny`]);
      await curl([`http://127.0.0.1:${port}/bdeny`]);
      await waitFor(() => sluice.errLines.some((l) => l.includes('"GET /bdeny HTTP/1.1"')), 3000, "log line");
      const front = sluice.errLines.find((l) => l.includes('"GET /fdeny HTTP/1.1"'))!;
      const back = sluice.errLines.find((l) => l.includes('"GET /bdeny HTTP/1.1"'))!;
      expect(front).toContain(" fe fe/<NOSRV> ");
      expect(front).toContain(" 403 ");
      expect(back).toContain(" fe web/<NOSRV> ");
    });

    test("termination states and times of sluice's own answers, as HAProxy 2.6 logs them: L for return/redirect, P for deny, no %Tr", async () => {
      for (const path of ["/fdeny", "/ret", "/red", "/rret"]) await curl([`http://127.0.0.1:${port}${path}`]);
      await waitFor(() => sluice.errLines.some((l) => l.includes('"GET /rret HTTP/1.1"')), 3000, "log line");
      const line = (path: string) => sluice.errLines.filter((l) => l.includes(`"GET ${path} HTTP/1.1"`)).at(-1)!;
      // %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc
      expect(line("/fdeny")).toMatch(/ fe fe\/<NOSRV> \d+\/-1\/-1\/-1\/\d+ 403 \d+ - - PR-- /);
      expect(line("/ret")).toMatch(/ fe fe\/<NOSRV> \d+\/-1\/-1\/-1\/\d+ 200 \d+ - - LR-- /);
      expect(line("/red")).toMatch(/ fe fe\/<NOSRV> \d+\/-1\/-1\/-1\/\d+ 302 \d+ - - LR-- /);
      // An http-response return replaces the server's answer: its time is not logged either.
      expect(line("/rret")).toMatch(/ fe web\/w1 \d+\/\d+\/\d+\/-1\/\d+ 201 \d+ - - LH-- /);
      // A tarpit's hold is logged as its time waited (%Tw), as HAProxy does.
      await curl([`http://127.0.0.1:${port}/tar`]);
      await waitFor(() => sluice.errLines.some((l) => l.includes('"GET /tar HTTP/1.1"')), 3000, "log line");
      const tarpit = / fe fe\/<NOSRV> -?\d+\/(\d+)\/-1\/-1\/\d+ 500 \d+ - - PT-- /.exec(line("/tar"));
      expect(tarpit).not.toBeNull();
      expect(Number(tarpit![1])).toBeGreaterThanOrEqual(195);
    });

    test("set-log-level silent leaves no line for that request", async () => {
      await curl([`http://127.0.0.1:${port}/quiet`]);
      await curl([`http://127.0.0.1:${port}/after`]);
      await waitFor(() => sluice.errLines.some((l) => l.includes('"GET /after HTTP/1.1"')), 3000, "log line");
      expect(sluice.errLines.some((l) => l.includes("/quiet"))).toBe(false);
    });
  });
}
