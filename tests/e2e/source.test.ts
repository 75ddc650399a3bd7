// A backend's `source ADDR[:PORT]` (the corpus file
// haproxy-example-transparent_proxy.cfg writes `source 0.0.0.0 usesrc
// client`, refused with its reason): connections to its servers, and their
// health checks, go from that local address (and port). Loopback has many
// addresses (127.0.0.0/8), so a server sees which one it was reached from.
// HAProxy 2.6 and sluice alike, in mode tcp and http.
import { afterAll, describe, expect, test } from "bun:test";
import { type Backend, exchange, freePort, tcpBackend, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** A server that tells each peer its address (and an HTTP answer for a request). */
function peerBackend(): Promise<Backend & { peers: string[] }> {
  const peers: string[] = [];
  return tcpBackend((s) => {
    // A health check may be reset (HAProxy's are) before the server's accept
    // callback runs; such a socket no longer knows its peer and is not counted.
    if (s.remoteAddress !== undefined) peers.push(`${s.remoteAddress}:${s.remotePort}`);
    // A peer that leaves without a word (the start-up probes' sessions) is left too.
    s.on("end", () => s.end());
    s.on("data", (d: Buffer) => {
      const body = `${s.remoteAddress}`;
      s.end(d.toString().startsWith("GET") ? `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}` : body);
    });
  }).then((b) => Object.assign(b, { peers }));
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("source", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: traffic and checks leave from the source address (and port)`, async () => {
      const [tcpServer, httpServer, checked] = [await peerBackend(), await peerBackend(), await peerBackend()];
      backends.push(tcpServer, httpServer, checked);
      const [tcpPort, httpPort, checkPort, sourcePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const config = [
        "defaults",
        "    timeout connect 2s",
        "    timeout client 10s",
        "    timeout server 10s",
        "    source 127.0.0.2",
        "listen raw",
        "    mode tcp",
        `    bind 127.0.0.1:${tcpPort}`,
        `    server s 127.0.0.1:${tcpServer.port}`,
        "listen web",
        "    mode http",
        `    source 127.0.0.3:${sourcePort}`,
        `    bind 127.0.0.1:${httpPort}`,
        `    server s 127.0.0.1:${httpServer.port}`,
        "listen checked",
        "    mode tcp",
        `    bind 127.0.0.1:${checkPort}`,
        `    server s 127.0.0.1:${checked.port} check inter 300`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [tcpPort, httpPort, checkPort]);
      try {
        const raw = await exchange(tcpPort, "hello", { end: false, timeoutMs: 3000 });
        expect(raw.data.toString()).toBe("127.0.0.2");
        const web = await exchange(httpPort, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        expect(web.data.toString()).toEndWith("\r\n\r\n127.0.0.3");
        expect(httpServer.peers).toEqual([`127.0.0.3:${sourcePort}`]);
        await waitFor(() => checked.peers.length >= 1, 5000, "a health check");
        expect(new Set(checked.peers.map((p) => p.split(":")[0]))).toEqual(new Set(["127.0.0.2"]));
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
