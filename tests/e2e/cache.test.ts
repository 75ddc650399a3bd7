// The HTTP cache over real sockets (issue 19, compress): a node:http server
// that counts the requests it gets, sluice with a `cache` section used by
// http-request cache-use / http-response cache-store. A second GET is served
// from the cache (the server counts one) with an Age; an entry expires after
// its max-age; no-store, private, Set-Cookie, a non-200, an Authorization
// header and a POST are never stored; an object above max-object-size is not
// kept; Vary: Accept-Encoding keeps a variant per encoding; a hit is
// compressed like a server's answer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { freePort, selectedTargets, startSluice, stopSluice, type Run } from "./harness.ts";

const counts = new Map<string, number>();

function backend(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    counts.set(url, (counts.get(url) ?? 0) + 1);
    const body = `${url} #${counts.get(url)} ${"z".repeat(500)}`;
    const headers: Record<string, string> = { "content-type": "text/plain" };
    if (url.startsWith("/fresh")) headers["cache-control"] = "max-age=60";
    if (url.startsWith("/short")) headers["cache-control"] = "max-age=1";
    if (url.startsWith("/no-store")) headers["cache-control"] = "no-store";
    if (url.startsWith("/private")) headers["cache-control"] = "private, max-age=60";
    if (url.startsWith("/cookie")) Object.assign(headers, { "cache-control": "max-age=60", "set-cookie": "a=b" });
    if (url.startsWith("/etag")) headers.etag = '"e1"';
    if (url.startsWith("/validated")) Object.assign(headers, { "cache-control": "max-age=60", etag: 'W/"v1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" });
    if (url.startsWith("/nothing")) delete headers["cache-control"];
    if (url.startsWith("/vary")) Object.assign(headers, { "cache-control": "max-age=60", vary: "Accept-Encoding" });
    if (url.startsWith("/vary-star")) headers.vary = "*";
    if (url.startsWith("/missing")) return res.writeHead(404, { "cache-control": "max-age=60" }).end(body);
    if (url.startsWith("/big")) return res.writeHead(200, { "cache-control": "max-age=60" }).end("b".repeat(20000));
    res.writeHead(200, headers).end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function fetchVia(port: number, path: string, init: RequestInit = {}): Promise<{ status: number; age: string | null; body: string; encoding: string | null }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { "accept-encoding": "identity", ...(init.headers as Record<string, string> | undefined) } });
  return { status: r.status, age: r.headers.get("age"), body: await r.text(), encoding: r.headers.get("content-encoding") };
}

for (const target of selectedTargets()) {
  describe(`cache (${target.name})`, () => {
    let server: Server;
    let run: Run;
    let port = 0;
    let zipPort = 0;

    beforeAll(async () => {
      server = await backend();
      const bp = (server.address() as AddressInfo).port;
      [port, zipPort] = [await freePort(), await freePort()];
      run = await startSluice(target, `
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend web
    bind 127.0.0.1:${port}
    http-request cache-use small
    http-response cache-store small
    default_backend app

frontend zipped
    bind 127.0.0.1:${zipPort}
    compression algo gzip
    compression type text/
    http-request cache-use small
    http-response cache-store small
    default_backend app

cache small
    total-max-size 1
    max-object-size 10000
    max-age 30
    process-vary on

backend app
    server a 127.0.0.1:${bp}
`);
    });
    afterAll(async () => {
      await stopSluice(run);
      server.close();
    });

    const path = (p: string) => `${p}-${target.name}`;

    test("the second GET comes from the cache, with an Age; the server counts one", async () => {
      const p = path("/fresh");
      const first = await fetchVia(port, p);
      const second = await fetchVia(port, p);
      expect(first.status).toBe(200);
      expect(first.age).toBeNull();
      expect(second.body).toBe(first.body);
      expect(second.age).toBe("0");
      expect(counts.get(p)).toBe(1);
      // The hit's log line names the cache as its server, as HAProxy's: "web web/<CACHE> ... LR--".
      await Bun.sleep(200);
      expect(run.errLines.some((l) => l.includes(" web web/<CACHE> ") && l.includes(" LR-- ") && l.includes(`GET ${p} `))).toBe(true);
      // A validator without an expiry: the cache's max-age applies.
      const e = path("/etag");
      await fetchVia(port, e);
      expect((await fetchVia(port, e)).age).toBe("0");
      expect(counts.get(e)).toBe(1);
    });

    test("a conditional GET or HEAD the stored answer satisfies gets a 304 from the cache (HAProxy's)", async () => {
      const p = path("/validated");
      await fetchVia(port, p);
      const cases: Record<string, string>[] = [
        { "if-none-match": '"v1"' },
        { "if-none-match": 'W/"v1"' },
        { "if-none-match": '"x", W/"v1"' },
        { "if-none-match": "*" },
        { "if-modified-since": "Mon, 01 Jan 2024 00:00:00 GMT" },
        { "if-modified-since": "Tue, 02 Jan 2024 00:00:00 GMT" },
        { "if-none-match": '"other"' },
        { "if-modified-since": "Sun, 31 Dec 2023 00:00:00 GMT" },
      ];
      const statuses = [];
      for (const headers of cases) statuses.push((await fetchVia(port, p, { headers })).status);
      expect(statuses).toEqual([304, 304, 304, 304, 304, 304, 200, 200]);
      const head = await fetchVia(port, p, { method: "HEAD", headers: { "if-none-match": '"v1"' } });
      expect([head.status, head.age]).toEqual([304, "0"]);
      expect(counts.get(p)).toBe(1);
    });

    test("an entry expires after its max-age", async () => {
      const p = path("/short");
      await fetchVia(port, p);
      expect((await fetchVia(port, p)).age).not.toBeNull();
      await Bun.sleep(1200);
      const after = await fetchVia(port, p);
      expect(after.age).toBeNull();
      expect(counts.get(p)).toBe(2);
    });

    test("never stored: no-store, private, Set-Cookie, no expiry nor validator, a 404, Vary: *, too big", async () => {
      for (const base of ["/no-store", "/private", "/cookie", "/nothing", "/missing", "/vary-star", "/big"]) {
        const p = path(base);
        await fetchVia(port, p);
        const again = await fetchVia(port, p);
        expect(again.age).toBeNull();
        expect(counts.get(p)).toBe(2);
      }
    });

    test("requests the cache does not serve: Authorization, no-cache; a HEAD is served what a GET stored; a POST drops the entry (HAProxy's)", async () => {
      const p = path("/fresh-req");
      await fetchVia(port, p);
      await fetchVia(port, p, { headers: { authorization: "Basic eDp5" } });
      await fetchVia(port, p, { headers: { "cache-control": "no-cache" } });
      expect(counts.get(p)).toBe(3);
      const head = await fetchVia(port, p, { method: "HEAD" });
      expect([head.status, head.age, head.body, counts.get(p)]).toEqual([200, "0", "", 3]);
      expect((await fetchVia(port, p)).age).toBe("0");
      // A write to the URI: its stored answer goes, the next GET reaches the server (and is stored again).
      await fetchVia(port, p, { method: "POST", body: "x" });
      expect(counts.get(p)).toBe(4);
      expect((await fetchVia(port, p)).age).toBeNull();
      expect(counts.get(p)).toBe(5);
      expect((await fetchVia(port, p)).age).toBe("0");
    });

    test("Vary: Accept-Encoding keeps one entry per encoding", async () => {
      const p = path("/vary");
      await fetchVia(port, p);
      await fetchVia(port, p, { headers: { "accept-encoding": "br" } });
      expect((await fetchVia(port, p)).age).toBe("0");
      expect((await fetchVia(port, p, { headers: { "accept-encoding": "br" } })).age).toBe("0");
      expect(counts.get(p)).toBe(2);
    });

    test("a hit is compressed as the server's answer was; the cache keeps the plain body", async () => {
      const p = path("/fresh-zip");
      const ask = () => fetch(`http://127.0.0.1:${zipPort}${p}`, { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
      const first = await ask();
      const second = await ask();
      expect(first.headers.get("content-encoding")).toBe("gzip");
      expect(second.headers.get("content-encoding")).toBe("gzip");
      expect(second.headers.get("age")).toBe("0");
      const a = gunzipSync(Buffer.from(await first.arrayBuffer())).toString();
      const b = gunzipSync(Buffer.from(await second.arrayBuffer())).toString();
      expect(b).toBe(a);
      expect(counts.get(p)).toBe(1);
      // A client without gzip gets the stored body as it is (the key is the Host and the URI: same frontend).
      const plain = await fetchVia(zipPort, p);
      expect(plain.body).toBe(a);
      expect(plain.encoding).toBeNull();
      expect(plain.age).toBe("0");
      expect(counts.get(p)).toBe(1);
    });
  });
}
