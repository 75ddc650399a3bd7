// http-request reject beside HAProxy 2.6: the connection closes without an
// answer and the log says PR--; the other requests are served. Over HTTP/2,
// what the client sees of it must be HAProxy's too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FrameType } from "../../src/http2/constants.ts";
import { H2RawClient } from "../support/h2-raw-client.ts";
import { codeName, errorCodeOf } from "../support/h2-raw-frames.ts";
import { freePort, sleep } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

function raw(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    const timer = setTimeout(() => (s.destroy(), resolve(`${out}<open>`)), 2000);
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => (clearTimeout(timer), resolve(out)));
    s.on("error", () => undefined);
    s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

describe("http-request reject against HAProxy 2.6", () => {
  let app: Server;
  const answers = new Map<string, unknown>();
  beforeAll(async () => {
    app = createServer((_req, res) => res.end("ok\n"));
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  });
  afterAll(() => app?.close());

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: no answer, the connection closed, logged PR--`, async () => {
      const [port, h2port] = [await freePort(), await freePort()];
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${h2port} proto h2
    log stderr format raw local0
    log-format "%ST %tsc %HP"
    http-request reject if { path /bad }
    default_backend app

backend app
    server s1 127.0.0.1:${(app.address() as AddressInfo).port}
`, [port, h2port]);
      try {
        const bad = await raw(port, "/bad");
        const good = (await raw(port, "/good")).split("\r\n")[0];
        const client = await H2RawClient.connect(h2port);
        await client.handshake();
        client.sendHeaders(1, [[":method", "GET"], [":scheme", "http"], [":authority", "x"], [":path", "/bad"]]);
        await client.until((f) => (f.streamId === 1 && f.type === FrameType.RST_STREAM) || f.type === FrameType.GOAWAY, 2000);
        await sleep(100);
        const h2 = client.frames.filter((f) => f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY || f.streamId === 1)
          .map((f) => `${f.type === FrameType.GOAWAY ? "GOAWAY" : f.type === FrameType.RST_STREAM ? "RST" : f.type}:${codeName(errorCodeOf(f))}`);
        client.close();
        await sleep(200);
        const lines = [...new Set(running.errLines().filter((l) => /^\d+ \S+ \//.test(l) || l.startsWith("-1 ")))];
        const answer = { bad, good, h2, logged: lines.filter((l) => l.endsWith(" /bad")) };
        expect(answer.bad).toBe("");
        expect(answer.good).toBe("HTTP/1.1 200 OK");
        expect(answer.logged[0]).toMatch(/^-1 PR-- \/bad$/);
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
