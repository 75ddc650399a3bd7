// HTTP mode end to end: the real proxy under each target, real HTTP servers
// (node:http in this process, so the test sees each backend connection) and
// real clients (curl, raw sockets).
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, spawnSluice, startSluice, stopSluice, tcpBackend, tempDir, waitFor } from "./harness.ts";

interface HttpBackend {
  port: number;
  /** When set, request bodies are counted with it instead of kept. */
  countOnly?: (bytes: number) => void;
  /** Backend connections accepted. */
  connections: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; connection: number; body: string }[];
  close(): Promise<void>;
}

/** An HTTP server that answers with its name, the connection id it saw, and what it got. */
async function httpBackend(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
  port = 0,
): Promise<HttpBackend> {
  const b: HttpBackend = { port: 0, connections: 0, requests: [], close: async () => {} };
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => (b.countOnly ? b.countOnly(d.length) : chunks.push(d)));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const connection = (req.socket as net.Socket & { sluiceId?: number }).sluiceId ?? -1;
      b.requests.push({ method: req.method!, url: req.url!, headers: req.headers, connection, body: body.toString() });
      if (handler) return handler(req, res, body);
      res.setHeader("x-served-by", name);
      res.setHeader("x-connection", String(connection));
      res.end(`${name} ${req.method} ${req.url} ${body.length}\n`);
    });
  });
  server.keepAliveTimeout = 30000;
  server.on("connection", (s: net.Socket & { sluiceId?: number }) => {
    s.sluiceId = ++b.connections;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  b.port = (server.address() as net.AddressInfo).port;
  b.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return b;
}

/** curl as a child process; asynchronous, since the backends live in this process. */
async function curl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = Bun.spawn(["curl", "-sS", "--max-time", "20", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

/** Sends raw bytes on one connection and collects everything until the peer closes or goes quiet. */
async function raw(port: number, bytes: string | Buffer, quietMs = 400): Promise<string> {
  return await new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let got = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.on("connect", () => {
      socket.write(bytes);
      quiet();
    });
    socket.on("data", (d) => {
      got += d.toString("latin1");
      quiet();
    });
    socket.on("close", done);
    socket.on("error", done);
  });
}

function httpConfig(port: number, servers: string, opts: { fe?: string; be?: string; global?: string } = {}): string {
  return `global
    hard-stop-after 3s
${opts.global ?? ""}

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:${port}
${opts.fe ?? ""}
    default_backend be

backend be
${opts.be ?? ""}
${servers}
`;
}

for (const target of selectedTargets()) {
  describe(`http mode (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) await c();
    });
    async function backend(name: string, handler?: Parameters<typeof httpBackend>[1]) {
      const b = await httpBackend(name, handler);
      closers.push(b.close);
      return b;
    }

    test("proxies a GET with curl; Host unchanged, X-Forwarded-For added, no Via", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { fe: "    option forwardfor" }));
      const r = await curl(["-i", "-H", "Host: example.test", `http://127.0.0.1:${port}/hello?x=1`]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r.out).toContain("\r\nx-served-by: A\r\n");
      expect(r.out.endsWith("A GET /hello?x=1 0\n")).toBe(true);
      const seen = a.requests[0]!;
      expect(seen.headers.host).toBe("example.test");
      expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(seen.headers.via).toBeUndefined();
    });

    test("curl --http2 on cleartext asks for Upgrade: h2c: answered as HTTP/1.1, the server sees neither Upgrade nor HTTP2-Settings", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const r = await curl(["-i", "-v", "--http2", `http://127.0.0.1:${port}/h2c`]);
      expect(r.code).toBe(0);
      expect(r.err).toContain("Upgrade: h2c");
      expect(r.out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      const seen = a.requests[0]!;
      expect(seen.headers.upgrade).toBeUndefined();
      expect(seen.headers["http2-settings"]).toBeUndefined();
      expect(seen.headers.connection ?? "").not.toMatch(/upgrade/i);
    });

    test("examples/http.cfg and its YAML twin balance over two servers with keep-alive both sides", async () => {
      const w1 = await httpBackend("w1", undefined, 9001);
      const w2 = await httpBackend("w2", undefined, 9002);
      closers.push(w1.close, w2.close);
      for (const example of ["examples/http.cfg", "examples/http.yaml"]) {
        const r = spawnSluice(target, ["-f", example]);
        try {
          await waitFor(() => r.errLines.some((l) => l.includes(") ready")), 15000, `sluice on ${example}`);
          const urls = Array.from({ length: 6 }, (_, i) => `http://127.0.0.1:8080/p${i}`);
          const out = (await curl(urls)).out;
          expect(out.match(/^w1 GET/gm)?.length).toBe(3);
          expect(out.match(/^w2 GET/gm)?.length).toBe(3);
          await waitFor(() => r.errLines.filter((l) => l.includes('"GET /p')).length === 6, 3000, "6 log lines");
        } finally {
          expect(await stopSluice(r)).toBe(0);
        }
      }
      // One connection per server and per run: kept alive and reused for every request.
      expect(w1.connections).toBe(2);
      expect(w2.connections).toBe(2);
      expect(w1.requests.every((q) => q.headers["x-forwarded-for"] === "127.0.0.1")).toBe(true);
    });

    test("keep-alive: one client connection, many requests, one backend connection; pooled across clients (http-reuse always)", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { be: "    http-reuse always" }));
      const urls = Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:${port}/r${i}`);
      const r = await curl(urls);
      expect(r.code).toBe(0);
      expect(r.out.trim().split("\n").length).toBe(20);
      expect(a.connections).toBe(1);
      // New client connections reuse the idle backend connection.
      for (let i = 0; i < 5; i++) expect((await curl([`http://127.0.0.1:${port}/again${i}`])).code).toBe(0);
      expect(a.connections).toBe(1);
      expect(new Set(a.requests.map((q) => q.connection))).toEqual(new Set([1]));
    });

    test("http-reuse safe (default): a client's first request gets a connection of its own, later ones reuse", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      expect((await curl(Array.from({ length: 5 }, (_, i) => `http://127.0.0.1:${port}/r${i}`))).code).toBe(0);
      expect(a.connections).toBe(1);
      // Each new client: its first request opens a connection (the pooled one is not offered to it).
      for (let i = 0; i < 3; i++) expect((await curl([`http://127.0.0.1:${port}/again${i}`])).code).toBe(0);
      expect(a.connections).toBe(4);
    });

    test("option http-server-close: the client stays, each request gets a new server connection", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { fe: "    option http-server-close" }));
      const r = await curl([`http://127.0.0.1:${port}/1`, `http://127.0.0.1:${port}/2`, `http://127.0.0.1:${port}/3`]);
      expect(r.code).toBe(0);
      expect(a.connections).toBe(3);
      expect(a.requests.every((q) => q.headers.connection === "close")).toBe(true);
    });

    test("chunked upload and chunked download with trailers", async () => {
      const a = await backend("A", (req, res, body) => {
        res.setHeader("Trailer", "x-sum");
        res.write(`got ${body.length} bytes, te=${req.headers["transfer-encoding"]};`);
        res.write("part2;");
        res.addTrailers({ "x-sum": String(body.length) });
        res.end();
      });
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const reply = await raw(
        port,
        "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-t: 1\r\n\r\n",
      );
      expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(reply.toLowerCase()).toContain("transfer-encoding: chunked\r\n");
      expect(reply).toContain("got 11 bytes, te=chunked;");
      expect(reply).toContain("part2;");
      expect(reply).toContain("\r\n0\r\nx-sum: 11\r\n\r\n");
    });

    test("pipelined requests are answered in order", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const reply = await raw(port, req("/one") + req("/two") + req("/three"));
      const bodies = [...reply.matchAll(/A GET (\/\w+) 0\n/g)].map((m) => m[1]);
      expect(bodies).toEqual(["/one", "/two", "/three"]);
    });

    test("request smuggling attempts are refused with 400 and never reach the server", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const attempts = [
        // CL.TE
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
        // TE.CL with an obfuscated TE
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n5c\r\n",
        // two different lengths
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        // obs-fold
        "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
        // space before colon
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
        // bare LF
        "GET / HTTP/1.1\nHost: x\n\n",
        // missing Host
        "GET / HTTP/1.1\r\n\r\n",
      ];
      for (const attempt of attempts) {
        const reply = await raw(port, attempt);
        expect(reply).toMatch(/^HTTP\/1\.1 400 Bad request\r\n/);
      }
      expect(a.requests.length).toBe(0);
    });

    test("no server answers: 503; a bad server response: 502; a silent server: 504", async () => {
      const dead = await freePort();
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    retries 1\n    server dead 127.0.0.1:${dead}`));
      expect((await curl(["-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${port}/`])).out).toBe("503");
      await stopSluice(run);

      const bad = await tcpBackend((s) => s.on("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")));
      closers.push(bad.close);
      const badPort = bad.port;
      run = await startSluice(target, httpConfig(port, `    server bad 127.0.0.1:${badPort}`));
      expect((await curl(["-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${port}/`])).out).toBe("502");
      await stopSluice(run);

      const silent = await tcpBackend(() => {});
      closers.push(silent.close);
      const silentPort = silent.port;
      run = await startSluice(target, httpConfig(port, `    timeout server 300ms\n    server s 127.0.0.1:${silentPort}`));
      const r = await curl(["-i", `http://127.0.0.1:${port}/`]);
      expect(r.out).toMatch(/^HTTP\/1\.1 504 Gateway Time-out\r\n/);
      expect(r.out).toContain("<h1>504 Gateway Time-out</h1>");
    });

    test("timeout connect: a server that never answers the SYN gets 503 after the retries, logged sC", async () => {
      // A listener that never accepts, with an accept queue of one: once one
      // connection fills it, the kernel drops further SYNs unanswered, as a
      // host behind a dead route or a full server would.
      const listener = Bun.spawn(["python3", "-c", [
        "import socket, sys, time",
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
        "print(s.getsockname()[1], flush=True)",
        "time.sleep(30)",
      ].join("\n")], { stdout: "pipe", stderr: "inherit" });
      closers.push(async () => { listener.kill(); });
      const reader = listener.stdout.getReader();
      const deadPort = Number(new TextDecoder().decode((await reader.read()).value).trim());
      const filler = net.connect({ port: deadPort, host: "127.0.0.1" });
      closers.push(async () => { filler.destroy(); });
      await new Promise<void>((resolve) => filler.once("connect", () => resolve()));

      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    timeout connect 300ms\n    retries 1\n    server dead 127.0.0.1:${deadPort}`));
      const started = Date.now();
      const r = await curl(["-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${port}/syn`]);
      const took = Date.now() - started;
      expect(r.out).toBe("503");
      // Two attempts of 300 ms each (the first and one retry), not an immediate refusal.
      expect(took).toBeGreaterThanOrEqual(550);
      await waitFor(() => run!.errLines.some((l) => l.includes('"GET /syn HTTP/1.1"')), 3000, "log line");
      const line = run.errLines.find((l) => l.includes('"GET /syn HTTP/1.1"'))!;
      expect(line).toContain(" 503 ");
      expect(line).toContain(" sC-- ");
    });

    test("server maxconn queues requests; timeout queue answers 503; a freed slot serves the next", async () => {
      const a = await backend("A", (_req, res) => setTimeout(() => res.end("slow\n"), 600));
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    timeout queue 200ms\n    server a 127.0.0.1:${a.port} maxconn 1`));
      const first = curl([`http://127.0.0.1:${port}/first`]);
      await waitFor(() => a.connections === 1, 3000, "first request at the server");
      // The only slot is taken: this one waits 200 ms in the queue, then gets 503.
      const queued = await curl(["-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${port}/second`]);
      expect(queued.out).toBe("503");
      expect((await first).out).toBe("slow\n");
      // Once the slot is free, a request is served again.
      expect((await curl([`http://127.0.0.1:${port}/third`])).out).toBe("slow\n");
      await waitFor(() => run!.errLines.some((l) => l.includes('"GET /second HTTP/1.1"')), 3000, "log line");
      expect(run.errLines.find((l) => l.includes('"GET /second HTTP/1.1"'))).toContain(" 503 ");
      expect(run.errLines.find((l) => l.includes('"GET /second HTTP/1.1"'))).toContain(" sQ-- ");
    });

    test("timeout http-request answers 408 to a slow client", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { fe: "    timeout http-request 300ms" }));
      const started = Date.now();
      const reply = await raw(port, "GET / HTTP/1.1\r\nHost: x\r\n", 2000);
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Time-out\r\n/);
      expect(Date.now() - started).toBeLessThan(1500);
    });

    test("limits: too long a request line is 414, too many or too large fields 431", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { global: "    tune.bufsize 4096\n    tune.http.maxhdr 10" }));
      const longLine = await raw(port, `GET /${"a".repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(longLine).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/);
      const many = Array.from({ length: 11 }, (_, i) => `X-${i}: v\r\n`).join("");
      expect(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
      expect(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(5000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
      expect(a.requests.length).toBe(0);
    });

    test("HEAD keeps Content-Length without a body; HTTP/1.0 clients get keep-alive only when they ask", async () => {
      const a = await backend("A", (req, res) => {
        res.setHeader("content-length", "11");
        res.end(req.method === "HEAD" ? undefined : "hello world");
      });
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const head = await raw(port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
      // Both answers on one connection: the HEAD one carries the length and no body.
      const [headAnswer, getAnswer, getBody] = head.split("\r\n\r\n");
      expect(headAnswer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(headAnswer!.toLowerCase()).toContain("content-length: 11");
      expect(getAnswer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(getBody).toBe("hello world");
      const ten = await raw(port, "GET / HTTP/1.0\r\n\r\n", 2000);
      expect(ten).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(ten.toLowerCase()).toContain("connection: close\r\n");
      const tenKeep = await raw(port, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 300);
      expect(tenKeep.toLowerCase()).toContain("connection: keep-alive\r\n");
      // Forwarded as HTTP/1.1, which must carry Host: an empty one when the request had none (RFC 9112 §3.2).
      expect(a.requests.slice(-2).map((q) => q.headers.host)).toEqual(["", ""]);
    });

    test("Expect: 100-continue gets the server's 100 before the final answer", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const r = await curl(["-i", "-H", "Expect: 100-continue", "--data-binary", "x".repeat(2048), `http://127.0.0.1:${port}/up`]);
      expect(r.out).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      expect(r.out.endsWith("A POST /up 2048\n")).toBe(true);
    });

    test("timeout http-keep-alive closes an idle client connection", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { fe: "    timeout http-keep-alive 300ms" }));
      const started = Date.now();
      const reply = await raw(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 3000);
      expect(reply).toContain("A GET / 0\n");
      // raw() resolves when sluice closes the idle connection, well before its 3 s quiet limit.
      expect(Date.now() - started).toBeLessThan(2000);
    });

    test("log to a file, as JSON, and with a log-format", async () => {
      const a = await backend("A");
      const port = await freePort();
      const dir = tempDir();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, {
        fe: `    log ${dir}/access.json format json\n    log stderr\n    log-format "%ci %HM %HU %ST %b/%s"`,
      }));
      await curl([`http://127.0.0.1:${port}/json?x=1`]);
      await waitFor(() => run!.errLines.some((l) => l.endsWith(" GET /json?x=1 200 be/a")), 3000, "log-format line");
      await stopSluice(run);
      run = undefined;
      const lines = readFileSync(join(dir, "access.json"), "utf8").trim().split("\n");
      expect(lines.length).toBe(1);
      const entry = JSON.parse(lines[0]!);
      expect(entry).toMatchObject({ frontend: "fe", backend: "be", server: "a", status: 200 });
    });

    test("the JSON log names each request's backend connection: reused, private", async () => {
      const a = await backend("A");
      const port = await freePort();
      const dir = tempDir();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, {
        fe: `    log ${dir}/access.json format json`,
        be: "    http-reuse never",
      }));
      await curl([`http://127.0.0.1:${port}/1`, `http://127.0.0.1:${port}/2`]);
      await stopSluice(run);
      run = undefined;
      const entries = readFileSync(join(dir, "access.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(entries.length).toBe(2);
      expect(entries[0].server_conn_id).toBeGreaterThan(0);
      expect(entries[1].server_conn_id).toBe(entries[0].server_conn_id);
      expect(entries.map((e) => [e.server_conn_reused, e.server_conn_private])).toEqual([[false, true], [true, true]]);
      // The server's counters as each line was written (the connection is back in the session's list by then).
      expect(entries.map((e) => [e.srv_conn_opened, e.srv_conn_reused, e.srv_conn_private, e.srv_ownership_violations]))
        .toEqual([[1, 0, 1, 0], [1, 1, 1, 0]]);
      expect(a.connections).toBe(1);
    });

    test("errorfile replaces sluice's own page", async () => {
      const dead = await freePort();
      const port = await freePort();
      const dir = tempDir();
      writeFileSync(join(dir, "503.http"), "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 10\r\nconnection: close\r\n\r\nsorry! :(\n");
      run = await startSluice(target, httpConfig(port, `    retries 0\n    server dead 127.0.0.1:${dead}`, { be: `    errorfile 503 ${join(dir, "503.http")}` }));
      const r = await curl(["-i", `http://127.0.0.1:${port}/`]);
      expect(r.out).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(r.out.endsWith("sorry! :(\n")).toBe(true);
    });

    test("a response written in pieces reaches the client piece by piece", async () => {
      const a = await backend("A", (_req, res) => {
        res.setHeader("content-type", "text/event-stream");
        let n = 0;
        const t = setInterval(() => {
          res.write(`data: ${n}\n\n`);
          if (++n === 3) {
            clearInterval(t);
            res.end();
          }
        }, 300);
      });
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const arrivals: number[] = [];
      const started = Date.now();
      await new Promise<void>((resolve) => {
        http.get(`http://127.0.0.1:${port}/events`, (res) => {
          res.on("data", () => arrivals.push(Date.now() - started));
          res.on("end", () => resolve());
        });
      });
      expect(arrivals.length).toBeGreaterThanOrEqual(3);
      // The first event arrives long before the last one was written.
      expect(arrivals[0]!).toBeLessThan(550);
      expect(arrivals[arrivals.length - 1]!).toBeGreaterThan(800);
    });

    test("timeout server measures the server's silence, not the length of a response that keeps coming", async () => {
      const a = await backend("A", (_req, res) => {
        res.setHeader("content-type", "text/plain");
        let n = 0;
        const t = setInterval(() => {
          res.write(`piece ${n}\n`);
          if (++n === 6) {
            clearInterval(t);
            res.end();
          }
        }, 150);
      });
      const port = await freePort();
      // 6 pieces 150 ms apart: 900 ms in all, never 400 ms without a byte.
      run = await startSluice(target, httpConfig(port, `    timeout server 400ms\n    server a 127.0.0.1:${a.port}`));
      const r = await curl(["-sS", `http://127.0.0.1:${port}/slow`]);
      expect(r.code).toBe(0);
      expect(r.out).toBe([0, 1, 2, 3, 4, 5].map((n) => `piece ${n}\n`).join(""));
    });

    test("WebSocket: the upgrade becomes a tunnel and echoes", async () => {
      const port = await freePort();
      const wsPort = await freePort();
      const echo = Bun.serve({
        port: wsPort,
        hostname: "127.0.0.1",
        fetch(req, server) {
          if (server.upgrade(req)) return undefined;
          return new Response("not a websocket", { status: 400 });
        },
        websocket: { message(ws, m) { ws.send(`echo:${m}`); } },
      });
      closers.push(async () => void echo.stop(true));
      run = await startSluice(target, httpConfig(port, `    timeout tunnel 5s\n    server ws 127.0.0.1:${wsPort}`));
      const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
      const got: string[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => {
          ws.send("one");
          ws.send("two");
        };
        ws.onmessage = (e) => {
          got.push(String(e.data));
          if (got.length === 2) resolve();
        };
        ws.onerror = () => reject(new Error("websocket error"));
      });
      ws.close();
      expect(got).toEqual(["echo:one", "echo:two"]);
    });

    test("1 GiB download and 1 GiB chunked upload pass with bounded memory", async () => {
      const total = 1024 * 1024 * 1024;
      const block = Buffer.alloc(1024 * 1024, 97);
      let uploaded = 0;
      const a = await backend("A", (req, res) => {
        if (req.method === "POST") return res.end(`uploaded ${uploaded}`);
        res.setHeader("content-length", String(total));
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += block.length;
            if (!res.write(block)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
      });
      // Count upload bytes as they arrive instead of keeping them.
      a.countOnly = (n: number) => (uploaded += n);
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const baseline = run.rssKiB();
      const r = await curl(["-o", "/dev/null", "-w", "%{size_download}", "--max-time", "60", `http://127.0.0.1:${port}/big`]);
      expect(Number(r.out)).toBe(total);
      const reply = await new Promise<string>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/up" }, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve(body));
        });
        req.on("error", reject);
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += block.length;
            if (!req.write(block)) return void req.once("drain", pump);
          }
          req.end();
        };
        pump();
      });
      expect(reply).toBe(`uploaded ${total}`);
      expect(run.peakRssKiB() - baseline).toBeLessThan(160 * 1024);
    }, 120000);

    /** The body of a GET sent now, or "error ..." (a request in flight while the proxy stops). */
    const bodyOf = (url: string) =>
      new Promise<string>((resolve) => {
        http.get(url, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve(body));
        }).on("error", (e) => resolve(`error ${e.message}`));
      });

    test("graceful stop lets an in-flight request finish", async () => {
      const a = await backend("A", (_req, res) => setTimeout(() => res.end("slow done"), 500));
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const pending = bodyOf(`http://127.0.0.1:${port}/slow`);
      await sleep(100);
      run.kill("SIGTERM");
      expect(await pending).toBe("slow done");
      expect(await run.exited).toBe(0);
      run = undefined;
    });

    test("SIGUSR1 (HAProxy's soft stop) lets an in-flight request finish, refuses new connections, exits", async () => {
      const a = await backend("A", (_req, res) => setTimeout(() => res.end("slow done"), 800));
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`));
      const pending = bodyOf(`http://127.0.0.1:${port}/slow`);
      await sleep(150);
      run.kill("SIGUSR1");
      await waitFor(() => run!.errLines.some((l) => l.startsWith("SIGUSR1: stopping")), 3000, "the soft stop's line");
      const refused = await new Promise<boolean>((resolve) => {
        const s = net.connect({ port, host: "127.0.0.1" });
        s.on("connect", () => (s.destroy(), resolve(false)));
        s.on("error", () => resolve(true));
      });
      expect(refused).toBe(true);
      expect(await pending).toBe("slow done");
      expect(await run.exited).toBe(0);
      run = undefined;
    });

    test("graceful stop closes idle keep-alive connections at once and exits well before hard-stop-after", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`).replace("hard-stop-after 3s", "hard-stop-after 20s"));
      const socket = net.connect({ port, host: "127.0.0.1" });
      let got = "";
      socket.on("data", (d) => (got += d));
      const closed = new Promise<void>((r) => socket.on("close", () => r()));
      socket.write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
      await waitFor(() => got.includes("A GET /idle 0\n"), 3000, "response");
      const started = Date.now();
      run.kill("SIGTERM");
      await closed;
      expect(await run.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      run = undefined;
    });

    test("the log has one line per request with status and termination state", async () => {
      const a = await backend("A");
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `    server a 127.0.0.1:${a.port}`, { fe: "    option httplog" }));
      await curl([`http://127.0.0.1:${port}/logged`]);
      await waitFor(() => run!.errLines.some((l) => l.includes("GET /logged HTTP/1.1")), 3000, "log line");
      const line = run.errLines.find((l) => l.includes("GET /logged HTTP/1.1"))!;
      expect(line).toContain(" fe be/a ");
      expect(line).toContain(" 200 ");
      expect(line).toContain(" ---- ");
    });
  });
}
