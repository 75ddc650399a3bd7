// Queues on the virtual clock: servers with `maxconn 1`, streams that wait
// in the backend's queue (any server will do) or in a server's own queue
// (bound to it by the hash of their URI), served in order as slots free,
// `timeout queue` → 503, `maxqueue` sending the overflow elsewhere, and the
// current/max counters.
import { afterEach, describe, expect, test } from "bun:test";
import type { MemSocket } from "../../support/mem-runtime.ts";
import { type Engine, engine, errorPage, send } from "./harness.ts";

const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

function config(backend: string): string {
  return `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout queue 4s
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
${backend.split("\n").map((l) => `    ${l.trim()}`).join("\n")}
`;
}

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

/** The server connection that was sent the request for `path` last. */
function serverFor(path: string): MemSocket {
  const found = [...e!.runtime.servers].reverse().find((s) => s.text().includes(`GET ${path} `));
  if (found === undefined) throw new Error(`no server connection got ${path}`);
  return found;
}

describe("the backend's queue", () => {
  test("three clients and one maxconn 1 server: served one after the other, in arrival order", async () => {
    e = await engine(config("server s1 127.0.0.1:9100 maxconn 1"));
    const be = e.proxy.backends.get("be")!;
    const clients = [e.client(), e.client(), e.client()];
    for (let i = 0; i < 3; i++) await send(e.clock, clients[i]!, request(`/${i}`));
    expect(be.queued).toBe(2);
    expect(be.queueMax).toBe(2);
    for (let i = 0; i < 3; i++) {
      // Only the head of the queue has reached the server.
      expect(e.runtime.servers.some((s) => s.text().includes(`GET /${i + 1} `))).toBe(false);
      await send(e.clock, serverFor(`/${i}`), RESPONSE);
      expect(clients[i]!.text()).toBe(RESPONSE);
      expect(be.queued).toBe(Math.max(0, 1 - i));
    }
    expect(be.servers[0]!.current).toBe(0);
  });
});

describe("a server's own queue (balance uri)", () => {
  const twoServers = (words = "") =>
    config(`balance uri
      server s1 127.0.0.1:9101 maxconn 1 ${words}
      server s2 127.0.0.1:9102 maxconn 1 ${words}`);

  test("a request whose URI hashes to a full server waits for that server, not the free one; timeout queue gives a 503", async () => {
    e = await engine(twoServers());
    const be = e.proxy.backends.get("be")!;
    const a = e.client();
    await send(e.clock, a, request("/same"));
    const bound = be.servers.find((s) => s.current === 1)!;
    const b = e.client();
    await send(e.clock, b, request("/same"));
    expect(bound.queued).toBe(1);
    expect(bound.queueMax).toBe(1);
    expect(be.queued).toBe(0);
    expect(be.servers.find((s) => s !== bound)!.current).toBe(0);
    await e.clock.advance(3999);
    expect(b.text()).toBe("");
    await e.clock.advance(1);
    expect(b.text()).toBe(errorPage(503, true));
    expect(bound.queued).toBe(0);
    await send(e.clock, serverFor("/same"), RESPONSE);
    expect(a.text()).toBe(RESPONSE);
  });

  test("the slot a response frees goes to the server's oldest waiter, on that server", async () => {
    e = await engine(twoServers());
    const be = e.proxy.backends.get("be")!;
    const clients = [e.client(), e.client(), e.client()];
    for (const c of clients) await send(e.clock, c, request("/k"));
    const bound = be.servers.find((s) => s.current === 1)!;
    expect(bound.queued).toBe(2);
    for (let i = 0; i < 3; i++) {
      const server = [...e.runtime.servers].reverse().find((s) => s.remotePort === bound.port && s.text().includes("GET /k "))!;
      await send(e.clock, server, RESPONSE);
      expect(clients[i]!.text()).toBe(RESPONSE);
    }
    expect(e.runtime.servers.every((s) => s.remotePort === bound.port)).toBe(true);
  });

  test("maxqueue: once the bound server's queue is full, the next request goes to a server with a free slot", async () => {
    e = await engine(twoServers("maxqueue 1"));
    const be = e.proxy.backends.get("be")!;
    for (let i = 0; i < 2; i++) await send(e.clock, e.client(), request("/k"));
    const bound = be.servers.find((s) => s.current === 1)!;
    const other = be.servers.find((s) => s !== bound)!;
    expect(bound.queued).toBe(1);
    await send(e.clock, e.client(), request("/k"));
    expect(bound.queued).toBe(1);
    expect(other.current).toBe(1);
    // Now both are full and the bound queue too: the backend's queue.
    await send(e.clock, e.client(), request("/k"));
    expect(be.queued).toBe(1);
  });
});
