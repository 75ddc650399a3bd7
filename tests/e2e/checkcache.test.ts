// `option checkcache` beside HAProxy 2.6 on the same haproxy.cfg: which
// server responses are refused (a shared cache could keep them, with the
// server's Set-Cookie in them: the method, the status, Pragma, each
// Cache-Control value, an expiry or a validator), and the denied-response
// counters of the frontend, the backend and the server. And `cookie …
// nocache`, which reads the same cacheability: `Cache-control: private`
// only on a response a cache could keep (its status too).
//
// What differs, on purpose (docs/compatibility.md): HAProxy 2.6.12 answers
// a refused response with its own page for the server's status (200:
// "Service ready."; the status is never set to 502) and logs no line; sluice
// answers the 502 HAProxy's documentation names, and logs it (PH--). Here a
// response counts as refused when the server's body did not reach the client.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

// Answers "from the server" with the status and fields its query spells (`st`: the status).
const server = http.createServer((req, res) => {
  const query = new URL(req.url ?? "/", "http://x").searchParams;
  res.statusCode = Number(query.get("st") ?? 200);
  const fields = new Map<string, string[]>();
  for (const [k, v] of query) if (k !== "st") fields.set(k, [...(fields.get(k) ?? []), v]);
  for (const [k, v] of fields) res.setHeader(k, v);
  res.end(res.statusCode === 204 || req.method === "HEAD" ? undefined : "from the server");
});
afterAll(() => server.close());

function send(port: number, method: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(`${method} ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got));
    s.on("error", () => resolve(got));
  });
}

const q = (fields: Record<string, string | string[]>, status?: number): string =>
  "/?" + [...Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${encodeURIComponent(x)}`)), ...(status === undefined ? [] : [`st=${status}`])].join("&");

const SC = { "set-cookie": "a=1" };
const CASES: [method: string, path: string][] = [
  ["GET", q(SC)],
  ["GET", q({ ...SC, "cache-control": "max-age=60" })],
  ["GET", q({ ...SC, etag: '"x"' })],
  ["GET", q({ ...SC, expires: "Thu, 01 Jan 2037 00:00:00 GMT" })],
  ["GET", q({ ...SC, "last-modified": "Thu, 01 Jan 2026 00:00:00 GMT" })],
  ["GET", q({ "cache-control": "max-age=60" })],
  ["GET", q({ ...SC, "cache-control": "public" })],
  ["GET", q({ ...SC, "cache-control": "max-age=60" }, 302)],
  ["GET", q({ ...SC, "cache-control": "max-age=60" }, 404)],
  ["GET", q({ ...SC, "cache-control": "max-age=60" }, 500)],
  ["GET", q({ ...SC, "cache-control": "private, max-age=60" })],
  ["GET", q({ ...SC, "cache-control": "max-age=60, private" })],
  ["GET", q({ ...SC, "cache-control": 'no-cache="set-cookie", max-age=60' })],
  ["GET", q({ ...SC, "cache-control": ['no-cache="set-cookie"', "max-age=60"] })],
  ["GET", q({ ...SC, "cache-control": "max-age=60", pragma: "no-cache" })],
  ["GET", q({ ...SC, "cache-control": "max-age=0" })],
  ["GET", q({ ...SC, "cache-control": "public, max-age=60" })],
  ["POST", q({ ...SC, "cache-control": "max-age=60" })],
  ["POST", q({ ...SC, "cache-control": "public, max-age=60" })],
  ["OPTIONS", q({ ...SC, "cache-control": "max-age=60" })],
  ["PUT", q({ ...SC, "cache-control": "public" })],
];

describe("option checkcache and cookie nocache against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the responses refused, the counters, Cache-control: private`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const [check, nocache] = [await freePort(), await freePort()];
      const socket = join(tempDir(), "stats.sock");
      const target = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const running = await proxy.start(`
global
    stats socket ${socket} level admin
${httpDefaults()}frontend check
    bind 127.0.0.1:${check}
    default_backend cached
frontend nocache
    bind 127.0.0.1:${nocache}
    default_backend persist
backend cached
    option checkcache
    server s ${target}
backend persist
    cookie SRV insert nocache
    server p ${target} cookie p1
`, [check, nocache]);
      try {
        const refused: string[] = [];
        const refusedStatuses = new Set<string>();
        for (const [method, path] of CASES) {
          const got = await send(check, method, path);
          if (got.includes("from the server")) continue;
          refused.push(`${method} ${path}`);
          refusedStatuses.add(got.slice(0, 12));
        }
        // HAProxy 2.6.12 answers its own page for the server's status (a bug: the status is never set to 502); sluice the 502 its documentation names.
        expect([...refusedStatuses].sort()).toEqual(proxy.name === "haproxy" ? ["HTTP/1.1 200", "HTTP/1.1 404"] : ["HTTP/1.1 502"]);
        const priv: Record<number, boolean> = {};
        for (const status of [200, 302, 404, 500]) {
          const got = await send(nocache, "GET", q({ "cache-control": "max-age=60" }, status));
          priv[status] = /\r\ncache-control: private\r\n/i.test(got);
        }
        const stat = (await ask(socket, "show stat")).split("\n").map((l) => l.split(","));
        const dresp = Object.fromEntries(stat.filter((r) => r[0] === "check" || r[0] === "cached").map((r) => [`${r[0]}/${r[1]}`, r[11]]));
        const seen = { refused, dresp, priv };
        expect(refused).toEqual([
          `GET ${q({ ...SC, "cache-control": "max-age=60" })}`,
          `GET ${q({ ...SC, etag: '"x"' })}`,
          `GET ${q({ ...SC, expires: "Thu, 01 Jan 2037 00:00:00 GMT" })}`,
          `GET ${q({ ...SC, "last-modified": "Thu, 01 Jan 2026 00:00:00 GMT" })}`,
          `GET ${q({ ...SC, "cache-control": "max-age=60" }, 404)}`,
          `GET ${q({ ...SC, "cache-control": "public, max-age=60" })}`,
          `POST ${q({ ...SC, "cache-control": "public, max-age=60" })}`,
          `OPTIONS ${q({ ...SC, "cache-control": "max-age=60" })}`,
        ]);
        expect(dresp).toEqual({ "check/FRONTEND": "8", "cached/s": "8", "cached/BACKEND": "8" });
        expect(priv).toEqual({ 200: true, 302: false, 404: true, 500: false });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
