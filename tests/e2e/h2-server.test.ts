// HTTP/2 clients in front of sluice (`bind ... proto h2`, cleartext, prior
// knowledge), end to end under each target: curl --http2-prior-knowledge,
// nghttp and h2load (bounded) through sluice to an HTTP/1.1 server (h2→h1)
// and to an HTTP/2 server (`server ... proto h2`, h2→h2), many concurrent
// streams on one client connection; trailers both ways; a slow stream that
// does not stall the others; a client's RST_STREAM that cancels the server
// side; GOAWAY on graceful stop. An HTTP/1.1 client on a bind without
// `proto h2` still speaks HTTP/1.1.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import http2 from "node:http2";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { CONNECTION_PREFACE, ErrorCode, FrameType } from "../../src/http2/constants.ts";
import { FrameReader } from "../../src/http2/frame-reader.ts";
import * as write from "../../src/http2/frame-writer.ts";
import { HpackEncoder } from "../../src/http2/hpack/index.ts";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tcpBackend, tempDir, waitFor } from "./harness.ts";
import { type H2Backend, h2Backend, patterned, sha256, within } from "./h2-peers.ts";

const TIMEOUT = 60000;

function config(port: number, h1Port: number, backendPort: number, proto: "h1" | "h2", extraGlobal = ""): string {
  return `global
    hard-stop-after 5s
${extraGlobal}
defaults
    mode http
    option httplog
    timeout connect 2s
    timeout client 20s
    timeout server 20s

frontend fe
    bind 127.0.0.1:${port} proto h2
    bind 127.0.0.1:${h1Port}
    default_backend be

backend be
    server s 127.0.0.1:${backendPort}${proto === "h2" ? " proto h2" : ""}
`;
}

/** An HTTP/1.1 server: /echo returns the body (and its trailers as x-got-*), /slow answers after 300 ms, /big sends 1 MiB, /hang never answers. */
async function h1Server(): Promise<{ port: number; aborted: string[]; close(): Promise<void> }> {
  const aborted: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("close", () => {
      if (!res.writableEnded) aborted.push(req.url ?? "");
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? "/";
      if (url === "/hang") return;
      if (url === "/big") return res.end(patterned(1 << 20));
      const send = () => {
        const trailers = Object.entries(req.trailers).map(([k, v]) => [`x-got-${k}`, String(v)]);
        res.writeHead(200, { "content-type": "text/plain", "x-path": url, ...Object.fromEntries(trailers) });
        res.end(url === "/echo" ? body : `hello ${url} ${req.headers.host}\n`);
      };
      if (url === "/slow") setTimeout(send, 300);
      else send();
    });
  });
  server.keepAliveTimeout = 30000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    aborted,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** An HTTP/2 server: echoes bodies and request trailers (as response trailers), /big sends 1 MiB, /hang never answers. */
function h2Server(cancelled: string[]): Promise<H2Backend> {
  return h2Backend((stream, headers) => {
    const path = String(headers[":path"]);
    const chunks: Buffer[] = [];
    let gotTrailers: http2.IncomingHttpHeaders = {};
    stream.on("trailers", (t) => (gotTrailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("close", () => {
      if (stream.rstCode !== 0 && stream.rstCode !== undefined) cancelled.push(path);
    });
    stream.on("end", () => {
      if (path === "/hang") return;
      if (path === "/big") {
        stream.respond({ ":status": 200 });
        return stream.end(patterned(1 << 20));
      }
      stream.respond({ ":status": 200, "x-path": path }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-trailer": "done", ...(gotTrailers["x-sum"] ? { "x-got-sum": String(gotTrailers["x-sum"]) } : {}) }));
      stream.end(path === "/echo" ? Buffer.concat(chunks) : `hello ${path}\n`);
    });
  });
}

/** Runs a command, returns its exit code and output. */
async function run(cmd: string[], ms = 30000): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, out: out + err };
}

interface Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders;
}

/** One request on a node:http2 client session. */
function h2Request(session: http2.ClientHttp2Session, path: string, opts: { method?: string; body?: Buffer; trailers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": opts.method ?? "GET", ":path": path }, { endStream: opts.body === undefined && opts.trailers === undefined, waitForTrailers: opts.trailers !== undefined });
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h;
    });
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status, headers, body: Buffer.concat(chunks), trailers }));
    req.on("error", reject);
    if (opts.trailers !== undefined) req.on("wantTrailers", () => req.sendTrailers(opts.trailers!));
    if (opts.body !== undefined) req.end(opts.body);
    else if (opts.trailers !== undefined) req.end();
  });
}

/** A client that writes frames of the test's choosing (sluice's own frame writer and HPACK encoder) and reads what comes back. */
async function rawClient(port: number): Promise<{ encoder: HpackEncoder; send(b: Uint8Array): void; goaway(): number | undefined; closed(): boolean; close(): void }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  let goaway: number | undefined;
  let closed = false;
  const reader = new FrameReader({
    frame: (f) => {
      if (f.type === FrameType.GOAWAY) goaway = f.errorCode;
    },
    error: () => {},
  }, { role: "client", maxFrameSize: 16384 });
  socket.on("error", () => {});
  socket.on("close", () => (closed = true));
  socket.on("data", (d: Buffer) => reader.push(new Uint8Array(d)));
  await new Promise<void>((r) => socket.once("connect", () => r()));
  socket.write(CONNECTION_PREFACE);
  socket.write(write.settings([]));
  return {
    encoder: new HpackEncoder(),
    send: (b) => void socket.write(b),
    goaway: () => goaway,
    closed: () => closed,
    close: () => socket.destroy(),
  };
}

function connect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.once("remoteSettings", () => resolve(s));
    s.once("error", reject);
  });
}

for (const target of selectedTargets()) {
  describe(`HTTP/2 clients (${target.name})`, () => {
    const open: { close(): unknown }[] = [];
    let sluice: Run | undefined;
    afterEach(async () => {
      if (sluice) await stopSluice(sluice);
      sluice = undefined;
      for (const o of open.splice(0).reverse()) await o.close();
    });

    async function start(proto: "h1" | "h2", extraGlobal = "") {
      const cancelled: string[] = [];
      const be = proto === "h1" ? await h1Server() : await h2Server(cancelled);
      open.push(be);
      const port = await freePort();
      // The kernel may hand back a port it just released: the two binds need two.
      let h1Port = await freePort();
      while (h1Port === port) h1Port = await freePort();
      sluice = await startSluice(target, config(port, h1Port, be.port, proto, extraGlobal));
      return { port, h1Port, be, cancelled };
    }

    test("curl --http2-prior-knowledge: GET and POST to an HTTP/1.1 server; an HTTP/1.1 client on the other bind stays HTTP/1.1", async () => {
      const { port, h1Port } = await start("h1");
      const get = await run(["curl", "-s", "-i", "--http2-prior-knowledge", `http://127.0.0.1:${port}/hello`]);
      expect(get.out).toStartWith("HTTP/2 200");
      expect(get.out).toContain(`hello /hello 127.0.0.1:${port}`);
      const body = "x".repeat(200_000);
      const file = join(tempDir(), "body");
      writeFileSync(file, body);
      const post = await run(["curl", "-s", "--http2-prior-knowledge", "--data-binary", `@${file}`, `http://127.0.0.1:${port}/echo`]);
      expect(post.out).toBe(body);
      const h1 = await run(["curl", "-s", "-i", "--http1.1", `http://127.0.0.1:${h1Port}/one`]);
      expect(h1.out).toStartWith("HTTP/1.1 200");
      // One log line per stream (HTTP log lines end with the quoted request line).
      const httpLines = () => sluice!.errLines.filter((l) => / HTTP\/[12]\.[01]"$/.test(l));
      await waitFor(() => httpLines().length >= 3, 3000, "three log lines");
      const lines = httpLines();
      // HTTP/2 requests in absolute form, as HAProxy logs them (tests/e2e/h2-log-uri.test.ts).
      expect(lines.filter((l) => l.includes(`"GET http://127.0.0.1:${port}/hello HTTP/2.0"`)).length).toBe(1);
      expect(lines.filter((l) => l.includes(`"POST http://127.0.0.1:${port}/echo HTTP/2.0"`)).length).toBe(1);
      expect(lines.filter((l) => l.includes('"GET /one HTTP/1.1"')).length).toBe(1);
    }, TIMEOUT);

    test("nghttp: many URIs at once on one connection, each answered", async () => {
      const { port } = await start("h1");
      const uris = Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:${port}/n${i}`);
      const r = await run(["nghttp", "-n", "-s", ...uris]);
      expect(r.code).toBe(0);
      // -s prints one line per stream with its status.
      expect((r.out.match(/ 200 /g) ?? []).length).toBe(20);
      // One log line per stream, all of one client connection.
      const lines = () => sluice!.errLines.filter((l) => l.endsWith(' HTTP/2.0"'));
      await waitFor(() => lines().length === 20, 3000, "20 log lines");
      expect(new Set(lines().map((l) => l.split(" ")[0])).size).toBe(1);
    }, TIMEOUT);

    for (const proto of ["h1", "h2"] as const) {
      test(`h2load -n 2000 -c 10 -m 10 through sluice to an ${proto === "h1" ? "HTTP/1.1" : "HTTP/2"} server`, async () => {
        const { port } = await start(proto);
        const r = await run(["h2load", "-n", "2000", "-c", "10", "-m", "10", `http://127.0.0.1:${port}/load`], 50000);
        expect(r.out).toContain("2000 succeeded, 0 failed, 0 errored");
        expect(r.out).toContain("status codes: 2000 2xx");
      }, TIMEOUT);
    }

    test("h2→h2: request trailers reach the server, response trailers reach the client, bodies intact", async () => {
      const { port } = await start("h2");
      const session = await connect(port);
      open.push({ close: () => session.close() });
      const body = patterned(300_000);
      const r = await within(10000, "echo with trailers", h2Request(session, "/echo", { method: "POST", body }));
      expect(r.status).toBe(200);
      expect(sha256(r.body)).toBe(sha256(body));
      expect(r.trailers["x-trailer"]).toBe("done");
      const t = await within(10000, "request trailers", h2Request(session, "/echo", { method: "POST", trailers: { "x-sum": "42" } }));
      expect(t.trailers["x-got-sum"]).toBe("42");
    }, TIMEOUT);

    test("h2→h1: request trailers go chunked to the HTTP/1.1 server", async () => {
      const { port } = await start("h1");
      const session = await connect(port);
      open.push({ close: () => session.close() });
      const r = await within(10000, "trailers", h2Request(session, "/echo", { method: "POST", trailers: { "x-sum": "7" } }));
      expect(r.status).toBe(200);
      expect(r.headers["x-got-x-sum"]).toBe("7");
    }, TIMEOUT);

    for (const proto of ["h1", "h2"] as const) {
      test(`a stream whose client does not read does not stall the others (to ${proto})`, async () => {
        const { port } = await start(proto);
        const session = await connect(port);
        open.push({ close: () => session.destroy() });
        // 1 MiB the client never reads: its window closes, sluice holds that stream's server back.
        const stuck = session.request({ ":path": "/big" });
        stuck.pause();
        await sleep(300);
        const started = Date.now();
        const replies = await within(10000, "other streams", Promise.all(Array.from({ length: 10 }, (_, i) => h2Request(session, `/fast${i}`))));
        expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
        expect(Date.now() - started).toBeLessThan(5000);
        // Read now: the stalled stream completes intact.
        const chunks: Buffer[] = [];
        stuck.on("data", (c: Buffer) => chunks.push(c));
        const ended = new Promise<void>((r) => stuck.on("end", () => r()));
        stuck.resume();
        await within(10000, "the big stream", ended);
        expect(sha256(Buffer.concat(chunks))).toBe(sha256(patterned(1 << 20)));
      }, TIMEOUT);
    }

    test("a client's RST_STREAM cancels the server-side request (h2→h1: its connection closes; h2→h2: RST_STREAM)", async () => {
      // To HTTP/1.1: a server that never answers and reports when sluice closes its connection.
      let closed = 0;
      const silent = await tcpBackend((socket) => {
        // Read (and drop) the request. sluice closes a server connection with a
        // reset where its runtime can (as HAProxy), else with a FIN: either counts.
        socket.on("data", () => {});
        let seen = false;
        const gone = () => {
          if (!seen) (seen = true), closed++;
        };
        socket.once("end", gone);
        socket.once("close", gone);
      });
      open.push(silent);
      const port = await freePort();
      sluice = await startSluice(target, config(port, await freePort(), silent.port, "h1"));
      const client = await rawClient(port);
      open.push(client);
      client.send(write.headers(1, client.encoder.encode([[":method", "GET"], [":scheme", "http"], [":authority", "a"], [":path", "/hang"]]), true));
      await waitFor(() => silent.accepted === 1, 3000, "the request to reach the server");
      expect(closed).toBe(0);
      client.send(write.rstStream(1, ErrorCode.CANCEL));
      await waitFor(() => closed === 1, 3000, "sluice to close the server's connection");
      // A client abort, while connecting (CC) or waiting for the answer (CH): the server may have accepted before sluice's connect completed.
      await waitFor(() => sluice!.errLines.some((l) => / C[CH]-- /.test(l)), 3000, "the log line (client abort)");
      await stopSluice(sluice);
      sluice = undefined;

      // To HTTP/2: the server's stream is reset.
      const h2 = await start("h2");
      const c2 = await rawClient(h2.port);
      open.push(c2);
      c2.send(write.headers(1, c2.encoder.encode([[":method", "GET"], [":scheme", "http"], [":authority", "a"], [":path", "/hang"]]), true));
      await waitFor(() => (h2.be as H2Backend).sessions.some((s) => s.streams === 1), 3000, "the stream to reach the server");
      c2.send(write.rstStream(1, ErrorCode.CANCEL));
      await waitFor(() => h2.cancelled.includes("/hang"), 5000, "the HTTP/2 server to see the stream reset");
    }, TIMEOUT);

    test("rapid reset (CVE-2023-44487) over a real socket: GOAWAY ENHANCE_YOUR_CALM; the proxy serves the next client", async () => {
      const { port } = await start("h1", "    tune.h2.fe.glitches-threshold 200");
      const client = await rawClient(port);
      open.push(client);
      const fields: [string, string][] = [[":method", "GET"], [":scheme", "http"], [":authority", "a"], [":path", "/hang"]];
      // Bounded: at most 5000 streams opened and reset, in batches, until the proxy says stop.
      for (let id = 1; id < 10_000 && client.goaway() === undefined && !client.closed(); ) {
        const batch: Uint8Array[] = [];
        for (let k = 0; k < 50; k++, id += 2) batch.push(write.headers(id, client.encoder.encode(fields), true), write.rstStream(id, ErrorCode.CANCEL));
        client.send(Buffer.concat(batch));
        await sleep(5);
      }
      await waitFor(() => client.goaway() !== undefined, 5000, "GOAWAY");
      expect(client.goaway()).toBe(ErrorCode.ENHANCE_YOUR_CALM);
      const r = await run(["curl", "-s", "--http2-prior-knowledge", `http://127.0.0.1:${port}/after`]);
      expect(r.out).toContain("hello /after");
    }, TIMEOUT);

    test("graceful stop: GOAWAY, the stream in flight completes, then sluice exits", async () => {
      const { port } = await start("h1");
      const session = await connect(port);
      let goaway = -1;
      session.on("goaway", (code) => (goaway = code));
      session.on("error", () => {});
      const slow = h2Request(session, "/slow");
      await sleep(100);
      const run = sluice!;
      sluice = undefined;
      run.kill("SIGTERM");
      const reply = await within(5000, "the stream in flight", slow);
      expect(reply.status).toBe(200);
      await waitFor(() => goaway >= 0, 3000, "GOAWAY");
      expect(goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
      expect(await within(8000, "sluice to exit", run.exited)).toBe(0);
      session.destroy();
    }, TIMEOUT);
  });
}
