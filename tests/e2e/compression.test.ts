// HTTP compression and the trace filter over real sockets (issue 19,
// compress): curl --compressed (HTTP/1.1 and HTTP/2), a raw client reading the
// chunks itself, a node:http server with a large Content-Length page, a
// chunked streamed one and the responses HAProxy 2.6 leaves alone; offload
// (the server never sees Accept-Encoding); trace lines on stderr before and
// after the compression filter.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inflateSync, gunzipSync } from "node:zlib";
import { type Backend, echoBackend, freePort, selectedTargets, startSluice, stopSluice, type Run } from "./harness.ts";

const PAGE = "<p>hello compression world</p>\n".repeat(4000);
let seenEncodings: (string | null)[] = [];

function backend(): Promise<Server> {
  const server = createServer((req, res) => {
    seenEncodings.push(req.headers["accept-encoding"] ?? null);
    const url = req.url ?? "/";
    const text = { "content-type": "text/html", "content-length": Buffer.byteLength(PAGE) };
    if (url === "/text") return res.writeHead(200, { ...text, etag: '"v1"' }).end(PAGE);
    if (url === "/chunked") {
      res.writeHead(200, { "content-type": "text/plain" });
      let i = 0;
      const t = setInterval(() => {
        res.write(`chunk ${i} ${"x".repeat(2000)}\n`);
        if (++i === 8) {
          clearInterval(t);
          res.end();
        }
      }, 10);
      return;
    }
    if (url === "/json") return res.writeHead(200, { "content-type": "application/json" }).end('{"a":1}');
    if (url === "/encoded") return res.writeHead(200, { ...text, "content-encoding": "br" }).end(PAGE);
    if (url === "/no-transform") return res.writeHead(200, { ...text, "cache-control": "public, no-transform" }).end(PAGE);
    if (url === "/missing") return res.writeHead(404, text).end(PAGE);
    if (url === "/two-etags") return res.writeHead(200, [["content-type", "text/html"], ["etag", '"a"'], ["etag", '"b"']]).end(PAGE);
    res.writeHead(200, { "content-type": "text/plain" }).end("other");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** One request on a new connection; the whole answer as bytes (read until close). */
function raw(port: number, request: string, halfClose = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    const parts: Buffer[] = [];
    s.on("data", (d: Buffer) => parts.push(d));
    s.on("end", () => resolve(Buffer.concat(parts)));
    s.on("error", reject);
    s.write(request);
    if (halfClose) s.end();
  });
}

/** Head fields (lower-cased) and the body, de-chunked. */
function parse(answer: Buffer): { status: number; fields: Map<string, string[]>; body: Buffer } {
  const end = answer.indexOf("\r\n\r\n");
  const [line, ...lines] = answer.subarray(0, end).toString("latin1").split("\r\n");
  const fields = new Map<string, string[]>();
  for (const l of lines) {
    const c = l.indexOf(":");
    const name = l.slice(0, c).toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), l.slice(c + 1).trim()]);
  }
  let body = answer.subarray(end + 4);
  if (fields.get("transfer-encoding")?.[0] === "chunked") {
    const chunks: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf("\r\n", at);
      const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
      if (size === 0) break;
      chunks.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(chunks);
  }
  return { status: Number(line!.split(" ")[1]), fields, body };
}

function get(path: string, acceptEncoding: string | undefined, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${acceptEncoding === undefined ? "" : `Accept-Encoding: ${acceptEncoding}\r\n`}${extra}\r\n`;
}

async function curl(args: string[]): Promise<{ head: string; body: string }> {
  const p = Bun.spawn(["curl", "-sS", "-D", "-", ...args], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const end = out.indexOf("\r\n\r\n");
  return { head: out.slice(0, end).toLowerCase(), body: out.slice(end + 4) };
}

for (const target of selectedTargets()) {
  describe(`compression (${target.name})`, () => {
    let server: Server;
    let run: Run;
    let port = 0;
    let h2Port = 0;
    let offloadPort = 0;
    let tcpPort = 0;
    let echo: Backend;

    beforeAll(async () => {
      server = await backend();
      echo = await echoBackend();
      tcpPort = await freePort();
      const bp = (server.address() as AddressInfo).port;
      [port, h2Port, offloadPort] = [await freePort(), await freePort(), await freePort()];
      run = await startSluice(target, `
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    compression algo gzip deflate
    compression type text/ application/javascript

frontend web
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${h2Port} proto h2
    default_backend app

frontend offloading
    bind 127.0.0.1:${offloadPort}
    filter trace name BEFORE-HTTP-COMP
    filter compression
    filter trace name AFTER-HTTP-COMP
    compression algo raw-deflate
    compression offload
    default_backend app

backend app
    server a 127.0.0.1:${bp}

frontend tcp-traced
    mode tcp
    bind 127.0.0.1:${tcpPort}
    filter trace name BEFORE-HTTP-COMP
    filter compression
    filter trace name AFTER-HTTP-COMP
    default_backend echo

backend echo
    mode tcp
    server e 127.0.0.1:${echo.port}
`);
    });
    afterAll(async () => {
      await stopSluice(run);
      server.close();
      await echo.close();
    });

    test("curl --compressed over HTTP/1.1 and HTTP/2 gets the page back, compressed on the wire", async () => {
      for (const args of [[`http://127.0.0.1:${port}/text`], ["--http2-prior-knowledge", `http://127.0.0.1:${h2Port}/text`]]) {
        const r = await curl(["--compressed", ...args]);
        expect(r.body).toBe(PAGE);
        expect(r.head).toContain("content-encoding: ");
        expect(r.head).toContain("vary: accept-encoding");
        expect(r.head).toContain('etag: w/"v1"');
        expect(r.head).not.toContain("content-length");
      }
    });

    test("gzip and deflate by the client's q-values; chunked to an HTTP/1.1 client", async () => {
      const gz = parse(await raw(port, get("/text", "deflate;q=0.5, gzip")));
      expect(gz.fields.get("content-encoding")).toEqual(["gzip"]);
      expect(gz.fields.get("transfer-encoding")).toEqual(["chunked"]);
      expect(gz.fields.has("content-length")).toBe(false);
      expect(gz.body.length).toBeLessThan(PAGE.length / 10);
      expect(gunzipSync(gz.body).toString()).toBe(PAGE);
      const df = parse(await raw(port, get("/text", "gzip;q=0, deflate")));
      expect(df.fields.get("content-encoding")).toEqual(["deflate"]);
      expect(inflateSync(df.body).toString()).toBe(PAGE);
      // `*` takes the algorithm written last, as HAProxy's (its list head).
      const star = parse(await raw(port, get("/text", "*")));
      expect(star.fields.get("content-encoding")).toEqual(["deflate"]);
    });

    test("a streamed chunked response is compressed as it comes", async () => {
      const r = parse(await raw(port, get("/chunked", "gzip")));
      expect(r.fields.get("content-encoding")).toEqual(["gzip"]);
      const text = gunzipSync(r.body).toString();
      expect(text.split("\n").filter((l) => l.startsWith("chunk ")).length).toBe(8);
    });

    test("left alone as HAProxy 2.6 leaves them", async () => {
      const cases: [string, string, string?][] = [
        ["/text", ""], // no Accept-Encoding
        ["/json", "gzip"], // not a listed type
        ["/encoded", "gzip"], // already encoded
        ["/no-transform", "gzip"],
        ["/missing", "gzip"], // 404
        ["/two-etags", "gzip"],
        ["/text", "br"], // nothing in common
        ["/text", "gzip", "User-Agent: Mozilla/4.0 (compatible; old)\r\n"],
      ];
      for (const [path, ae, extra] of cases) {
        const r = parse(await raw(port, get(path, ae === "" ? undefined : ae, extra)));
        expect(r.fields.get("content-encoding") ?? []).not.toContain("gzip");
        expect(r.fields.has("vary")).toBe(false);
      }
      const head = parse(await raw(port, `HEAD /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n`));
      expect(head.fields.get("content-length")).toEqual([String(PAGE.length)]);
      expect(head.fields.has("content-encoding")).toBe(false);
      const old = parse(await raw(port, `GET /text HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n`));
      expect(old.fields.has("content-encoding")).toBe(false);
      expect(old.body.toString()).toBe(PAGE);
    });

    test("offload: the server never sees Accept-Encoding; traces before and after the compression filter", async () => {
      seenEncodings = [];
      const r = parse(await raw(offloadPort, get("/text", "deflate")));
      expect(r.fields.get("content-encoding")).toEqual(["deflate"]);
      // HAProxy reads the backend's algorithms first: `app` has the defaults' (gzip, deflate), so zlib's deflate, not raw-deflate.
      expect(inflateSync(r.body).toString()).toBe(PAGE);
      expect(seenEncodings).toEqual([null]);
      await Bun.sleep(300);
      const lines = run.errLines;
      const before = lines.filter((l) => l.includes("[BEFORE-HTTP-COMP/offl") && l.includes("trace_http_payload") && l.includes("RESPONSE"));
      const after = lines.filter((l) => l.includes("[AFTER-HTTP-COMP/offl") && l.includes("trace_http_payload") && l.includes("RESPONSE"));
      const total = (ls: string[]) => ls.reduce((n, l) => n + Number(/len=(\d+)/.exec(l)![1]), 0);
      expect(total(before)).toBe(PAGE.length);
      expect(total(after)).toBe(r.body.length);
      for (const event of ["trace_attach", "trace_stream_start", "trace_http_headers", "trace_http_end", "trace_stream_stop", "trace_detach"]) {
        expect(lines.some((l) => l.includes("AFTER-HTTP-COMP") && l.includes(event))).toBe(true);
      }
    });

    test("a mode tcp frontend's traces follow its stream both ways (compression has nothing to do there)", async () => {
      const reply = await raw(tcpPort, "ping-pong-0123456789", true);
      expect(reply.toString()).toBe("ping-pong-0123456789");
      await Bun.sleep(300);
      const tcp = run.errLines.filter((l) => l.includes("/tcp-traced"));
      for (const name of ["BEFORE-HTTP-COMP", "AFTER-HTTP-COMP"]) {
        const mine = tcp.filter((l) => l.includes(`[${name}/tcp-traced`));
        expect(mine.some((l) => l.includes("trace_tcp_payload") && l.includes("channel=REQUEST") && l.includes("mode=TCP") && l.includes("len=20"))).toBe(true);
        expect(mine.some((l) => l.includes("trace_tcp_payload") && l.includes("channel=RESPONSE") && l.includes("len=20"))).toBe(true);
        expect(mine.some((l) => l.includes("trace_stream_stop"))).toBe(true);
      }
    });
  });
}
