// Certificates reload without dropping the listener: a Proxy in this process
// (Bun adapter, real sockets) serves a.test with one certificate; an HTTPS
// connection stays open while Frontend.reloadTls swaps in another (from
// another CA); the open connection keeps working, new connections see the
// new certificate, the listener never closed.
import { afterAll, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigFiles } from "../../src/config/load.ts";
import { Proxy } from "../../src/core/proxy.ts";
import { SinkPool } from "../../src/log/sink.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import { freePort } from "./harness.ts";
import { TestPki } from "../support/certs.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function config(dir: string, port: number, backendPort: number, pem: string): string {
  const file = join(dir, `reload-${Math.random().toString(36).slice(2)}.cfg`);
  writeFileSync(file, `global
    log /dev/null
defaults
    mode http
    timeout client 10s
frontend fe
    bind 127.0.0.1:${port} ssl crt ${pem}
    default_backend be
backend be
    server s 127.0.0.1:${backendPort}
`);
  return file;
}

/** Opens a TLS connection checked against `ca`; GET sends one keep-alive request and resolves with the body. */
function open(port: number, ca: string): Promise<{ socket: tls.TLSSocket; get(path: string): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "a.test", ca }, () => {
      let buffered = "";
      let waiter: ((body: string) => void) | undefined;
      socket.on("data", (d: Buffer) => {
        buffered += d.toString();
        const m = /\r\n\r\n([^]*)$/.exec(buffered);
        const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? -1);
        if (m && length >= 0 && m[1]!.length >= length) {
          const body = m[1]!.slice(0, length);
          buffered = "";
          waiter?.(body);
        }
      });
      resolve({
        socket,
        get: (path) =>
          new Promise((r) => {
            waiter = r;
            socket.write(`GET ${path} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
          }),
      });
    });
    socket.once("error", reject);
  });
}

test("Frontend.reloadTls: an open HTTPS connection goes on, new ones get the new certificate", async () => {
  const first = new TestPki();
  const second = new TestPki();
  const a1 = first.leaf("a1", { names: ["a.test"] });
  const a2 = second.leaf("a2", { names: ["a.test"] });
  const ca1 = readFileSync(first.caFile, "utf8");
  const ca2 = readFileSync(second.caFile, "utf8");
  const backend = http.createServer((req, res) => res.end(`ok ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => new Promise<void>((r) => backend.close(() => r())));
  const backendPort = (backend.address() as net.AddressInfo).port;
  const port = await freePort();

  const loaded = loadConfigFiles([config(first.dir, port, backendPort, a1.pem)]);
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  const proxy = new Proxy(loaded.config, bunRuntime, new SinkPool({ timers: bunRuntime }), { strictOwnership: true });
  await proxy.start();
  cleanups.push(() => proxy.stop(500));

  const before = await open(port, ca1);
  expect(await before.get("/1")).toBe("ok /1");

  const next = loadConfigFiles([config(second.dir, port, backendPort, a2.pem)]);
  if (!next.ok) throw new Error(next.errors.join("\n"));
  proxy.frontends[0]!.reloadTls(next.config.frontends[0]!.binds);

  // The open connection keeps its certificate and its keep-alive.
  expect(await before.get("/2")).toBe("ok /2");
  // New connections: the new certificate (verified by the new CA; the old CA no longer verifies it).
  const after = await open(port, ca2);
  expect(await after.get("/3")).toBe("ok /3");
  await expect(open(port, ca1)).rejects.toThrow();
  expect(await before.get("/4")).toBe("ok /4");
  before.socket.destroy();
  after.socket.destroy();
}, 30000);
