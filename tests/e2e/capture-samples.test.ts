// capture.req.hdr(N) and capture.res.hdr(N) beside HAProxy 2.6: the same
// file on both, one request; the log-format's %[...] of every slot (those of
// `capture request|response header`, `declare capture`, `http-request
// capture`, in HAProxy's order), a slot never declared ("-", or "" quoted),
// and the rules that read them (http-response, http-after-response) give the
// same line and the same headers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

let server: http.Server;
let backendPort = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.setHeader("cache-control", "max-age=60");
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  backendPort = (server.address() as AddressInfo).port;
});

afterAll(() => server.close());

function get(port: number): Promise<http.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const headers = { host: "example.test", "user-agent": "curl/longagent", "x-a": "AAA" };
    http.get({ host: "127.0.0.1", port, path: "/p?q=1", headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.headers));
    }).on("error", reject);
  });
}

const config = (port: number) => `global
    log stderr format raw local0
defaults
    mode http
    log global
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend f
    bind 127.0.0.1:${port}
    capture request header Host len 20
    capture request header User-Agent len 5
    capture response header Cache-Control len 7
    declare capture request len 8
    declare capture response len 8
    http-request capture req.hdr(x-a) len 10
    http-request capture str(decl) id 2
    http-response capture str(rdecl) id 1
    log-format "c0=%[capture.req.hdr(0)] c1=%[capture.req.hdr(1)] c2=%[capture.req.hdr(2)] c3=%[capture.req.hdr(3)] c4=%[capture.req.hdr(4)] r0=%[capture.res.hdr(0)] r1=%[capture.res.hdr(1)] r2=%[capture.res.hdr(2)] q=%{+Q}[capture.req.hdr(9)] hr=%hr hs=%hs"
    http-request set-var(txn.c1) capture.req.hdr(1)
    http-response set-header x-c1 %[var(txn.c1)]
    http-response set-header x-c3 %[capture.req.hdr(3)]
    http-after-response set-header x-r0 %[capture.res.hdr(0)]
    default_backend be
backend be
    server s 127.0.0.1:${backendPort}
`;

describe("capture.req.hdr / capture.res.hdr", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: in log-format and in rules, every slot as HAProxy numbers them`, async () => {
      const port = await freePort();
      const running = await proxy.start(config(port), [port]);
      try {
        const headers = await get(port);
        expect([headers["x-c1"], headers["x-c3"], headers["x-r0"]]).toEqual(["curl/", "AAA", "max-age"]);
        // The readiness probe's empty connection logs a line of "-" first (in both): the request's is the one with a Host.
        const line = () => running.errLines().find((l) => l.startsWith("c0=") && !l.startsWith("c0=-"));
        await waitFor(() => line() !== undefined, 5000, "the log line");
        expect(line()).toBe(
          'c0=example.test c1=curl/ c2=decl c3=AAA c4=- r0=max-age r1=rdecl r2=- q="" hr={example.test|curl/|decl|AAA} hs={max-age|rdecl}',
        );
      } finally {
        await running.stop();
      }
    });

    test(`${proxy.name}: capture.res.hdr is refused in http-request rules (no response yet)`, () => {
      const text = `defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:1\n    capture response header Content-Type len 10\n    http-request set-var(txn.r) capture.res.hdr(0)\n    http-request return status 200\n`;
      expect(proxy.loads(text)).toBeDefined();
    });
  }
});
