// `tune.comp.maxlevel N` (global): zlib's level for every compressed
// response. HAProxy 2.6 (Debian's, built with libslz) loads the same file;
// its compressor is not zlib, so sizes are compared between two sluice
// frontends of different levels rather than with HAProxy's: a higher level
// gives a smaller body, both decompress to the page.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { gunzipSync } from "node:zlib";
import { freePort } from "./harness.ts";
import { haproxy, proxiesUnderTest } from "./reference-proxy.ts";

// Compressible, and not trivially so: level 1 and level 9 part.
const PAGE = Array.from({ length: 4000 }, (_, i) => `<p class="row-${i % 17}">item ${i} ${(i * 7919) % 1000}</p>`).join("\n");
const server = http.createServer((_req, res) => {
  res.setHeader("content-type", "text/html");
  res.end(PAGE);
});
afterAll(() => server.close());

function gzipped(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/", headers: { "accept-encoding": "gzip" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => (res.headers["content-encoding"] === "gzip" ? resolve(Buffer.concat(parts)) : reject(new Error("not compressed"))));
    }).on("error", reject);
  });
}

const config = (level: number, port: number, backend: number) => `
global
    tune.comp.maxlevel ${level}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    compression algo gzip
    compression type text/html
    default_backend b
backend b
    server s 127.0.0.1:${backend}
`;

describe("tune.comp.maxlevel", () => {
  test("HAProxy 2.6 loads it (1-9), and refuses 0 and 10 as sluice does", async () => {
    if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const backend = (server.address() as net.AddressInfo).port;
    for (const proxy of proxiesUnderTest()) {
      expect([proxy.name, proxy.loads(config(9, 1, backend))]).toEqual([proxy.name, undefined]);
      expect(proxy.loads(config(0, 1, backend))).toBeDefined();
      expect(proxy.loads(config(10, 1, backend))).toBeDefined();
    }
  });

  for (const proxy of proxiesUnderTest().filter((p) => p !== haproxy)) {
    test(`${proxy.name}: level 9 compresses more than level 1, the same page`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const backend = (server.address() as net.AddressInfo).port;
      const sizes: number[] = [];
      for (const level of [1, 9]) {
        const port = await freePort();
        const running = await proxy.start(config(level, port, backend), [port]);
        try {
          const body = await gzipped(port);
          expect(gunzipSync(body).toString()).toBe(PAGE);
          sizes.push(body.length);
        } finally {
          await running.stop();
        }
      }
      expect(sizes[1]!).toBeLessThan(sizes[0]!);
    }, 30000);
  }
});
