// TCP-mode timeouts on the virtual clock: the session's one timer closes both
// sides at the deadline, and traffic in either direction keeps it alive.
import { afterEach, describe, expect, test } from "bun:test";
import { type Engine, engine, send } from "./harness.ts";

const TCP_CONFIG = `defaults
    mode tcp
    no log
    timeout connect 5s
    timeout client 5s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    server s1 127.0.0.1:9100
`;

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

describe("timeout client (TCP mode)", () => {
  test("a silent connection is closed on both sides when the client timeout is up", async () => {
    e = await engine(TCP_CONFIG);
    const client = e.client();
    await e.clock.settle(); // the server connection opens
    const server = e.server();
    await send(e.clock, client, "hello");
    await send(e.clock, server, "world");
    expect(server.text()).toBe("hello");
    expect(client.text()).toBe("world");
    await e.clock.advance(4999);
    expect(client.closed || server.closed).toBe(false);
    await e.clock.advance(1);
    expect(client.closed).toBe(true);
    expect(server.closed).toBe(true);
    expect(e.proxy.sessions).toBe(0);
  });

  test("bytes either way restart it", async () => {
    e = await engine(TCP_CONFIG);
    const client = e.client();
    await e.clock.settle();
    const server = e.server();
    await e.clock.advance(4000);
    await send(e.clock, client, "ping"); // the client is active
    await e.clock.advance(4000);
    await send(e.clock, server, "pong"); // written to the client: it is active too
    await e.clock.advance(4999);
    expect(client.closed || server.closed).toBe(false);
    expect(client.text()).toBe("pong");
    expect(server.text()).toBe("ping");
    await e.clock.advance(1);
    expect(client.closed && server.closed).toBe(true);
  });
});
