// http-request early-hint beside HAProxy 2.6: a 103 Early Hints with the
// rules' fields goes before the server's answer, over HTTP/1.1 and HTTP/2;
// an HTTP/1.0 client gets none.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { H2RawClient } from "../support/h2-raw-client.ts";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    s.write(request);
  });
}

/** Status lines and lower-cased fields of the heads in `answer` (bodies aside). */
function heads(answer: string): string[] {
  return answer.split("\r\n\r\n").filter((h) => h.startsWith("HTTP/")).map((h) => {
    const [status, ...fields] = h.split("\r\n");
    return [status, ...fields.map((f) => f.toLowerCase()).filter((f) => f.startsWith("link:"))].join("|");
  });
}

describe("http-request early-hint against HAProxy 2.6", () => {
  let app: Server;
  const answers = new Map<string, unknown>();
  beforeAll(async () => {
    app = createServer((_req, res) => res.end("page\n"));
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  });
  afterAll(() => app?.close());

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: a 103 with the links, then the answer`, async () => {
      const [port, h2port] = [await freePort(), await freePort()];
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${h2port} proto h2
    http-request early-hint Link "</style.css>; rel=preload; as=style" if { path /page }
    http-request early-hint Link "</app.js>; rel=preload; as=script" if { path /page }
    default_backend app

backend app
    server s1 127.0.0.1:${(app.address() as AddressInfo).port}
`, [port, h2port]);
      try {
        const h11 = heads(await raw(port, "GET /page HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
        const h10 = heads(await raw(port, "GET /page HTTP/1.0\r\n\r\n"));
        const client = await H2RawClient.connect(h2port);
        await client.handshake();
        client.sendHeaders(1, [[":method", "GET"], [":scheme", "http"], [":authority", "x"], [":path", "/page"]]);
        const r = await client.expectResponse(1);
        client.close();
        const h2 = { status: r.status, informational: r.informational.map((f) => f.filter(([n]) => n === ":status" || n === "link").map(([n, v]) => `${n}: ${v}`)) };
        const answer = { h11, h10, h2 };
        expect(answer).toEqual({
          // One 103 per rule, as HAProxy 2.6 sends them.
          h11: [
            "HTTP/1.1 103 Early Hints|link: </style.css>; rel=preload; as=style",
            "HTTP/1.1 103 Early Hints|link: </app.js>; rel=preload; as=script",
            "HTTP/1.1 200 OK",
          ],
          h10: ["HTTP/1.1 200 OK"],
          h2: { status: 200, informational: [[":status: 103", "link: </style.css>; rel=preload; as=style"], [":status: 103", "link: </app.js>; rel=preload; as=script"]] },
        });
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
