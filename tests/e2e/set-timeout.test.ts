// `http-request set-timeout server|tunnel` beside HAProxy 2.6 on the same
// haproxy.cfg: a backend's rule shortens this stream's `timeout server`
// (504, sH-- in the log), a constant or a sample's integer in ms (0, or no
// integer, leaves it as it was), and `tunnel` reaches a WebSocket's
// tunnel once upgraded.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

// Answers after 600 ms; `/ws` upgrades and then stays silent.
const server = http.createServer((_req, res) => setTimeout(() => res.end("slow"), 600));
// RFC 6455's sample key and its accept value (HAProxy checks both).
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
server.on("upgrade", (_req, socket) => {
  socket.on("error", () => {});
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: ${ACCEPT}\r\n\r\n`);
});
afterAll(() => server.close());

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers: { connection: "close", ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.statusCode)));
    });
    req.on("error", () => resolve("error"));
  });
}

/** A WebSocket upgrade, then silence: how long until the proxy closes the tunnel (ms, bucketed). */
function tunnelLife(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const started = performance.now();
    const s = net.connect(port, "127.0.0.1", () =>
      s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: ${KEY}\r\nsec-websocket-version: 13\r\n\r\n`));
    s.on("data", () => {});
    s.on("error", () => {});
    s.on("close", () => resolve(performance.now() - started < 1500 ? "closed early" : "kept"));
    setTimeout(() => s.destroy(), 3000);
  });
}

describe("http-request set-timeout against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the stream's timeout server and tunnel`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = await freePort();
      const running = await proxy.start(`
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout tunnel 5s
    log stderr format raw local0
    log-format "%HP %ST %tsc"
    option dontlognull
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    http-request set-timeout server 200ms if { path /short }
    http-request set-timeout server req.hdr(x-t) if { req.hdr(x-t) -m found }
    http-request set-timeout tunnel 300ms if { path /ws-short }
    server s 127.0.0.1:${(server.address() as net.AddressInfo).port}
`, [port]);
      try {
        const statuses = {
          short: await get(port, "/short"),
          long: await get(port, "/long"),
          header300: await get(port, "/h300", { "x-t": "300" }),
          headerUnit: await get(port, "/hunit", { "x-t": "1s" }),
          headerZero: await get(port, "/hzero", { "x-t": "0" }),
          headerText: await get(port, "/htext", { "x-t": "abc" }),
          tunnelShort: await tunnelLife(port, "/ws-short"),
          tunnel: await tunnelLife(port, "/ws"),
        };
        await waitFor(() => running.errLines().filter((l) => l.startsWith("/")).length >= 6, 5000, "the log lines");
        const seen = { statuses, log: running.errLines().filter((l) => l.startsWith("/h") || l.startsWith("/s") || l.startsWith("/l")) };
        expect(statuses).toEqual({
          short: "504", long: "200", header300: "504", headerUnit: "504", headerZero: "200", headerText: "200",
          tunnelShort: "closed early", tunnel: "kept",
        });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
