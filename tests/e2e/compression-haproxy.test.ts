// Compression and the cache beside HAProxy 2.6: the same haproxy.cfg, the
// same requests (each on its own connection), the same decisions: which
// responses are compressed and with what, the fields the compressed head
// carries, which second requests come from the cache (the server's count)
// and whether they carry an Age. Bodies are compared decoded.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";
import { freePort } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

const PAGE = "<p>same answer, both proxies</p>\n".repeat(2000);
const counts = new Map<string, number>();

function configFor(port: number, backend: number): string {
  return `
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend web
    bind 127.0.0.1:${port}
    compression algo gzip deflate
    compression type text/ application/javascript
    http-request cache-use c
    http-response cache-store c
    default_backend app

cache c
    total-max-size 4
    max-age 60

backend app
    server a 127.0.0.1:${backend}
`;
}

function ask(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    const parts: Buffer[] = [];
    s.on("data", (d: Buffer) => parts.push(d));
    s.on("end", () => resolve(Buffer.concat(parts)));
    s.on("error", reject);
    s.write(request);
  });
}

/** The fields the comparison reads, and the body decoded. */
function summary(answer: Buffer): Record<string, string | number | undefined> {
  const end = answer.indexOf("\r\n\r\n");
  const [line, ...lines] = answer.subarray(0, end).toString("latin1").split("\r\n");
  const f = new Map<string, string>();
  for (const l of lines) f.set(l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim());
  let body = answer.subarray(end + 4);
  if (f.get("transfer-encoding") === "chunked") {
    const chunks: Buffer[] = [];
    for (let at = 0; ;) {
      const eol = body.indexOf("\r\n", at);
      const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
      if (!(size > 0)) break;
      chunks.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(chunks);
  }
  const encoding = f.get("content-encoding");
  const decoded = encoding === "gzip" ? gunzipSync(body) : encoding === "deflate" ? inflateSync(body) : body;
  return {
    status: Number(line!.split(" ")[1]),
    encoding,
    vary: f.get("vary"),
    etag: f.get("etag"),
    length: f.get("content-length") === undefined ? undefined : "set",
    age: f.get("age") === undefined ? undefined : "set",
    body: decoded.toString().length,
  };
}

const CASES: [string, string | undefined][] = [
  ["/text", "gzip"],
  ["/text", "deflate;q=0.5, gzip;q=0.9"],
  ["/text", "gzip;q=0, deflate"],
  ["/text", "br"],
  // `*`: HAProxy's list head, the algorithm written last (deflate here), even where the client refused gzip alone.
  ["/text", "*"],
  ["/text", "gzip;q=0, *"],
  ["/text", "br, *;q=0.5"],
  ["/text", undefined],
  ["/json", "gzip"],
  ["/encoded", "gzip"],
  ["/no-transform", "gzip"],
  ["/missing", "gzip"],
  ["/weak", "gzip"],
  ["/chunked", "gzip"],
];

describe("compression and the cache against HAProxy 2.6", () => {
  let server: Server;
  let backendPort = 0;
  const answers = new Map<string, unknown>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = (req.url ?? "/").replace(/\?.*$/, "");
      counts.set(req.url ?? "/", (counts.get(req.url ?? "/") ?? 0) + 1);
      const text = { "content-type": "text/html", "content-length": String(Buffer.byteLength(PAGE)) };
      if (url === "/text") return res.writeHead(200, { ...text, etag: '"s1"' }).end(PAGE);
      if (url === "/weak") return res.writeHead(200, { ...text, etag: 'W/"w1"' }).end(PAGE);
      if (url === "/json") return res.writeHead(200, { "content-type": "application/json" }).end("{}");
      if (url === "/encoded") return res.writeHead(200, { ...text, "content-encoding": "br" }).end(PAGE);
      if (url === "/no-transform") return res.writeHead(200, { ...text, "cache-control": "no-transform" }).end(PAGE);
      if (url === "/missing") return res.writeHead(404, text).end(PAGE);
      // Below max-object-size (a 256th of the 4 MB cache: 16384 bytes).
      const small = PAGE.slice(0, 5000);
      if (url === "/cached") return res.writeHead(200, { "content-type": "text/html", "cache-control": "max-age=60" }).end(small);
      if (url === "/uncached") return res.writeHead(200, { "content-type": "text/html", "cache-control": "no-store" }).end(small);
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(PAGE.slice(0, 1000));
      setTimeout(() => res.end(PAGE.slice(1000)), 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    backendPort = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the same compression and cache decisions as HAProxy`, async () => {
      const port = await freePort();
      const running: RunningProxy = await proxy.start(configFor(port, backendPort), [port]);
      try {
        const get = (path: string, ae: string | undefined) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${ae === undefined ? "" : `Accept-Encoding: ${ae}\r\n`}\r\n`;
        const compression = [];
        for (const [path, ae] of CASES) compression.push(summary(await ask(port, get(path, ae))));
        const cache = [];
        for (const path of ["/cached", "/uncached"]) {
          const p = `${path}?${proxy.name.replace(/\W+/g, "-")}`;
          const first = summary(await ask(port, get(p, undefined)));
          const second = summary(await ask(port, get(p, undefined)));
          cache.push({ first: first.age, second: second.age, served: counts.get(p) });
        }
        const result = { compression, cache };
        expect(cache).toEqual([{ first: undefined, second: "set", served: 1 }, { first: undefined, second: undefined, served: 2 }]);
        answers.set(proxy.name, result);
        const reference = answers.get("haproxy");
        if (reference !== undefined) expect(result).toEqual(reference as typeof result);
      } finally {
        await running.stop();
      }
    });
  }
});
