// How long an HTTP/2 client connection may stay without a stream, beside
// HAProxy 2.6 on the same configuration: before its first request `timeout
// http-request`, after one `timeout http-keep-alive`, both shorter here than
// `timeout client` (which sluice applied to both before). Then GOAWAY
// NO_ERROR naming the last stream taken. A raw HTTP/2 client over real TCP;
// the windows are wide (the suite runs loaded), each on the right side of
// `timeout client`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import { ErrorCode, FrameType } from "../../src/http2/constants.ts";
import { H2RawClient } from "../support/h2-raw-client.ts";
import { lastStreamIdOf } from "../support/h2-raw-frames.ts";
import { freePort } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

let backend: Server;
let backendPort = 0;
beforeAll(async () => {
  backend = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  backendPort = (backend.address() as { port: number }).port;
});
afterAll(() => backend?.close());

const config = (port: number) => `defaults
    mode http
    timeout connect 2s
    timeout client 8s
    timeout server 5s
    timeout http-request 1s
    timeout http-keep-alive 1500ms
frontend fe
    bind 127.0.0.1:${port} proto h2
    default_backend be
backend be
    server s1 127.0.0.1:${backendPort}
`;

/** Seconds from now until the server's GOAWAY, with its last stream id. */
async function goawayAfter(client: H2RawClient, from: number): Promise<{ seconds: number; lastStreamId: number }> {
  const t0 = performance.now();
  const frame = await client.expectGoaway(ErrorCode.NO_ERROR, 12_000, from);
  if (frame.type !== FrameType.GOAWAY) throw new Error("not a GOAWAY");
  return { seconds: (performance.now() - t0) / 1000, lastStreamId: lastStreamIdOf(frame) };
}

describe("HTTP/2 client connections without a stream", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: timeout http-request before the first request, http-keep-alive after one; not timeout client`, async () => {
      const port = await freePort();
      const running = await proxy.start(config(port), [port]);
      try {
        const fresh = await H2RawClient.connect(port);
        const from = await fresh.handshake();
        const idle = await goawayAfter(fresh, from);
        fresh.close();
        expect(idle.lastStreamId).toBe(0);
        expect(idle.seconds).toBeLessThan(6); // http-request (1 s), far from timeout client (8 s)

        const used = await H2RawClient.connect(port);
        await used.handshake();
        used.sendHeaders(1, [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "localhost"]]);
        const response = await used.expectResponse(1);
        expect(response.status).toBe(200);
        const after = await goawayAfter(used, 0);
        used.close();
        expect(after.lastStreamId).toBe(1);
        expect(after.seconds).toBeGreaterThan(1); // http-keep-alive (1.5 s) counted from the stream's end
        expect(after.seconds).toBeLessThan(6);
      } finally {
        await running.stop();
      }
    }, 40_000);
  }
});
