// `option contstats` (issue 19) on a real sluice (Bun, Deno, the binary): the
// bytes of a long transfer, TCP and HTTP, show in the stats (;csv of a real
// stats listener) while it is still going; without the option they show at
// its end only, as HAProxy's counters do.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tcpBackend, type Backend, waitFor } from "./harness.ts";

const CHUNK = "x".repeat(10000);

/** The `;csv` rows by proxy and service name: their bytes out. */
async function bout(statsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${statsPort}/;csv`)).text();
  const [head, ...rows] = text.trim().split("\n");
  const columns = head!.slice(2).split(",");
  const at = (name: string) => columns.indexOf(name);
  return new Map(rows.map((r) => r.split(",")).map((c) => [`${c[at("pxname")]}/${c[at("svname")]}`, Number(c[at("bout")])]));
}

for (const target of selectedTargets()) {
  describe(`option contstats (${target.name})`, () => {
    let run: Run;
    let tcpServer: Backend;
    let httpServer: http.Server;
    const ports = { cont: 0, plain: 0, http: 0, stats: 0 };
    /** Sockets of the TCP backend and the HTTP responses it holds open. */
    const streaming: net.Socket[] = [];
    const responses: http.ServerResponse[] = [];

    beforeAll(async () => {
      for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
      tcpServer = await tcpBackend((s) => {
        streaming.push(s);
        s.write(CHUNK);
      });
      httpServer = http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.write(CHUNK);
        responses.push(res);
      });
      await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", () => r()));
      run = await startSluice(target, `defaults
    timeout connect 2s
    timeout client 20s
    timeout server 20s
listen cont
    mode tcp
    option contstats
    bind 127.0.0.1:${ports.cont}
    server s1 127.0.0.1:${tcpServer.port}
listen plain
    mode tcp
    bind 127.0.0.1:${ports.plain}
    server s1 127.0.0.1:${tcpServer.port}
listen web
    mode http
    option contstats
    bind 127.0.0.1:${ports.http}
    server w1 127.0.0.1:${(httpServer.address() as AddressInfo).port}
listen stats
    mode http
    bind 127.0.0.1:${ports.stats}
    stats enable
    stats uri /
`);
    });
    afterAll(async () => {
      if (run !== undefined) await stopSluice(run);
      for (const res of responses) res.destroy();
      await tcpServer?.close();
      httpServer?.close();
    });

    test("TCP: the bytes of a transfer under way are counted with contstats, at its end without", async () => {
      let got = { cont: 0, plain: 0 };
      const clients = (["cont", "plain"] as const).map((name) => {
        const c = net.connect({ port: ports[name], host: "127.0.0.1" });
        c.on("data", (d) => (got = { ...got, [name]: got[name] + d.length }));
        c.on("error", () => {});
        return c;
      });
      await waitFor(() => got.cont >= CHUNK.length && got.plain >= CHUNK.length, 5000, "the first chunks");
      // A second chunk on each, still open.
      for (const s of streaming) s.write(CHUNK);
      await waitFor(() => got.cont >= 2 * CHUNK.length && got.plain >= 2 * CHUNK.length, 5000, "the second chunks");
      const during = await bout(ports.stats);
      expect(during.get("cont/FRONTEND")).toBe(2 * CHUNK.length);
      expect(during.get("cont/BACKEND")).toBe(2 * CHUNK.length);
      expect(during.get("cont/s1")).toBe(2 * CHUNK.length);
      expect(during.get("plain/FRONTEND")).toBe(0);
      for (const c of clients) c.end();
      for (const s of streaming) s.end();
      await waitFor(() => clients.every((c) => c.closed), 5000, "the transfers to end");
      await sleep(100);
      const after = await bout(ports.stats);
      // At the end each counts every byte once.
      expect(after.get("cont/FRONTEND")).toBe(2 * CHUNK.length);
      expect(after.get("plain/FRONTEND")).toBe(2 * CHUNK.length);
      expect(after.get("plain/s1")).toBe(2 * CHUNK.length);
    });

    test("HTTP: a response's bytes are counted as they go, and once", async () => {
      const socket = net.connect({ port: ports.http, host: "127.0.0.1" });
      let got = 0;
      socket.on("data", (d) => (got += d.length));
      socket.write("GET /long HTTP/1.1\r\nHost: t\r\n\r\n");
      await waitFor(() => got > CHUNK.length, 5000, "the first chunk");
      const during = await bout(ports.stats);
      // The head and the first chunk (in its chunked framing) left for the client.
      expect(during.get("web/FRONTEND")).toBeGreaterThan(CHUNK.length);
      expect(during.get("web/w1")).toBe(during.get("web/FRONTEND"));
      responses[0]!.end(CHUNK);
      await waitFor(() => got > 2 * CHUNK.length, 5000, "the end");
      await sleep(100);
      const after = await bout(ports.stats);
      expect(after.get("web/FRONTEND")).toBe(got);
      expect(after.get("web/BACKEND")).toBe(got);
      socket.destroy();
    });
  });
}
