// The per-connection view (invariant 17) and the per-server counters, read
// from a Proxy running in this process (Bun adapter, real sockets): the rows
// an operator will see on the stats page and the runtime API.
import { afterEach, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import net from "node:net";
import { loadConfigTexts } from "../../src/config/load.ts";
import { Proxy } from "../../src/core/proxy.ts";
import { SinkPool } from "../../src/log/sink.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import { freePort, waitFor } from "./harness.ts";
import { type ConnBackend, connBackend, H1Client } from "./ownership-peers.ts";

async function startProxy(port: number, backendPort: number, reuse: string, proto = "h1"): Promise<Proxy> {
  const loaded = loadConfigTexts([{
    name: "view.cfg",
    text: `global
    log /dev/null
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    http-reuse ${reuse}
    server a 127.0.0.1:${backendPort} proto ${proto}
`,
  }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const proxy = new Proxy(loaded.config, bunRuntime, new SinkPool({ timers: bunRuntime }), { strictOwnership: true });
  await proxy.start();
  return proxy;
}

describe("per-connection view", () => {
  let proxy: Proxy | undefined;
  let backend: ConnBackend | undefined;
  const clients: H1Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await proxy?.stop(500);
    await backend?.close();
    proxy = backend = undefined;
  });

  test("http-reuse never: each client's connection is listed as private to its session, and goes with it", async () => {
    backend = await connBackend("A");
    const port = await freePort();
    proxy = await startProxy(port, backend.port, "never");
    const a = await H1Client.connect(port);
    const b = await H1Client.connect(port);
    clients.push(a, b);
    await a.request("/1");
    await a.request("/2");
    await b.request("/1");
    const rows = proxy.connections();
    expect(rows.length).toBe(2);
    for (const r of rows) {
      expect(r.server).toBe("be/a");
      expect(r.state).toBe("private");
      expect(r.owner).not.toBeNull();
      expect(r.session).toBeNull();
      expect(r.streams).toBe(0);
      expect(r.key).toBe("");
    }
    expect(new Set(rows.map((r) => r.owner)).size).toBe(2);
    expect(rows.map((r) => r.requests).sort()).toEqual([1, 2]);
    const counters = proxy.connectionCounters()[0]!;
    expect(counters).toMatchObject({ server: "be/a", opened: 2, reused: 1, idle: 0, safe: 0, private: 2, inUse: 0, violations: 0 });
    // The client goes: its private connection is closed, never pooled.
    a.close();
    await waitFor(() => proxy!.connections().length === 1, 2000, "a's connection to leave the view");
    await waitFor(() => backend!.closedIds.length === 1, 2000, "the backend to see it closed");
    expect(proxy.connectionCounters()[0]).toMatchObject({ idle: 0, safe: 0, private: 1 });
  });

  test("http-reuse always: a shared connection shows no owner, idle after one request and safe once proven", async () => {
    backend = await connBackend("A");
    const port = await freePort();
    proxy = await startProxy(port, backend.port, "always");
    const a = await H1Client.connect(port);
    clients.push(a);
    await a.request("/1");
    expect(proxy.connections()).toMatchObject([{ owner: null, session: null, state: "idle", requests: 1, streams: 0 }]);
    await a.request("/2");
    expect(proxy.connections()).toMatchObject([{ owner: null, state: "safe", requests: 2 }]);
    a.close();
    const b = await H1Client.connect(port);
    clients.push(b);
    await b.request("/3");
    expect(proxy.connections()).toMatchObject([{ owner: null, state: "safe", requests: 3 }]);
    expect(proxy.connectionCounters()[0]).toMatchObject({ opened: 1, reused: 2, safe: 1, violations: 0 });
    expect(backend.connections).toBe(1);
  });

  test("an HTTP/2 server connection is listed as available, with the streams it carried", async () => {
    const h2 = http2.createServer();
    h2.on("stream", (st: http2.ServerHttp2Stream) => {
      st.respond({ ":status": 200, "content-length": 2 });
      st.end("ok");
    });
    await new Promise<void>((r) => h2.listen(0, "127.0.0.1", () => r()));
    const port = await freePort();
    proxy = await startProxy(port, (h2.address() as net.AddressInfo).port, "always", "h2");
    try {
      const a = await H1Client.connect(port);
      const b = await H1Client.connect(port);
      clients.push(a, b);
      expect((await a.request("/1")).body).toBe("ok");
      expect((await b.request("/2")).body).toBe("ok");
      expect(proxy.connections()).toMatchObject([{ server: "be/a", owner: null, state: "available", streams: 0, requests: 2, key: "" }]);
      expect(proxy.connectionCounters()[0]).toMatchObject({ opened: 1, available: 1, violations: 0 });
    } finally {
      h2.close();
    }
  });
});
