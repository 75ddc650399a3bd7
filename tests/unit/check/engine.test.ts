// Checks inside the whole engine on the in-memory runtime: a check failure
// ends the streams waiting in the queue with a 503 at once (no server left),
// the stream being served finishes, and passive checks count what real
// HttpStreams see (observe layer7: 5xx answers take the server DOWN).
import { afterEach, describe, expect, test } from "bun:test";
import { type Engine, engine, errorPage, httpConfig, send } from "../engine/harness.ts";

const REQUEST = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const FAILED = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

describe("checks in the engine", () => {
  test("the server goes DOWN while a request waits in the queue: 503 at once, not at timeout queue", async () => {
    e = await engine(httpConfig("timeout queue 30s", "maxconn 1 check inter 10s"));
    const first = e.client();
    await send(e.clock, first, REQUEST);
    const second = e.client();
    await send(e.clock, second, REQUEST);
    const be = e.proxy.backends.get("be")!;
    expect(be.queued).toBe(1);
    // The first check (due at 1 ms) is refused.
    e.runtime.connectOutcome = "refuse";
    await e.clock.advance(1);
    e.runtime.connectOutcome = "open";
    expect(be.servers[0]!.state.op).toBe("DOWN");
    expect(second.text()).toBe(errorPage(503, true));
    expect(be.queued).toBe(0);
    // The stream being served is not cut: its server answers, its client gets it.
    await send(e.clock, e.server(), RESPONSE);
    expect(first.text()).toBe(RESPONSE);
    // And a new request finds no server.
    const third = e.client();
    await send(e.clock, third, REQUEST);
    expect(third.text()).toBe(errorPage(503, true));
  });

  test("observe layer7: 5xx answers seen by streams take the server DOWN (on-error mark-down)", async () => {
    e = await engine(httpConfig("", "check inter 1h observe layer7 error-limit 2 on-error mark-down"));
    const server = e.proxy.backends.get("be")!.servers[0]!;
    for (let i = 0; i < 2; i++) {
      const client = e.client();
      await send(e.clock, client, REQUEST);
      await send(e.clock, e.server(e.runtime.servers.length - 1), FAILED);
      expect(client.text()).toBe(FAILED);
    }
    expect(server.state.op).toBe("DOWN");
    expect(server.state.last).toEqual({ status: "HANA", info: "Detected 2 consecutive errors, last one was: Wrong http response", durationMs: 0 });
    const client = e.client();
    await send(e.clock, client, REQUEST);
    expect(client.text()).toBe(errorPage(503, true));
  });
});

describe("passive checks see what went wrong", () => {
  test("no answer within timeout server: a read timeout", async () => {
    e = await engine(httpConfig("timeout server 2s", "check inter 1h observe layer7 error-limit 1 on-error mark-down"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    await e.clock.advance(2000);
    expect(client.text()).toBe(errorPage(504, true));
    expect(e.proxy.backends.get("be")!.servers[0]!.state.last?.info).toBe("Detected 1 consecutive errors, last one was: Read timeout (http)");
  });

  test("the connection lost before an answer: a read error", async () => {
    e = await engine(httpConfig("", "check inter 1h observe layer7 error-limit 1 on-error mark-down"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    e.server().destroy();
    await e.clock.settle();
    expect(client.text()).toBe(errorPage(502, true));
    expect(e.proxy.backends.get("be")!.servers[0]!.state.last?.info).toBe("Detected 1 consecutive errors, last one was: Read error (http)");
  });

  test("a failure retry-on retries is not counted (HAProxy's L7 retry comes before its health analysis); the one that ends the stream is", async () => {
    e = await engine(httpConfig("retries 1\nretry-on empty-response", "check inter 1h observe layer7 error-limit 1 on-error mark-down"));
    const server = e.proxy.backends.get("be")!.servers[0]!;
    const client = e.client();
    await send(e.clock, client, REQUEST);
    e.server(0).destroy();
    await e.clock.settle();
    expect([server.state.op, server.state.consecutiveErrors]).toEqual(["UP", 0]);
    expect(e.server(1).text()).toBe(REQUEST);
    e.server(1).destroy();
    await e.clock.settle();
    expect(client.text()).toBe(errorPage(502, true));
    expect(server.state.op).toBe("DOWN");
    expect(server.state.last?.info).toBe("Detected 1 consecutive errors, last one was: Read error (http)");
  });

  test("a malformed answer: an invalid response", async () => {
    e = await engine(httpConfig("", "check inter 1h observe layer7 error-limit 1 on-error mark-down"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    await send(e.clock, e.server(), "HTTP/1.1 ABC nonsense\r\n\r\n");
    expect(client.text()).toBe(errorPage(502, true));
    expect(e.proxy.backends.get("be")!.servers[0]!.state.last?.info).toBe("Detected 1 consecutive errors, last one was: Invalid http response (headers)");
  });
});
