// HEAD answered by sluice itself beside HAProxy 2.6: a rule's deny and
// return, a 503 with no server, a 502 from a server that speaks garbage,
// each followed on the same keep-alive connection by a GET. The answers to
// HEAD carry the head alone (the GET's Content-Length), so the next
// response starts where the client expects it; over HTTP/2 too.
import { httpDefaults } from "./http-defaults.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FrameType } from "../../src/http2/constants.ts";
import { H2RawClient } from "../support/h2-raw-client.ts";
import { freePort } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** Writes `text` on one connection; everything read until `ms` pass or the peer closes. */
function exchange(port: number, text: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    const timer = setTimeout(() => (s.destroy(), resolve(out)), ms);
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => (clearTimeout(timer), resolve(out)));
    s.on("error", () => undefined);
    s.write(text);
  });
}

/** Status lines and bodies of the responses in `raw`, the HEAD ones taking no body. */
function responses(raw: string, methods: string[]): string[] {
  const out: string[] = [];
  let rest = raw;
  for (const method of methods) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const bodyLength = method === "HEAD" ? 0 : length;
    out.push(`${head.split("\r\n")[0]} len=${length} body=${JSON.stringify(rest.slice(end + 4, end + 4 + bodyLength).slice(0, 20))}`);
    rest = rest.slice(end + 4 + bodyLength);
  }
  if (rest.length > 0) out.push(`left over: ${JSON.stringify(rest.slice(0, 40))}`);
  return out;
}

describe("HEAD answered by the proxy itself, against HAProxy 2.6", () => {
  let app: Server;
  let garbage: net.Server;
  const answers = new Map<string, unknown>();

  beforeAll(async () => {
    app = createServer((_req, res) => res.end("app\n"));
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    garbage = net.createServer((s) => s.end("not http at all\r\n\r\n"));
    await new Promise<void>((r) => garbage.listen(0, "127.0.0.1", r));
  });
  afterAll(() => {
    app?.close();
    garbage?.close();
  });

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the head alone, the connection kept in step`, async () => {
      const [port, h2port] = [await freePort(), await freePort()];
      const running = await proxy.start(`
${httpDefaults({ retries: 0 })}frontend fe
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${h2port} proto h2
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string "returned\\n" if { path /ret }
    use_backend down if { path /down }
    use_backend junk if { path /junk }
    default_backend app

backend app
    server s1 127.0.0.1:${(app.address() as AddressInfo).port}

backend down
    server s1 127.0.0.1:1

backend junk
    server s1 127.0.0.1:${(garbage.address() as net.AddressInfo).port}
`, [port, h2port]);
      try {
        const req = (method: string, path: string) => `${method} ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;
        const sequence: [string, string][] = [["HEAD", "/deny"], ["GET", "/ok"], ["HEAD", "/ret"], ["GET", "/ok"], ["HEAD", "/down"], ["GET", "/ok"]];
        const raw = await exchange(port, sequence.map(([m, p]) => req(m, p)).join(""));
        const h1 = responses(raw, sequence.map(([m]) => m));
        const junk = responses(await exchange(port, req("HEAD", "/junk")), ["HEAD"]);
        // HTTP/2: a HEAD's answer is its HEADERS, ending the stream (content-length the GET's), no DATA.
        const client = await H2RawClient.connect(h2port);
        await client.handshake();
        const h2: string[] = [];
        let id = 1;
        for (const path of ["/deny", "/ret", "/down"]) {
          client.sendHeaders(id, [[":method", "HEAD"], [":scheme", "http"], [":authority", "x"], [":path", path]]);
          const r = await client.expectResponse(id);
          h2.push(`${r.status} len=${r.headers.find(([n]) => n === "content-length")?.[1] ?? "-"} data=${client.frames.filter((f) => f.streamId === id && f.type === FrameType.DATA && f.payload.length > 0).length}`);
          id += 2;
        }
        client.close();
        const answer = { h1, junk, h2 };
        expect(answer).toEqual({
          h1: [
            'HTTP/1.1 403 Forbidden len=93 body=""',
            'HTTP/1.1 200 OK len=4 body="app\\n"',
            'HTTP/1.1 200 OK len=9 body=""',
            'HTTP/1.1 200 OK len=4 body="app\\n"',
            'HTTP/1.1 503 Service Unavailable len=107 body=""',
            'HTTP/1.1 200 OK len=4 body="app\\n"',
          ],
          junk: ['HTTP/1.1 502 Bad Gateway len=107 body=""'],
          h2: ["403 len=93 data=0", "200 len=9 data=0", "503 len=107 data=0"],
        });
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
