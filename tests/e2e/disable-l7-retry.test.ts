// `http-request disable-l7-retry` beside HAProxy 2.6 on the same
// haproxy.cfg: a request the action marks is sent once whatever retry-on
// says of the answer (503, an empty response), while one it does not mark
// is sent again, as retry-on asks.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** Counts the requests it reads; answers 503 to /busy..., closes without a word on /empty... */
let seen: string[] = [];
const server = net.createServer((socket) => {
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return;
    const path = text.split(" ")[1] ?? "";
    text = "";
    seen.push(path);
    if (path.includes("empty")) return socket.destroy();
    socket.write("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy");
  });
  socket.on("error", () => {});
});
afterAll(() => server.close());

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got.slice(0, 12)));
    s.on("error", () => resolve(got.slice(0, 12)));
  });
}

describe("http-request disable-l7-retry against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: marked requests are not sent again for their answer`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = await freePort();
      const running = await proxy.start(`
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    http-request disable-l7-retry if { path_beg /once }
    default_backend b
backend b
    retries 2
    retry-on 503 empty-response conn-failure
    server s 127.0.0.1:${(server.address() as net.AddressInfo).port}
`, [port]);
      try {
        const result: Record<string, unknown> = {};
        for (const path of ["/again/busy", "/once/busy", "/again/empty", "/once/empty"]) {
          seen = [];
          const status = await get(port, path);
          result[path] = { status, sent: seen.length };
        }
        expect(result).toEqual({
          "/again/busy": { status: "HTTP/1.1 503", sent: 3 },
          "/once/busy": { status: "HTTP/1.1 503", sent: 1 },
          "/again/empty": { status: "HTTP/1.1 502", sent: 3 },
          "/once/empty": { status: "HTTP/1.1 502", sent: 1 },
        });
        expectSameAsHaproxy(answers, proxy.name, result);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
