// %bi and %bp in an HTTP log line: the local address and port of the server
// connection the request went over, as the server saw them, beside HAProxy
// 2.6 for the same haproxy.cfg. Over HTTP/1.1 and HTTP/2 (`proto h2`) to the
// server, from a backend `source` address (loopback has many: the server sees
// which one), and "-" for a request that never reached a server. The
// start-up probe's connection, closed without a request, is logged
// <BADREQ> under the frontend's name: no backend was chosen for it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import { createServer as createH2Server, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** Each request's peer, as `address:port`, answered in the body too. */
const peers: string[] = [];
let h1: Server;
let h2: Http2Server;

beforeAll(async () => {
  h1 = createServer((req, res) => {
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    peers.push(peer);
    res.writeHead(200, { "content-type": "text/plain" }).end(peer);
  });
  h2 = createH2Server((req, res) => {
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    peers.push(peer);
    res.writeHead(200, { "content-type": "text/plain" }).end(peer);
  });
  await new Promise<void>((resolve) => h1.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
});

afterAll(() => {
  h1.close();
  h2.close();
});

const config = (port: number) => `global
    log stderr format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-format "SRC %HP %b/%s bi=%bi bp=%bp"
    use_backend over_h2 if { path_beg /h2 }
    use_backend nowhere if { path_beg /none }
    default_backend over_h1
backend over_h1
    source 127.0.0.4
    server s 127.0.0.1:${(h1.address() as AddressInfo).port}
backend over_h2
    source 127.0.0.5
    server s 127.0.0.1:${(h2.address() as AddressInfo).port} proto h2
backend nowhere
    http-request return status 204
`;

describe("%bi and %bp in an HTTP log line", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the server connection's local end, as the server saw it`, async () => {
      const port = await freePort();
      const running = await proxy.start(config(port), [port]);
      try {
        const seen: Record<string, string> = {};
        for (const path of ["/h1", "/h2", "/none"]) {
          const r = await fetch(`http://127.0.0.1:${port}${path}`);
          seen[path] = await r.text();
          expect(r.status).toBe(path === "/none" ? 204 : 200);
        }
        const lines = () => running.errLines().filter((l) => l.startsWith("SRC /"));
        await waitFor(() => lines().length >= 3, 5000, "three log lines");
        const line = (path: string) => lines().find((l) => l.startsWith(`SRC ${path} `));
        expect(seen["/h1"]).toStartWith("127.0.0.4:");
        expect(seen["/h2"]).toStartWith("127.0.0.5:");
        for (const [path, backend] of [["/h1", "over_h1"], ["/h2", "over_h2"]] as const) {
          const [address, sourcePort] = seen[path]!.split(":");
          expect(line(path)).toBe(`SRC ${path} ${backend}/s bi=${address} bp=${sourcePort}`);
        }
        expect(line("/none")).toBe("SRC /none nowhere/<NOSRV> bi=- bp=-");
        const refused = running.errLines().filter((l) => l.startsWith("SRC <BADREQ>"));
        expect(refused.length).toBeGreaterThanOrEqual(1);
        expect(new Set(refused)).toEqual(new Set(["SRC <BADREQ> fe/<NOSRV> bi=- bp=-"]));
      } finally {
        await running.stop();
      }
    });
  }
});
