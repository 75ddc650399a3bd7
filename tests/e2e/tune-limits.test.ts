// tune.maxrewrite beside HAProxy 2.6, over real sockets: a received head may
// fill tune.bufsize less the rewrite reserve. With tune.bufsize 4096 and
// tune.maxrewrite 1024 a head of about 2 800 bytes passes and one of about
// 3 500 is refused by both proxies; with tune.maxrewrite 0 (the whole buffer)
// the 3 500-byte head passes too. (Measured edges: HAProxy 2.6 takes heads up
// to 3 004 and 4 028 bytes, its buffer's own 68 bytes of bookkeeping off;
// sluice up to 3 072 and 4 096.)
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** The status line's code of the answer to `request` on a new connection, or 0 when the connection closed without one. */
async function statusOf(port: number, request: string): Promise<number> {
  return await new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let text = "";
    const done = () => {
      socket.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
    };
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(request));
    socket.on("data", (d: string) => {
      text += d;
      if (text.includes("\r\n\r\n")) done();
    });
    socket.on("error", done);
    socket.on("close", done);
    setTimeout(done, 5000);
  });
}

/** A GET whose head is about `size` bytes (one long field). */
const headOf = (size: number) => `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(size - 40)}\r\nConnection: close\r\n\r\n`;

describe("tune.maxrewrite", () => {
  for (const proxy of proxiesUnderTest()) {
    for (const [maxrewrite, bigPasses] of [[1024, false], [0, true]] as const) {
      test(`${proxy.name}: tune.bufsize 4096, tune.maxrewrite ${maxrewrite}: a 2800-byte head passes, a 3500-byte one ${bigPasses ? "passes" : "is refused"}`, async () => {
        const backend = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
        const port = await freePort();
        const running = await proxy.start(`global
    tune.bufsize 4096
    tune.maxrewrite ${maxrewrite}
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    server s 127.0.0.1:${backend.port}
`, [port]);
        try {
          expect(await statusOf(port, headOf(2800))).toBe(200);
          const big = await statusOf(port, headOf(3500));
          if (bigPasses) expect(big).toBe(200);
          else expect(big === 0 || big >= 400).toBe(true);
        } finally {
          await running.stop();
          backend.stop(true);
        }
      });
    }
  }
});
