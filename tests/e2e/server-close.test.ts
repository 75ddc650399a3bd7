// How a proxy closes the server connections it is done with. HAProxy closes
// them with a TCP reset (SO_LINGER 0): under connection churn (`http-reuse
// safe` sends each session's first request on a connection of its own) a FIN
// close would leave a TIME_WAIT on the proxy's side for every request, a
// minute each, and every connect() after that searches a port among them.
// sluice does the same where its runtime sets SO_LINGER (Bun and the binary;
// Deno's connections have no such option and close with a FIN). Client
// connections are never reset: the response must reach the client.
import { afterAll, describe, expect, test } from "bun:test";
import type net from "node:net";
import { type Backend, freePort, tcpBackend } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

const REQUESTS = 20;
const BODY = "closed by a reset\n";

/** Sockets in TIME_WAIT matching an `ss` filter. */
function timeWaits(filter: string): number {
  const r = Bun.spawnSync(["ss", "-tnH", "state", "time-wait", filter]);
  return r.stdout.toString().split("\n").filter(Boolean).length;
}

/** An HTTP/1.1 server answering every request on a connection, keeping it open; records how each connection ended. */
function keepAliveServer(ends: string[]): (socket: net.Socket) => void {
  return (socket) => {
    let buffered = "";
    socket.on("data", (d) => {
      buffered += d.toString("latin1");
      for (let i = buffered.indexOf("\r\n\r\n"); i >= 0; i = buffered.indexOf("\r\n\r\n")) {
        buffered = buffered.slice(i + 4);
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
      }
    });
    socket.on("end", () => {
      ends.push("fin");
      socket.end();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => ends.push(e.code ?? "error"));
  };
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("server connections close with a reset", () => {
  for (const proxy of proxiesUnderTest()) {
    const resets = !proxy.name.includes("deno");
    test(`${proxy.name}: ${REQUESTS} Connection: close requests leave ${resets ? "no TIME_WAIT towards the server" : "the server's connections closed"}, every response whole`, async () => {
      const ends: string[] = [];
      const server = await tcpBackend(keepAliveServer(ends));
      backends.push(server);
      const port = await freePort();
      const config = [
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 10s",
        "    timeout server 10s",
        "frontend fe",
        `    bind 127.0.0.1:${port}`,
        "    default_backend be",
        "backend be",
        // No idle connection kept: each one is closed as its request ends.
        `    server s 127.0.0.1:${server.port} pool-max-conn 0`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [port]);
      try {
        const before = timeWaits(`( dport = :${server.port} )`);
        for (let i = 0; i < REQUESTS; i++) {
          const res = await fetch(`http://127.0.0.1:${port}/${i}`, { headers: { Connection: "close" }, keepalive: false });
          expect(res.status).toBe(200);
          expect(await res.text()).toBe(BODY);
        }
        const deadline = Date.now() + 5000;
        while (server.sockets.size > 0 && Date.now() < deadline) await Bun.sleep(20);
        expect(server.sockets.size).toBe(0);
        if (resets) {
          expect(timeWaits(`( dport = :${server.port} )`) - before).toBe(0);
          expect(ends.filter((e) => e === "ECONNRESET").length).toBeGreaterThanOrEqual(REQUESTS);
        } else {
          expect(ends.length).toBeGreaterThanOrEqual(REQUESTS);
        }
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
