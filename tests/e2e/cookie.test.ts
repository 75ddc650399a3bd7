// Persistence by a cookie (issue 15, cookie) over real sockets: a client
// that carries the cookie keeps its server across requests and connections;
// when that server goes DOWN (a failed health check) or its port closes
// (option redispatch), the client moves, gets the new server's cookie and
// sticks to it; with `indirect` the cookie never reaches a server; prefix
// and rewrite change the server's own cookie; %tsc logs what happened. And
// a differential check against HAProxy 2.6: the same configuration and
// requests give the same Set-Cookie and Cache-control lines.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";
import { haproxy, type ProxyUnderTest, type RunningProxy, sluiceUnderTest } from "./reference-proxy.ts";

interface Peer {
  name: string;
  port: number;
  /** The Cookie field each request brought, in order (null: none). */
  seen: (string | null)[];
  /** Stops listening and cuts its connections: the port is closed. */
  kill(): Promise<void>;
}

/**
 * An HTTP server that answers its name and the Cookie it saw. The path says
 * what else it answers: /cache a cacheable response, /own its own SRV
 * cookie, /jsession an application cookie, /other an unrelated one.
 */
async function peer(name: string): Promise<Peer> {
  const seen: (string | null)[] = [];
  const sockets = new Set<Socket>();
  const srv = http.createServer((req, res) => {
    const cookie = req.headers.cookie ?? null;
    seen.push(cookie);
    const path = req.url ?? "/";
    if (path.startsWith("/cache")) res.setHeader("Cache-Control", "max-age=60");
    // /cc/VALUE: that Cache-Control; /etag, /expires: those fields; /pragma: no-cache with a max-age.
    if (path.startsWith("/cc/")) res.setHeader("Cache-Control", decodeURIComponent(path.slice(4)));
    if (path.startsWith("/etag")) res.setHeader("ETag", '"v1"');
    if (path.startsWith("/expires")) res.setHeader("Expires", "Thu, 01 Jan 2037 00:00:00 GMT");
    if (path.startsWith("/pragma")) {
      res.setHeader("Pragma", "no-cache");
      res.setHeader("Cache-Control", "max-age=60");
    }
    if (path.startsWith("/own")) res.setHeader("Set-Cookie", "SRV=app; Path=/");
    if (path.startsWith("/jsession")) res.setHeader("Set-Cookie", "JSESSIONID=abc; Path=/");
    if (path.startsWith("/other")) res.setHeader("Set-Cookie", "other=1");
    res.setHeader("Content-Type", "application/json");
    req.resume();
    req.on("end", () => res.end(JSON.stringify({ name, cookie })));
  });
  srv.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    name,
    port: (srv.address() as AddressInfo).port,
    seen,
    kill: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

interface Answer {
  status: number;
  name: string;
  /** The Cookie the server saw. */
  cookie: string | null;
  setCookie: string[];
  /** Every response field as [name as written, value]. */
  raw: [string, string][];
}

/** One request; `agent` keeps the connection (keep-alive), else a new connection each time. */
async function get(port: number, path: string, cookie?: string, opts: { agent?: http.Agent; method?: string } = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = cookie === undefined ? {} : { cookie };
    const req = http.request({ host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers, agent: opts.agent ?? false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        const raw: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) raw.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        let parsed: { name?: string; cookie?: string | null } = {};
        try {
          parsed = JSON.parse(body);
        } catch {
          // An error page: no name.
        }
        resolve({
          status: res.statusCode ?? 0,
          name: parsed.name ?? "",
          cookie: parsed.cookie ?? null,
          setCookie: res.headers["set-cookie"] ?? [],
          raw,
        });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The value of `SRV=...` in a Set-Cookie line, without attributes. */
const srvValue = (setCookie: string[]): string | undefined => setCookie.map((l) => /^SRV=([^;]*)/.exec(l)?.[1]).find((v) => v !== undefined);

const HEAD = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
`;

for (const target of selectedTargets()) {
  describe(`cookie persistence (${target.name})`, () => {
    let run: Run | undefined;
    const peers: Peer[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const p of peers.splice(0)) await p.kill();
    });

    /** The %tsc of each HTTP log line so far (httplog: it comes after %CC %CS, before the connection counts). */
    const states = () => run!.errLines.map((l) => / web app\/\S+ .* (\S{4}) \d+\/\d+\/\d+\/\d+\/\d+ /.exec(l)?.[1]).filter((s) => s !== undefined);

    async function start(backend: string, fe = ""): Promise<{ port: number; a: Peer; b: Peer }> {
      const [a, b] = [await peer("a"), await peer("b")];
      peers.push(a, b);
      const port = await freePort();
      const servers = backend.replaceAll("PA", String(a.port)).replaceAll("PB", String(b.port));
      run = await startSluice(target, `${HEAD}
frontend web
    bind 127.0.0.1:${port}
    option httplog
${fe}    default_backend app
backend app
${servers}
`);
      return { port, a, b };
    }

    test("insert indirect: the client keeps its server across requests and connections; the server never sees the cookie", async () => {
      const { port, a, b } = await start(`    cookie SRV insert indirect
    server a 127.0.0.1:PA cookie a
    server b 127.0.0.1:PB cookie b`);
      const first = await get(port, "/");
      expect(first.status).toBe(200);
      expect(first.setCookie).toEqual([`SRV=${first.name}; path=/`]);
      const mine = first.name;
      // New connections, then one kept connection: always the same server, no cookie set again.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 8; i++) {
        const r = await get(port, "/", `SRV=${mine}; app=${i}`, i >= 4 ? { agent } : {});
        expect([r.status, r.name, r.setCookie]).toEqual([200, mine, []]);
        // The server saw the application's cookie only.
        expect(r.cookie).toBe(`app=${i}`);
      }
      agent.destroy();
      // Nobody sent the persistence cookie to a server.
      for (const seen of [...a.seen, ...b.seen]) expect(seen ?? "").not.toContain("SRV=");
      // A cookie naming no server: balanced, and told the right one.
      const stray = await get(port, "/", "SRV=zz");
      expect(stray.setCookie).toEqual([`SRV=${stray.name}; path=/`]);
      // %tsc: no cookie → inserted; valid → nothing; invalid → inserted.
      await waitFor(() => states().length >= 10, 3000, "log lines");
      expect(states()).toEqual(["--NI", ...Array(8).fill("--VN"), "--II"]);
    });

    test("an HTTP/2 client (curl, prior knowledge) with its cookie in two fields: the same stickiness, the cookie off the request", async () => {
      const [a, b] = [await peer("a"), await peer("b")];
      peers.push(a, b);
      const port = await freePort();
      run = await startSluice(target, `${HEAD}
frontend web
    bind 127.0.0.1:${port} proto h2
    default_backend app
backend app
    cookie SRV insert indirect
    server a 127.0.0.1:${a.port} cookie a
    server b 127.0.0.1:${b.port} cookie b
`);
      const curl = async (...headers: string[]) => {
        const args = ["curl", "-s", "-i", "--http2-prior-knowledge", "--max-time", "10", ...headers.flatMap((h) => ["-H", h]), `http://127.0.0.1:${port}/`];
        const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
        const out = await new Response(proc.stdout).text();
        await proc.exited;
        const [head, body] = out.split("\r\n\r\n");
        return { head: head!, body: JSON.parse(body!) as { name: string; cookie: string | null } };
      };
      const first = await curl();
      expect(first.head).toStartWith("HTTP/2 200");
      expect(first.head).toContain(`\r\nset-cookie: SRV=${first.body.name}; path=/`);
      for (let i = 0; i < 4; i++) {
        const r = await curl("Cookie: x=1", `Cookie: SRV=${first.body.name}`);
        expect(r.body).toEqual({ name: first.body.name, cookie: "x=1" });
        expect(r.head.toLowerCase()).not.toContain("set-cookie");
      }
    });

    test("the server goes DOWN (health check): the client moves, gets the new cookie, then sticks to it", async () => {
      const { port, a, b } = await start(`    cookie SRV insert indirect nocache
    server a 127.0.0.1:PA cookie a check inter 100ms fall 1 rise 1
    server b 127.0.0.1:PB cookie b check inter 100ms fall 1 rise 1`);
      const first = await get(port, "/");
      const mine = first.name;
      const other = mine === "a" ? b : a;
      for (let i = 0; i < 3; i++) expect((await get(port, "/", `SRV=${mine}`)).name).toBe(mine);
      await (mine === "a" ? a : b).kill();
      await waitFor(() => run!.errLines.some((l) => l.includes(`app/${mine} is DOWN`)), 5000, `${mine} DOWN`);
      const moved = await get(port, "/cache", `SRV=${mine}`);
      expect([moved.status, moved.name]).toEqual([200, other.name]);
      expect(moved.setCookie).toEqual([`SRV=${other.name}; path=/`]);
      // nocache: the response could have been cached with the cookie in it.
      expect(moved.raw.filter(([n]) => n.toLowerCase() === "cache-control").map(([, v]) => v)).toEqual(["max-age=60", "private"]);
      for (let i = 0; i < 4; i++) {
        const r = await get(port, "/", `SRV=${other.name}`);
        expect([r.status, r.name, r.setCookie]).toEqual([200, other.name, []]);
      }
      await waitFor(() => states().length >= 9, 3000, "log lines");
      expect(states().slice(4)).toEqual(["--DI", "--VN", "--VN", "--VN", "--VN"]);
    });

    test("its port closes (no check, option redispatch): the retry goes elsewhere and the client re-sticks", async () => {
      const { port, a, b } = await start(`    cookie SRV insert
    option redispatch
    retries 1
    server a 127.0.0.1:PA cookie a
    server b 127.0.0.1:PB cookie b`);
      const mine = (await get(port, "/")).name;
      const other = mine === "a" ? b : a;
      await (mine === "a" ? a : b).kill();
      const moved = await get(port, "/", `SRV=${mine}`);
      expect([moved.status, moved.name, moved.setCookie]).toEqual([200, other.name, [`SRV=${other.name}; path=/`]]);
      // Without indirect, the server sees the cookie as the client sent it.
      expect(moved.cookie).toBe(`SRV=${mine}`);
      for (let i = 0; i < 3; i++) {
        const r = await get(port, "/", `SRV=${other.name}`);
        expect([r.status, r.name, r.setCookie]).toEqual([200, other.name, []]);
      }
    });

    test("prefix: the server's own cookie carries the server in front; the server gets its value back bare", async () => {
      const { port } = await start(`    cookie JSESSIONID prefix
    server a 127.0.0.1:PA cookie a
    server b 127.0.0.1:PB cookie b`);
      const first = await get(port, "/jsession");
      expect(first.setCookie).toEqual([`JSESSIONID=${first.name}~abc; Path=/`]);
      for (let i = 0; i < 4; i++) {
        const r = await get(port, "/", `x=1; JSESSIONID=${first.name}~abc`);
        expect([r.name, r.cookie]).toEqual([first.name, "x=1; JSESSIONID=abc"]);
      }
    });

    test("rewrite: the server's cookie value becomes the server's; nothing is added when it sets none", async () => {
      const { port } = await start(`    cookie SRV rewrite
    server a 127.0.0.1:PA cookie a
    server b 127.0.0.1:PB cookie b`);
      const own = await get(port, "/own");
      expect(own.setCookie).toEqual([`SRV=${own.name}; Path=/`]);
      const none = await get(port, "/other");
      expect(none.setCookie).toEqual(["other=1"]);
      expect((await get(port, "/", `SRV=${own.name}`)).name).toBe(own.name);
    });

    test("maxidle and maxlife: the cookie carries its dates; an expired one is ignored", async () => {
      const { port } = await start(`    cookie SRV insert indirect maxidle 30m maxlife 8h
    server a 127.0.0.1:PA cookie a
    server b 127.0.0.1:PB cookie b`);
      const first = await get(port, "/");
      const value = srvValue(first.setCookie)!;
      expect(value).toMatch(/^[ab]\|[A-Za-z0-9+/]{5}\|[A-Za-z0-9+/]{5}$/);
      const [, last, firstSeen] = value.split("|");
      expect(last).toBe(firstSeen);
      // The date is now, in 4-second steps.
      const date = [...last!].reduce((n, ch) => n * 64 + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(ch), 0) * 4;
      expect(Math.abs(date - Date.now() / 1000)).toBeLessThan(10);
      const mine = first.name;
      for (let i = 0; i < 4; i++) expect((await get(port, "/", `SRV=${value}`)).name).toBe(mine);
      // A last date two hours old: expired (maxidle 30m), so balanced as if there were none.
      const old = `SRV=${mine}|AAAAB|${firstSeen}`;
      const names = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const r = await get(port, "/", old);
        names.add(r.name);
        expect(srvValue(r.setCookie)).toMatch(new RegExp(`^${r.name}\\|`));
      }
      expect(names.size).toBe(2);
    });
  });
}

// ---- the same Set-Cookie lines as HAProxy 2.6 ----

/**
 * A configuration both proxies read: one usable server `a`, one in
 * maintenance `dn`, one of weight 0 `z` (only a cookie leads there), each request logged as its %tsc alone (HAProxy's log
 * line names a syslog facility, which sluice does not take).
 */
function diffConfig(port: number, peerPort: number, cookieLine: string, reference: boolean): string {
  return `global
    log stderr format raw${reference ? " local0" : ""}
${HEAD}
frontend web
    bind 127.0.0.1:${port}
    log global
    log-format "tsc=%tsc"
    default_backend app
backend app
    ${cookieLine}
    server a 127.0.0.1:${peerPort} cookie a
    server dn 127.0.0.1:${peerPort} cookie dn disabled
    server z 127.0.0.1:${peerPort} cookie z weight 0
`;
}

/** Requests and what of each answer is compared: Set-Cookie and Cache-control lines (dates masked: they follow the clock), and the Cookie the server saw. */
const REQUESTS: [path: string, cookie: string | undefined, method?: string][] = [
  ["/", undefined],
  ["/cache", undefined],
  ["/cache", "SRV=a"],
  ["/", "SRV=a"],
  ["/", "SRV=dn"],
  ["/", "SRV=z"],
  ["/own", "SRV=z"],
  ["/", "SRV=zz"],
  ["/", "SRV="],
  ["/own", undefined],
  ["/own", "SRV=a"],
  ["/other", "SRV=a"],
  ["/jsession", undefined],
  ["/", "JSESSIONID=a~abc"],
  ["/", "SRV=a|AAAAB"],
  ["/", undefined, "POST"],
  ["/cache", undefined, "POST"],
  // What nocache counts as cacheable.
  ["/etag", undefined],
  ["/expires", undefined],
  ["/pragma", undefined],
  ["/cc/public", undefined, "POST"],
  ["/cc/public%2C%20max-age%3D10", undefined, "POST"],
  ["/cc/max-age%3D60%2C%20private", undefined],
  ["/cc/max-age%3D0", undefined],
  ["/cc/max-age%3D0%2C%20s-maxage%3D30", undefined],
  ["/cc/no-store", undefined],
  // What the server sees of a Cookie field the proxy edits.
  ["/", "a=1; SRV=a; b=2"],
  ["/", "SRV=a;b=2"],
  ["/", "a=1;SRV=a"],
  ["/", "$Version=1; SRV=a; $Path=/; x=1"],
  ["/", "x=1; JSESSIONID=a~abc; y=2"],
];

const COOKIE_LINES = [
  "cookie SRV insert",
  "cookie SRV insert indirect nocache httponly secure domain .example.com attr SameSite=Lax",
  "cookie SRV insert indirect preserve",
  "cookie SRV insert postonly",
  "cookie SRV insert indirect maxidle 30m maxlife 8h",
  "cookie SRV insert maxidle 1h",
  "cookie SRV rewrite",
  "cookie JSESSIONID prefix",
  "cookie SRV indirect",
];

/** Each request with what came back, then the %tsc of each, in order. */
async function answersOf(proxy: ProxyUnderTest, cookieLine: string): Promise<string[]> {
  const p = await peer("a");
  const port = await freePort();
  let running: RunningProxy | undefined;
  try {
    running = await proxy.start(diffConfig(port, p.port, cookieLine, proxy === haproxy), [port]);
    const out: string[] = [];
    for (const [path, cookie, method] of REQUESTS) {
      const r = await get(port, path, cookie, method === undefined ? {} : { method });
      const lines = r.raw.filter(([n]) => /^(set-cookie|cache-control)$/i.test(n)).map(([n, v]) => `${n.toLowerCase()}: ${v}`);
      const answer = `${r.status} ${lines.join(" | ").replace(/\|[A-Za-z0-9+/]{5}/g, "|DATE")}`;
      out.push(`${method ?? "GET"} ${path} ${cookie ?? "-"} → ${answer} (the server saw ${r.cookie ?? "no cookie"})`);
    }
    // HAProxy logs the start-up probe (a connection closed before any request, CR--): not one of ours.
    const logged = () => running!.errLines().filter((l) => l.startsWith("tsc=") && !l.startsWith("tsc=CR"));
    await waitFor(() => logged().length >= REQUESTS.length, 5000, `${proxy.name}'s log lines`);
    return [...out, ...logged()];
  } finally {
    await running?.stop();
    await p.kill();
  }
}

describe("cookie persistence: the same Set-Cookie lines as HAProxy 2.6", () => {
  for (const line of COOKIE_LINES) {
    test(line, async () => {
      const expected = await answersOf(haproxy, line);
      // The answers differ from one request to another (a check that the table means something).
      const answers = expected.filter((l) => l.includes(" → ")).map((l) => l.split(" → ")[1]!.split(" (")[0]);
      expect(new Set(answers).size).toBeGreaterThan(1);
      for (const target of selectedTargets()) {
        expect(await answersOf(sluiceUnderTest(target), line)).toEqual(expected);
      }
    }, 60000);
  }
});
