// HTTP-mode timeouts, driven on the virtual clock: each one expires at its
// very millisecond (not one earlier) and the client gets the bytes HAProxy
// would send, with no real waiting.
import { afterEach, describe, expect, test } from "bun:test";
import { type Engine, engine, errorPage, httpConfig, send } from "./harness.ts";

const REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

describe("timeout http-request", () => {
  test("a client whose head started but never ended gets a 408, counted from its first byte", async () => {
    e = await engine(httpConfig("timeout http-request 3s"));
    const client = e.client();
    await e.clock.advance(1000);
    await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\n");
    await e.clock.advance(2999);
    expect(client.text()).toBe("");
    expect(client.ended || client.closed).toBe(false);
    await e.clock.advance(1);
    expect(client.text()).toBe(errorPage(408));
    expect(client.ended).toBe(true);
    expect(e.runtime.connectAttempts).toBe(0);
  });
});

describe("timeout http-keep-alive", () => {
  test("an idle keep-alive client is closed once it has been idle that long", async () => {
    e = await engine(httpConfig("timeout http-keep-alive 2s"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    await e.clock.advance(500);
    await send(e.clock, e.server(), RESPONSE);
    const answered = e.clock.now();
    expect(client.text()).toBe(RESPONSE);
    await e.clock.advance(1999);
    expect(client.ended).toBe(false);
    await e.clock.advance(1);
    expect(client.ended).toBe(true);
    expect(client.text()).toBe(RESPONSE); // nothing more than the FIN
    // A client that never closes its side is dropped `timeout client` after it was last active (the response).
    await e.clock.advance(answered + 30_000 - e.clock.now() - 1);
    expect(client.closed).toBe(false);
    await e.clock.advance(1);
    expect(client.closed).toBe(true);
  });

  test("a second request restarts the idle time", async () => {
    e = await engine(httpConfig("timeout http-keep-alive 2s"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    await send(e.clock, e.server(), RESPONSE);
    await e.clock.advance(1500);
    await send(e.clock, client, REQUEST);
    await send(e.clock, e.server(), RESPONSE);
    await e.clock.advance(1999);
    expect(client.ended).toBe(false);
    expect(client.text()).toBe(RESPONSE + RESPONSE);
    expect(e.runtime.servers.length).toBe(1); // the server connection was kept and reused
    await e.clock.advance(1);
    expect(client.ended).toBe(true);
  });
});

describe("timeout server", () => {
  test("a server silent after the request gets the client a 504, and the server its connection closed", async () => {
    e = await engine(httpConfig("timeout server 10s"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    const server = e.server();
    expect(server.text()).toBe(REQUEST);
    await e.clock.advance(9999);
    expect(client.text()).toBe("");
    await e.clock.advance(1);
    expect(client.text()).toBe(errorPage(504, true));
    // The request was read whole: the connection stays for the next one, as HAProxy keeps it.
    expect(client.ended).toBe(false);
    expect(server.closed).toBe(true);
  });

  test("a response that keeps trickling is not cut, however long it takes in all", async () => {
    e = await engine(httpConfig("timeout server 10s"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    const server = e.server();
    const head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    await e.clock.advance(9000);
    await send(e.clock, server, head);
    for (const byte of "0123456789") {
      await e.clock.advance(9999); // each piece just before the timeout
      await send(e.clock, server, byte);
    }
    expect(e.clock.now() - 1000).toBeGreaterThan(100_000); // ten times the timeout, in all
    expect(client.text()).toBe(head + "0123456789");
    expect(client.ended || client.closed || server.closed).toBe(false);
  });
});

describe("timeout queue", () => {
  test("a request waiting for a full server (maxconn 1) gets a 503 when its queue time is up", async () => {
    e = await engine(httpConfig("timeout queue 4s", "maxconn 1"));
    const first = e.client();
    await send(e.clock, first, REQUEST);
    expect(e.runtime.connectAttempts).toBe(1);
    const second = e.client();
    await send(e.clock, second, REQUEST);
    expect(e.proxy.backends.get("be")!.queued).toBe(1);
    await e.clock.advance(3999);
    expect(second.text()).toBe("");
    await e.clock.advance(1);
    expect(second.text()).toBe(errorPage(503, true));
    // The request was read whole: the connection stays for the next one, as HAProxy keeps it.
    expect(second.ended).toBe(false);
    expect(e.proxy.backends.get("be")!.queued).toBe(0);
    // The first one still waits for its server, which never saw the second request.
    expect(e.runtime.connectAttempts).toBe(1);
    expect(first.text()).toBe("");
    expect(first.ended || first.closed).toBe(false);
    await send(e.clock, e.server(), RESPONSE);
    expect(first.text()).toBe(RESPONSE);
  });
});

describe("timeout connect", () => {
  test("connects that hang time out one after the other, then the client gets a 503 (retries 3)", async () => {
    e = await engine(httpConfig("timeout connect 5s\nretries 3"));
    e.runtime.connectOutcome = "hang";
    const client = e.client();
    await send(e.clock, client, REQUEST);
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(e.runtime.connectAttempts).toBe(attempt);
      await e.clock.advance(4999);
      expect(client.text()).toBe("");
      await e.clock.advance(1);
    }
    expect(e.runtime.connectAttempts).toBe(4);
    expect(client.text()).toBe(errorPage(503, true));
    // The request was read whole: the connection stays for the next one, as HAProxy keeps it.
    expect(client.ended).toBe(false);
    expect(e.proxy.backends.get("be")!.servers[0]!.connectFailures).toBe(4);
  });

  test("refused connects are retried at once, then the client gets a 503", async () => {
    e = await engine(httpConfig("retries 2"));
    e.runtime.connectOutcome = "refuse";
    const client = e.client();
    await send(e.clock, client, REQUEST);
    expect(e.runtime.connectAttempts).toBe(3);
    expect(client.text()).toBe(errorPage(503, true));
  });
});

describe("pool-purge-delay", () => {
  test("an idle pooled server connection is closed once unused that long", async () => {
    e = await engine(httpConfig("timeout http-keep-alive 20s", "pool-purge-delay 3s"));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    await e.clock.advance(1000);
    await send(e.clock, e.server(), RESPONSE);
    expect(e.proxy.connections().map((c) => c.state)).toEqual(["idle"]);
    await e.clock.advance(2999);
    expect(e.server().closed).toBe(false);
    await e.clock.advance(1);
    expect(e.server().closed).toBe(true);
    expect(e.proxy.connections()).toEqual([]);
    expect(client.ended || client.closed).toBe(false); // the client's keep-alive is its own
  });
});

describe("hard-stop-after", () => {
  test("a stop waits for busy sessions until the deadline, then closes them", async () => {
    e = await engine(httpConfig(""));
    const client = e.client();
    await send(e.clock, client, REQUEST);
    let stopped = false;
    const stopping = e.proxy.stop(1500).then(() => (stopped = true));
    await e.clock.advance(1499);
    expect(stopped || client.closed).toBe(false);
    await e.clock.advance(1);
    await stopping;
    expect(client.closed).toBe(true);
    expect(e.server().closed).toBe(true);
  });
});
