// capture.req.method, capture.req.uri, capture.req.ver and capture.res.ver
// beside HAProxy 2.6 on the same haproxy.cfg: the request line as received
// (a rule's set-path leaves them; an absolute-form target from
// its first slash), and the server's response version.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const server = http.createServer((_req, res) => res.end("ok"));
afterAll(() => server.close());

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(request));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got));
    s.on("error", () => resolve(got));
  });
}

describe("capture.req.* and capture.res.ver against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the request line as received, the response's version`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend f
    bind 127.0.0.1:${port}
    http-request set-path /changed
    http-request return status 200 content-type text/plain lf-string "%[capture.req.method] %[capture.req.uri] %[capture.req.ver] %[path]" if { capture.req.uri -m beg /local }
    http-response set-header x-ver %[capture.res.ver]
    default_backend b
backend b
    server s 127.0.0.1:${(server.address() as net.AddressInfo).port}
`, [port]);
      try {
        const local = await raw(port, "GET /local/a?b=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        const absolute = await raw(port, "GET http://x/local/abs HTTP/1.0\r\nhost: x\r\n\r\n");
        const forwarded = await raw(port, "GET /via HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        const seen = {
          local: local.split("\r\n\r\n")[1],
          absolute: absolute.split("\r\n\r\n")[1],
          version: /\r\nx-ver: ([^\r]*)/i.exec(forwarded)?.[1] ?? "none",
        };
        expect(seen).toEqual({ local: "GET /local/a?b=1 HTTP/1.1 /changed", absolute: "GET /local/abs HTTP/1.0 /changed", version: "HTTP/1.1" });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
