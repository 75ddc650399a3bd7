// `option abortonclose`: a request whose client shut its side (FIN) while the
// request waits in the queue is dropped, never sent to the server; without
// the option it is still served. HAProxy and sluice, side by side.
import { afterAll, describe, expect, test } from "bun:test";
import { type Backend, exchange, freePort, sleep, tcpBackend, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: corpus.test\r\nConnection: close\r\n\r\n`;

describe("option abortonclose", () => {
  for (const proxy of proxiesUnderTest()) {
    for (const abort of [true, false]) {
      test(`${proxy.name}: ${abort ? "with" : "without"} it, a queued request whose client left is ${abort ? "dropped" : "served"}`, async () => {
        // One slot on the server, held by the first request until released.
        let release!: () => void;
        const released = new Promise<void>((r) => (release = r));
        const paths: string[] = [];
        const server = await tcpBackend((s) =>
          s.once("data", async (d: Buffer) => {
            paths.push(d.toString().split(" ")[1]!);
            await released;
            s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
          })
        );
        backends.push(server);
        const port = await freePort();
        const config = [
          "defaults",
          "    mode http",
          "    timeout connect 2s",
          "    timeout client 10s",
          "    timeout server 10s",
          "    timeout queue 10s",
          "listen web",
          `    bind 127.0.0.1:${port}`,
          ...(abort ? ["    option abortonclose"] : []),
          `    server s 127.0.0.1:${server.port} maxconn 1`,
          "",
        ].join("\n");
        const run = await proxy.start(config, [port]);
        try {
          const first = exchange(port, request("/first"), { end: false, timeoutMs: 8000 });
          await waitFor(() => paths.length === 1, 5000, "the first request at the server");
          // The second waits in the queue; its client sends it and shuts its side at once.
          const second = exchange(port, request("/second"), { end: true, timeoutMs: 8000 });
          await sleep(300);
          release();
          const [a, b] = [await first, await second];
          await sleep(200);
          expect({ proxy: proxy.name, paths, first: a.data.toString().endsWith("ok"), second: b.data.toString().endsWith("ok") }).toEqual({
            proxy: proxy.name,
            paths: abort ? ["/first"] : ["/first", "/second"],
            first: true,
            second: !abort,
          });
        } finally {
          release();
          await run.stop();
        }
      }, 30000);
    }
  }
});
