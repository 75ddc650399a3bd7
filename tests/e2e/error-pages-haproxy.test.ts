// The responses a proxy writes itself, beside HAProxy 2.6's for the same
// haproxy.cfg: `http-request deny deny_status N` for every status HAProxy has
// a message for, a 503 (no server answers), a 504 (`timeout server`) and a 400
// (a bad request). The status line and the page are the same, with their
// type, length and cache-control; and the connection stays after a 503, a 504
// or a deny for the next request on it, as HAProxy keeps it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { exchange, freePort } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

const STATUSES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

/** A server that takes connections and never answers. */
let silent: net.Server;
let silentPort = 0;
beforeAll(async () => {
  silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(() => silent.close());

const config = (port: number, dead: number) => [
  "defaults",
  "  mode http",
  "  timeout connect 1s",
  "  timeout client 5s",
  "  timeout server 300ms",
  "frontend fe",
  `  bind 127.0.0.1:${port}`,
  ...STATUSES.map((s) => `  http-request deny deny_status ${s} if { path /deny/${s} }`),
  "  use_backend silent if { path /silent }",
  "  default_backend down",
  "backend down",
  "  retries 0",
  `  server s1 127.0.0.1:${dead}`,
  "backend silent",
  `  server s1 127.0.0.1:${silentPort}`,
  "",
].join("\n");

interface Page { statusLine: string; fields: Map<string, string>; body: string }

/** Two requests on one connection, the second once the first was answered: the status lines that came back. */
async function twoOnOne(port: number, first: string, second: string): Promise<string[]> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  let got = "";
  socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
  let closed = false;
  socket.once("close", () => (closed = true));
  await new Promise<void>((r) => socket.once("connect", () => r()));
  // Each page ends with </html>; the second request goes once the first page came (a keep-alive client's order).
  const pages = (n: number) => got.split("</html>").length - 1 >= n || closed;
  socket.write(`GET ${first} HTTP/1.1\r\nhost: x\r\n\r\n`);
  for (const end = Date.now() + 3000; !pages(1) && Date.now() < end; ) await Bun.sleep(10);
  if (!closed) socket.write(`GET ${second} HTTP/1.1\r\nhost: x\r\n\r\n`);
  for (const end = Date.now() + 3000; !pages(2) && Date.now() < end; ) await Bun.sleep(10);
  socket.destroy();
  return got.split(/\r?\n/).filter((l) => l.startsWith("HTTP/1.1 "));
}

function parse(raw: string): Page {
  const end = raw.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const fields = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
  return { statusLine: statusLine!, fields, body: raw.slice(end + 4) };
}

async function pages(start: (config: string, ports: number[]) => Promise<{ stop(): Promise<void> }>): Promise<Map<string, Page>> {
  const port = await freePort();
  const running = await start(config(port, await freePort()), [port]);
  try {
    const out = new Map<string, Page>();
    const get = async (path: string) => parse((await exchange(port, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`, { end: false, timeoutMs: 3000 })).data.toString("latin1"));
    for (const s of STATUSES) out.set(`deny ${s}`, await get(`/deny/${s}`));
    out.set("no server", await get("/none"));
    out.set("server timeout", await get("/silent"));
    out.set("bad request", parse((await exchange(port, "GET /bad\x01 HTTP/1.1\r\nhost: x\r\n\r\n", { end: false, timeoutMs: 3000 })).data.toString("latin1")));
    for (const first of ["/none", "/silent", "/deny/403"]) {
      const lines = await twoOnOne(port, first, "/deny/200");
      out.set(`${first} then another`, { statusLine: lines.join(" | "), fields: new Map(), body: "" });
    }
    return out;
  } finally {
    await running.stop();
  }
}

let reference: Map<string, Page> | undefined;

describe("the pages a proxy writes itself", () => {
  for (const proxy of proxiesUnderTest().filter((p) => p.name !== "haproxy")) {
    test(`${proxy.name}: HAProxy 2.6's status lines and pages, with their type, length and cache-control`, async () => {
      const [haproxy] = proxiesUnderTest().filter((p) => p.name === "haproxy");
      reference ??= await pages((c, p) => haproxy!.start(c, p));
      const ours = await pages((c, p) => proxy.start(c, p));
      expect([...ours.keys()]).toEqual([...reference.keys()]);
      for (const [what, theirs] of reference) {
        const mine = ours.get(what)!;
        expect(`${what}: ${mine.statusLine}`).toBe(`${what}: ${theirs.statusLine}`);
        expect(`${what}: ${mine.body}`).toBe(`${what}: ${theirs.body}`);
        for (const field of ["content-type", "content-length", "cache-control"]) {
          expect(`${what} ${field}: ${mine.fields.get(field)}`).toBe(`${what} ${field}: ${theirs.fields.get(field)}`);
        }
      }
      expect(reference.get("no server")!.statusLine).toBe("HTTP/1.1 503 Service Unavailable");
      expect(reference.get("server timeout")!.statusLine).toBe("HTTP/1.1 504 Gateway Time-out");
      expect(ours.get("/none then another")!.statusLine).toBe("HTTP/1.1 503 Service Unavailable | HTTP/1.1 200 OK");
      expect(ours.get("/silent then another")!.statusLine).toBe("HTTP/1.1 504 Gateway Time-out | HTTP/1.1 200 OK");
    }, 60000);
  }
});
