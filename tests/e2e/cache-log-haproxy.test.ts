// A cache hit's log line beside HAProxy 2.6's, for `http-request cache-use`
// in a frontend and in a backend: the cache is named as the server
// (`<CACHE>`, under the proxy whose rule answered), the termination state is
// LR--, and the timers Tw, Tc and Tr are 0 (HAProxy's cache is an applet the
// stream reaches at once), not -1 as for an `http-request return`; Td is
// what is left of Tt, never -1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

let server: Server;
let backendPort = 0;

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain", "cache-control": "max-age=60" }).end("cached body"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  backendPort = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
});

const config = (front: number, back: number) => `global
    log stderr format raw local0
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
cache c1
    total-max-size 4
    max-age 60
frontend infront
    bind 127.0.0.1:${front}
    option httplog
    http-request cache-use c1
    http-response cache-store c1
    default_backend plain
frontend inback
    bind 127.0.0.1:${back}
    log-format "T %b/%s Tw=%Tw Tc=%Tc Tr=%Tr Td=%Td %tsc %ST %{+Q}r"
    default_backend cached
backend plain
    server s 127.0.0.1:${backendPort}
backend cached
    http-request cache-use c1
    http-response cache-store c1
    server s 127.0.0.1:${backendPort}
`;

describe("a cache hit's log line", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: <CACHE> as the server, LR--, Tw/Tc/Tr 0`, async () => {
      const [front, back] = [await freePort(), await freePort()];
      const running = await proxy.start(config(front, back), [front, back]);
      try {
        for (const port of [front, back]) {
          for (let i = 0; i < 2; i++) {
            const r = await fetch(`http://127.0.0.1:${port}/page`);
            expect(await r.text()).toBe("cached body");
          }
        }
        const hits = () => running.errLines().filter((l) => l.includes("<CACHE>"));
        await waitFor(() => hits().length >= 2, 5000, "two cache hits logged");
        // httplog: "client [date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes ... termination".
        const inFront = hits().find((l) => l.includes(" infront "))!;
        expect(inFront).toMatch(/ infront infront\/<CACHE> \d+\/0\/0\/0\/\d+ 200 \d+ - - LR-- /);
        const inBack = hits().find((l) => l.startsWith("T "))!;
        expect(inBack).toMatch(/^T cached\/<CACHE> Tw=0 Tc=0 Tr=0 Td=\d+ LR-- 200 "GET \/page HTTP\/1\.1"$/);
      } finally {
        await running.stop();
      }
    });
  }
});

describe("http-response rules on a cache hit", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the rules before and after cache-store run on the hit again, as on the miss`, async () => {
      const port = await freePort();
      const running = await proxy.start(`defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
cache c2
    total-max-size 4
    max-age 60
frontend fe
    bind 127.0.0.1:${port}
    http-request set-var(txn.n) req.hdr(x-n)
    http-request cache-use c2
    http-response set-header x-before %[var(txn.n)]
    http-response cache-store c2
    http-response add-header x-after %[var(txn.n)]
    default_backend plain
backend plain
    server s 127.0.0.1:${backendPort}
`, [port]);
      try {
        const seen: string[] = [];
        for (const n of ["1", "2"]) {
          const r = await fetch(`http://127.0.0.1:${port}/rules`, { headers: { "x-n": n } });
          await r.text();
          seen.push(`before=${r.headers.get("x-before")} after=${r.headers.get("x-after")} age=${r.headers.get("age") !== null}`);
        }
        expect(seen).toEqual(["before=1 after=1 age=false", "before=2 after=2 age=true"]);
        answers.set(proxy.name, seen);
        const reference = answers.get("haproxy");
        if (reference !== undefined) expect(seen).toEqual(reference as typeof seen);
      } finally {
        await running.stop();
      }
    });
  }
});
