// `show errors` beside HAProxy 2.6 on the same haproxy.cfg: each proxy gets
// the same refused messages — a request with a bad header name, a server's
// response with one, a long request with control bytes in its target (a
// `listen` section) — then its stats socket is asked `show errors` with and
// without a proxy and a side. The answers must be HAProxy's byte for byte,
// but for what differs by nature (dates, client ports), HAProxy's three
// lines on its H1 parser's internal flags, and `wraps at` (HAProxy's buffer
// less its 48-byte HTX header; sluice's head limit, tune.bufsize).
import { afterAll, describe, expect, test } from "bun:test";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

/** One connection to a UNIX stats socket: the whole answer to `line`. */

/** Sends raw bytes on a new connection and waits for the answer's first line (or the close). */
function send(port: number, bytes: Uint8Array | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let got = "";
    s.setEncoding("latin1");
    s.on("data", (d: string) => (got += d));
    s.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
    s.on("error", reject);
    s.setTimeout(5000, () => s.destroy());
    s.write(bytes);
  });
}

/** A server whose every response has a header line without a colon. */
async function badServer(): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((c) => {
    c.once("data", () => c.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\r\n\r\nok"));
    c.on("error", () => {});
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

/** What may differ by nature, made alike. */
function normalized(text: string): string {
  return text
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, "[DATE]")
    .replace(/src 127\.0\.0\.1:\d+/g, "src 127.0.0.1:PORT")
    .replace(/wraps at \d+/g, "wraps at W")
    .split("\n")
    .filter((l) => !l.startsWith("  H1 "))
    .join("\n");
}

const LONG_BAD = Buffer.concat([
  Buffer.from("GET /" + "a".repeat(100)),
  Buffer.from([0x01, 0x7f, 0xff]),
  Buffer.from('"\\ HTTP/1.1\r\nHost: x\tz\r\nX: ' + "b".repeat(90) + "\r\nBad Header\r\n\r\n"),
]);

/** The questions, all asked of each proxy after the same traffic. */
const QUESTIONS = [
  "show errors", "show errors fe", "show errors be", "show errors fe request", "show errors fe response", "show errors both response",
  "show errors #2", "show errors 4", "show errors -1 request", "show errors 99", "show errors #99", "show errors nope", "show errors 0",
  "show errors request", "help show errors",
];

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const reference = new Map<string, string>();

for (const proxy of proxiesUnderTest()) {
  describe(`show errors (${proxy.name})`, () => {
    let running: RunningProxy;
    let api: string;
    let user: string;
    let web: number;
    let listen: number;

    test("starts; refuses a bad request, a bad response, a long bad request", async () => {
      const server = await badServer();
      cleanups.push(() => server.close());
      web = await freePort();
      listen = await freePort();
      const dir = tempDir();
      api = join(dir, "api.sock");
      user = join(dir, "user.sock");
      running = await proxy.start(`global
    stats socket ${api} level admin
    stats socket ${user} level user
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${web}
    default_backend be
backend be
    server s1 127.0.0.1:${server.port}
backend spare
    server s9 127.0.0.1:${server.port}
listen both
    bind 127.0.0.1:${listen}
    server b1 127.0.0.1:${server.port}
`, [web, listen]);
      cleanups.push(() => running.stop());
      expect(await ask(api, "show errors")).toMatch(/^Total events captured on \[[^\]]+\] : 0\n\n$/);
      expect(await send(web, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")).toBe("HTTP/1.1 400 Bad request");
      expect(await send(web, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).toBe("HTTP/1.1 502 Bad Gateway");
      expect(await send(listen, LONG_BAD)).toBe("HTTP/1.1 400 Bad request");
    }, 30000);

    test("operator level: a user socket is refused", async () => {
      expect(await ask(user, "show errors")).toBe("Permission denied\n\n");
    });

    test("the answers are HAProxy's", async () => {
      const all = await ask(api, "show errors");
      expect(all).toContain("frontend fe (#2): invalid request\n  backend <NONE> (#-1), server <NONE> (#-1), event #0, src 127.0.0.1:");
      expect(all).toContain("backend be (#3): invalid response\n  frontend fe (#2), server s1 (#1), event #1, src 127.0.0.1:");
      if (proxy !== haproxy) expect(all).toContain("len 52, wraps at 16384, error at position 39\n");
      for (const q of QUESTIONS) {
        const answer = normalized(await ask(api, q));
        if (proxy === haproxy) reference.set(q, answer);
        else expect([q, answer]).toEqual([q, reference.get(q)!]);
      }
    }, 30000);
  });
}
