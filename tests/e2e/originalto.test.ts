// option originalto beside HAProxy 2.6 on the same haproxy.cfg: the address
// the client connected to, in X-Original-To after X-Forwarded-For; the
// backend's header name wins; none when that address is in an `except`
// network.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { captureServer } from "./capture-server.ts";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const capture = captureServer("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
const server = capture.server;
afterAll(() => server.close());

/** The added fields a request reached the server with, lower-case names. */
function added(request: string): string[] {
  return request.split("\r\n").slice(1).filter((l) => /^x-(forwarded-for|original-to|dst)\s*:/i.test(l)).map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()));
}

describe("option originalto against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: X-Original-To, its header name, except`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const srv = (server.address() as net.AddressInfo).port;
      const [plain, named, excepted] = [await freePort(), await freePort(), await freePort()];
      const running = await proxy.start(`
${httpDefaults()}frontend f1
    bind 127.0.0.1:${plain}
    option forwardfor
    option originalto
    default_backend b1
frontend f2
    bind 127.0.0.1:${named}
    option originalto
    default_backend b2
frontend f3
    bind 127.0.0.1:${excepted}
    option originalto except 127.0.0.0/8
    default_backend b1
backend b1
    server s 127.0.0.1:${srv}
backend b2
    option originalto header X-Dst
    server s 127.0.0.1:${srv}
`, [plain, named, excepted]);
      try {
        const seen: Record<string, string[]> = {};
        for (const [name, port] of [["plain", plain], ["named", named], ["excepted", excepted]] as const) {
          await new Promise<void>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
            s.on("data", () => {});
            s.on("close", () => resolve());
            s.on("error", () => resolve());
          });
          seen[name] = added(capture.last());
        }
        expect(seen).toEqual({
          plain: ["x-forwarded-for: 127.0.0.1", "x-original-to: 127.0.0.1"],
          named: ["x-dst: 127.0.0.1"],
          excepted: [],
        });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
