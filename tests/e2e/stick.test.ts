// Stick tables over real sockets (issue 15), the same configuration run by
// HAProxy 2.6 (Debian's) and by sluice under each target, with the same
// answers expected from both:
//  - the per-IP rate limit (`track-sc0 src`, `deny deny_status 429 if {
//    sc_http_req_rate(0) gt 20 }`): which requests of a burst pass, with curl
//    on one kept connection and with a new connection per request, and what
//    the entry counted (requests, connections, errors) as another frontend
//    reads it with src_* fetches;
//  - the same over HTTP/2, where every stream of one connection counts;
//  - `stick on src`: a client keeps its server across connections, moves
//    when that server goes DOWN (health check) and sticks to the new one.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { freePort, sleep } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

interface Peer {
  name: string;
  port: number;
  /** Stops listening and cuts its connections: the port is closed. */
  kill(): Promise<void>;
}

/** An HTTP server answering its name; `port` 0: any free one. */
async function peer(name: string, port = 0): Promise<Peer> {
  const sockets = new Set<Socket>();
  const srv = http.createServer((req, res) => {
    const status = req.url?.startsWith("/missing") ? 404 : 200;
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(name);
    });
  });
  srv.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
  return {
    name,
    port: (srv.address() as AddressInfo).port,
    kill: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** One request on a new connection from `from` (a loopback address): status and body. */
async function get(port: number, path: string, from = "127.0.0.1"): Promise<{ status: number; body: string }> {
  return await new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, agent: false, localAddress: from }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** `n` requests with curl, which keeps its connection: "STATUS CONNECTS" for each (CONNECTS 0: the connection was reused). */
async function curlBurst(port: number, n: number, path = "/"): Promise<string[]> {
  const urls = Array.from({ length: n }, () => ["-o", "/dev/null", `http://127.0.0.1:${port}${path}`]).flat();
  // Not spawnSync: the server peer answers from this process's event loop.
  const proc = Bun.spawn(["curl", "-s", "-w", "%{http_code} %{num_connects}\\n", "--max-time", "20", ...urls], { stdout: "pipe", stderr: "ignore" });
  const out = await new Response(proc.stdout as ReadableStream<Uint8Array>).text();
  await proc.exited;
  return out.trim().split("\n");
}

const HEAD = `global
    maxconn 100
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
`;

/** The rate-limit idiom, and a frontend `probe` answering what the table holds for the client's address. */
function rateLimitConfig(port: number, probe: number, server: number): string {
  return `${HEAD}
frontend web
    bind 127.0.0.1:${port}
    stick-table type ip size 100k expire 30s store http_req_rate(10s),http_req_cnt,conn_cnt,conn_cur,http_err_cnt
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 20 }
    default_backend app
frontend probe
    bind 127.0.0.1:${probe}
    http-request return status 200 content-type text/plain lf-string "rate=%[src_http_req_rate(web)] req=%[src_http_req_cnt(web)] conn=%[src_conn_cnt(web)] cur=%[src_conn_cur(web)] err=%[src_http_err_cnt(web)]"
backend app
    server a 127.0.0.1:${server}
`;
}

interface RateLimitRun {
  burst: string[];
  afterBurst: string;
  single: number[];
  afterErrors: string;
}

/** The same steps on any proxy: a curl burst of 25, then new connections from another address, then a 404. */
async function rateLimitSteps(start: (config: string, ports: number[]) => Promise<RunningProxy>): Promise<RateLimitRun> {
  const server = await peer("a");
  const [port, probe] = [await freePort(), await freePort()];
  const proxy = await start(rateLimitConfig(port, probe, server.port), [port, probe]);
  try {
    const burst = await curlBurst(port, 25);
    const afterBurst = (await get(probe, "/")).body;
    // 127.0.0.2 has a count of its own: 22 requests, each on a new connection, two of them 404s.
    const single: number[] = [];
    for (let i = 1; i <= 22; i++) single.push((await get(port, i <= 2 ? "/missing" : "/", "127.0.0.2")).status);
    // The last request's connection may still be closing on the proxy's side (cur=1) under load,
    // on HAProxy as on sluice: read again until it is gone (at most 2 s).
    let afterErrors = (await get(probe, "/", "127.0.0.2")).body;
    for (let i = 0; i < 40 && afterErrors.includes(" cur=1 "); i++) {
      await sleep(50);
      afterErrors = (await get(probe, "/", "127.0.0.2")).body;
    }
    return { burst, afterBurst, single, afterErrors };
  } finally {
    await proxy.stop();
    await server.kill();
  }
}

describe("the per-IP rate limit, on HAProxy 2.6 and on sluice", () => {
  const proxies = proxiesUnderTest();
  const runs = new Map<string, RateLimitRun>();
  for (const proxy of proxies) {
    test(`${proxy.name}: 20 pass, then 429; what the entry counted`, async () => {
      const run = await rateLimitSteps((config, ports) => proxy.start(config, ports));
      runs.set(proxy.name, run);
      // One connection for the whole burst, denied requests included.
      expect(run.burst).toEqual(["200 1", ...Array(19).fill("200 0"), ...Array(5).fill("429 0")]);
      expect(run.single).toEqual([404, 404, ...Array(18).fill(200), 429, 429]);
      // Tracking counts a connection per tracked request (http-request tracking is per stream);
      // a deny counts as an HTTP error, as a server's 4xx does.
      expect(run.afterBurst).toBe("rate=25 req=25 conn=25 cur=0 err=5");
      expect(run.afterErrors).toBe("rate=22 req=22 conn=22 cur=0 err=4");
      if (runs.has("haproxy") && proxy.name !== "haproxy") expect(run).toEqual(runs.get("haproxy")!);
    }, 60000);
  }
});

describe("the rate limit over HTTP/2 (prior knowledge): every stream of one connection is a request that counts", () => {
  const runs = new Map<string, string[]>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: 20 streams pass, then 429`, async () => {
      const server = await peer("a");
      const [port, probe] = [await freePort(), await freePort()];
      const config = rateLimitConfig(port, probe, server.port).replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} proto h2`);
      const running = await proxy.start(config, [port, probe]);
      const session = http2.connect(`http://127.0.0.1:${port}`);
      try {
        const lines: string[] = [];
        for (let i = 0; i < 23; i++) {
          lines.push(await new Promise<string>((resolve, reject) => {
            const stream = session.request({ ":path": "/" });
            let status = 0;
            stream.on("response", (h) => (status = Number(h[":status"])));
            stream.on("error", reject);
            stream.resume();
            stream.on("end", () => resolve(String(status)));
            stream.end();
          }));
        }
        lines.push((await get(probe, "/")).body);
        runs.set(proxy.name, lines);
        expect(lines).toEqual([...Array(20).fill("200"), "429", "429", "429", "rate=23 req=23 conn=23 cur=0 err=3"]);
        if (runs.has("haproxy") && proxy.name !== "haproxy") expect(lines).toEqual(runs.get("haproxy")!);
      } finally {
        session.close();
        await running.stop();
        await server.kill();
      }
    }, 60000);
  }
});

describe("stick on src, on HAProxy 2.6 and on sluice", () => {
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.kill();
  });
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: a client keeps its server across connections, moves when it goes DOWN, and sticks to the new one`, async () => {
      const [a, b] = [await peer("a"), await peer("b")];
      peers.push(a, b);
      const port = await freePort();
      const running = await proxy.start(`${HEAD}
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
    stick-table type ip size 1k expire 30m
    stick on src
    server a 127.0.0.1:${a.port} check inter 100ms fall 1 rise 1
    server b 127.0.0.1:${b.port} check inter 100ms fall 1 rise 1
`, [port]);
      try {
        // Two clients, two servers (round robin); each then keeps its own, though round robin alternates.
        const first = (await get(port, "/", "127.0.0.1")).body;
        const second = (await get(port, "/", "127.0.0.2")).body;
        expect(new Set([first, second]).size).toBe(2);
        for (let i = 0; i < 4; i++) {
          expect((await get(port, "/", "127.0.0.1")).body).toBe(first);
          expect((await get(port, "/", "127.0.0.2")).body).toBe(second);
        }
        // The first client's server goes down: it moves to the other one...
        const mine = first === "a" ? a : b;
        await mine.kill();
        peers.splice(peers.indexOf(mine), 1);
        // Until a check marks it DOWN, its requests fail (connection refused, no redispatch): asked again every 50 ms.
        let moved = "";
        for (let i = 0; i < 100 && moved !== second; i++) {
          const r = await get(port, "/", "127.0.0.1");
          moved = r.status === 200 ? r.body : "";
          if (moved !== second) await new Promise((r) => setTimeout(r, 50));
        }
        expect(moved).toBe(second);
        // ...and stays there once its server is back.
        peers.push(await peer(mine.name, mine.port));
        await new Promise((r) => setTimeout(r, 500));
        for (let i = 0; i < 4; i++) expect((await get(port, "/", "127.0.0.1")).body).toBe(second);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});
