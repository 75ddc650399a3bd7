// `declare capture request|response len N` and `capture ... id N` (issue 19,
// bindopts): HAProxy 2.6 and sluice run the same file; a request header and a
// response header land in the declared slots, cut to their lengths, and the
// log line (%hr, %hs) shows them the same way in both.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

let server: http.Server;
afterAll(() => server?.close());

function get(port: number, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/", headers: { "x-id": id }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", reject);
  });
}

describe("declare capture", () => {
  test("setup", async () => {
    server = http.createServer((_req, res) => {
      res.setHeader("x-srv", "backend-one");
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  });

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: declared slots filled by capture ... id N, shown by %hr and %hs`, async () => {
      const port = await freePort();
      const backendPort = (server.address() as AddressInfo).port;
      const config = [
        "global",
        "    log stderr format raw local0",
        "defaults",
        "    mode http",
        "    log global",
        "    timeout connect 2s",
        "    timeout client 5s",
        "    timeout server 5s",
        "frontend fe",
        `    bind 127.0.0.1:${port}`,
        "    capture request header host len 20",
        "    declare capture request len 5",
        "    declare capture response len 7",
        '    log-format "captured %hr %hs"',
        "    http-request capture req.hdr(x-id) id 1",
        "    http-response capture res.hdr(x-srv) id 0",
        "    default_backend be",
        "backend be",
        `    server s 127.0.0.1:${backendPort}`,
        "",
      ].join("\n");
      expect(proxy.loads(config)).toBeUndefined();
      const run = await proxy.start(config, [port]);
      try {
        expect(await get(port, "abcdefghij")).toBe(200);
        await waitFor(() => run.errLines().some((l) => /captured .*\}$/.test(l)), 5000, "the log line");
        // HAProxy also logs the harness's empty probe connection ("captured " alone).
        const line = run.errLines().find((l) => /captured .*\}$/.test(l))!;
        expect(line.slice(line.indexOf("captured "))).toBe(`captured {127.0.0.1:${port}|abcde} {backend}`);
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
