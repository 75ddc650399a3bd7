// Backend connection ownership and reuse end to end, under each target:
// invariants 2 and 3 (http-reuse never: private connections, closed with
// their session), 6 (first requests: safe / aggressive / always), 7
// (max-session-srv-conns), 8 (pool-max-conn, pool-purge-delay, pool-low-conn,
// a connection the server closed), 11 (own private connection first), 12
// (send-proxy: the PROXY line is the reuse key; TCP mode sends it first) and
// 15 (a reused connection closed before any response byte). The backends
// report their own connection ids; sluice runs with --strict-ownership, so any
// ownership violation would crash it.
import { afterEach, describe, expect, test } from "bun:test";
import net from "node:net";
import { type Backend, freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tcpBackend, waitFor } from "./harness.ts";
import { type ConnBackend, connBackend, type ConnBackendOptions, H1Client, type Reply } from "./ownership-peers.ts";

const TIMEOUT = 30000;

function reuseConfig(
  port: number,
  servers: string,
  opts: { reuse?: string; be?: string; fe?: string; mode?: "http" | "tcp" } = {},
): string {
  return `global
    hard-stop-after 3s

defaults
    mode ${opts.mode ?? "http"}
    timeout connect 2s
    timeout client 20s
    timeout server 20s

frontend fe
    bind 127.0.0.1:${port}
${opts.fe ?? ""}
    default_backend be

backend be
${opts.reuse ? `    http-reuse ${opts.reuse}` : ""}
${opts.be ?? ""}
${servers}
`;
}

const header = (r: Reply, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
};
const connId = (r: Reply): number => Number(header(r, "x-conn-id"));
const connRequests = (r: Reply): number => Number(header(r, "x-conn-requests"));

// ---- a raw HTTP/1.1 backend behind send-proxy ----

interface ProxyConn {
  id: number;
  /** The PROXY v1 line it got first (without CRLF); "" until it came. */
  proxyLine: string;
  requests: number;
  closed: boolean;
}

interface ProxyHttpBackend {
  port: number;
  conns: ProxyConn[];
  close(): Promise<void>;
}

/**
 * A node:net server that reads the PROXY v1 line first, then answers
 * keep-alive GETs (heads up to CRLFCRLF, no request bodies) with
 * Content-Length; each answer names its connection and that connection's
 * PROXY line (x-conn-id, x-proxy).
 */
async function proxyHttpBackend(): Promise<ProxyHttpBackend> {
  const conns: ProxyConn[] = [];
  const b = await tcpBackend((socket) => {
    const conn: ProxyConn = { id: conns.length + 1, proxyLine: "", requests: 0, closed: false };
    conns.push(conn);
    socket.on("close", () => (conn.closed = true));
    let buf = Buffer.alloc(0);
    let gotProxy = false;
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!gotProxy) {
        const eol = buf.indexOf("\r\n");
        if (eol < 0) return;
        conn.proxyLine = buf.subarray(0, eol).toString("latin1");
        buf = buf.subarray(eol + 2);
        gotProxy = true;
        if (!conn.proxyLine.startsWith("PROXY ")) {
          socket.destroy();
          return;
        }
      }
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const requestLine = buf.subarray(0, buf.indexOf("\r\n")).toString("latin1");
        buf = buf.subarray(end + 4);
        conn.requests++;
        const body = `${conn.id} ${requestLine.split(" ")[1]} ${conn.proxyLine}\n`;
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-conn-id: ${conn.id}\r\n` +
            `x-conn-requests: ${conn.requests}\r\nx-proxy: ${conn.proxyLine}\r\n\r\n${body}`,
        );
      }
    });
    socket.on("end", () => socket.end());
  });
  return { port: b.port, conns, close: b.close };
}

for (const target of selectedTargets()) {
  describe(`connection ownership and reuse (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => Promise<void>)[] = [];
    const clients: H1Client[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) await c();
    });
    async function backend(name: string, options: ConnBackendOptions = {}): Promise<ConnBackend> {
      const b = await connBackend(name, options);
      closers.push(b.close);
      return b;
    }
    async function client(port: number): Promise<H1Client> {
      const c = await H1Client.connect(port);
      clients.push(c);
      return c;
    }
    /** sluice is still running and logged no violation. */
    function proxyHealthy(): void {
      expect(run!.proc.exitCode).toBeNull();
      expect(run!.errLines.filter((l) => l.includes("ownership violation"))).toEqual([]);
    }
    async function ok(c: H1Client, path: string): Promise<Reply> {
      const r = await c.request(path);
      expect(r.status).toBe(200);
      return r;
    }

    // ---- invariants 2, 3, 11: http-reuse never ----

    test("invariant 2 (never): 10 concurrent clients x 5 requests, each client on one backend connection of its own", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "never" }));
      const perClient = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const c = await client(port);
          const ids: number[] = [];
          for (let j = 0; j < 5; j++) {
            const r = await ok(c, `/c${i}/r${j}`);
            ids.push(connId(r));
            // The connection carried exactly this client's requests so far.
            expect(connRequests(r)).toBe(j + 1);
          }
          return ids;
        }),
      );
      for (const ids of perClient) expect(new Set(ids).size).toBe(1);
      const owners = perClient.map((ids) => ids[0]!);
      expect(new Set(owners).size).toBe(10);
      expect(be.connections).toBe(10);
      // The backend agrees: every request of client i came on client i's connection.
      for (let i = 0; i < 10; i++) {
        const seen = be.requests.filter((q) => q.url.startsWith(`/c${i}/`));
        expect(seen.length).toBe(5);
        expect(new Set(seen.map((q) => q.conn))).toEqual(new Set([owners[i]!]));
      }
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 3 (never): a session's private connection closes with it (within 2 s) and is never reused", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "never" }));
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        const c = await client(port);
        const first = connId(await ok(c, `/s${i}/1`));
        expect(connId(await ok(c, `/s${i}/2`))).toBe(first);
        // Never another session's (closed) connection.
        expect(seen).not.toContain(first);
        seen.push(first);
        // While the client stays, its connection stays open.
        expect(be.openIds()).toContain(first);
        const closedAt = Date.now();
        c.close();
        await waitFor(() => be.closedIds.includes(first), 2000, `backend connection ${first} closed after its client left`);
        expect(Date.now() - closedAt).toBeLessThan(2000);
        expect(be.openIds()).not.toContain(first);
      }
      expect(be.connections).toBe(4);
      expect(be.open).toBe(0);
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 11 (never): a session's own private connection carries all its requests, with other clients in between", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "never" }));
      const a = await client(port);
      const b = await client(port);
      const aIds: number[] = [];
      const others: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await ok(a, `/a${i}`);
        aIds.push(connId(r));
        expect(connRequests(r)).toBe(i + 1);
        others.push(connId(await ok(b, `/b${i}`)));
        const c = await client(port);
        others.push(connId(await ok(c, `/c${i}`)));
        c.close();
      }
      expect(new Set(aIds).size).toBe(1);
      expect(others).not.toContain(aIds[0]!);
      // b too kept its own: one connection for b, one per passing client c.
      expect(new Set(others).size).toBe(1 + 5);
      expect(be.connections).toBe(1 + 1 + 5);
      proxyHealthy();
    }, TIMEOUT);

    // ---- invariant 6: a session's first request, by reuse mode ----

    /**
     * Leaves the pool with one proven connection (client X carried two
     * requests on it: safe list) and one unproven one (client Z's single
     * request: idle list); both clients gone. Z's request is slow, so that X
     * cannot take Z's connection (and the reverse) while they run.
     */
    async function provenAndUnproven(port: number, be: ConnBackend): Promise<{ proven: number; unproven: number }> {
      const z = await client(port);
      const zReply = z.request("/slow/z");
      await waitFor(() => be.requests.some((q) => q.url === "/slow/z"), 3000, "Z's slow request at the backend");
      const x = await client(port);
      const x1 = await ok(x, "/x1");
      const x2 = await ok(x, "/x2");
      expect(connId(x2)).toBe(connId(x1));
      expect(connRequests(x2)).toBe(2);
      const zr = await zReply;
      expect(zr.status).toBe(200);
      expect(connRequests(zr)).toBe(1);
      expect(connId(zr)).not.toBe(connId(x1));
      x.close();
      z.close();
      await Promise.all([x.closed, z.closed]);
      await sleep(100);
      // Shared connections outlive their sessions.
      expect(be.open).toBe(2);
      expect(be.connections).toBe(2);
      return { proven: connId(x1), unproven: connId(zr) };
    }

    for (const mode of ["safe", "aggressive", "always"] as const) {
      test(`invariant 6 (${mode}): a new session's first request ${
        mode === "safe" ? "opens a new connection" : mode === "aggressive" ? "takes the proven connection only" : "takes a pooled connection"
      }; its later requests reuse`, async () => {
        const be = await backend("A", { delayMs: 300 });
        const port = await freePort();
        run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: mode }));
        const { proven, unproven } = await provenAndUnproven(port, be);

        const n = await client(port);
        const first = await ok(n, "/n1");
        if (mode === "safe") {
          expect(be.connections).toBe(3);
          expect([proven, unproven]).not.toContain(connId(first));
          expect(connRequests(first)).toBe(1);
        } else if (mode === "aggressive") {
          expect(connId(first)).toBe(proven);
          expect(be.connections).toBe(2);
        } else {
          // always: safe first, then idle.
          expect([proven, unproven]).toContain(connId(first));
          expect(connId(first)).toBe(proven);
          expect(be.connections).toBe(2);
        }
        // Later requests of the session reuse (idle first, then safe): no new connection.
        const before = be.connections;
        for (let i = 2; i <= 4; i++) {
          const r = await ok(n, `/n${i}`);
          expect(connRequests(r)).toBeGreaterThan(1);
        }
        expect(be.connections).toBe(before);

        if (mode === "aggressive") {
          // With only unproven connections pooled, a first request opens a new one.
          const be2 = await backend("B");
          await stopSluice(run);
          run = await startSluice(target, reuseConfig(port, `    server b 127.0.0.1:${be2.port}`, { reuse: mode }));
          const p = await client(port);
          const pr = await ok(p, "/p");
          p.close();
          await p.closed;
          await sleep(100);
          expect(be2.open).toBe(1);
          const q = await client(port);
          const qr = await ok(q, "/q");
          expect(connId(qr)).not.toBe(connId(pr));
          expect(be2.connections).toBe(2);
        }
        proxyHealthy();
      }, TIMEOUT);
    }

    test("invariant 6 (safe): first requests of sequential clients never land on a connection another session used", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "safe" }));
      const used = new Set<number>();
      for (let i = 0; i < 5; i++) {
        const c = await client(port);
        const r1 = await ok(c, `/f${i}`);
        expect(used.has(connId(r1))).toBe(false);
        expect(connRequests(r1)).toBe(1);
        used.add(connId(r1));
        const r2 = await ok(c, `/l${i}`);
        used.add(connId(r2));
        c.close();
      }
      expect(be.connections).toBe(5);
      proxyHealthy();
    }, TIMEOUT);

    // ---- invariant 7: max-session-srv-conns ----

    test("invariant 7: max-session-srv-conns 1 (never, two servers): one idle private connection kept, the other closed after each request", async () => {
      const a = await backend("A");
      const b = await backend("B");
      const port = await freePort();
      run = await startSluice(
        target,
        reuseConfig(port, `    server a 127.0.0.1:${a.port}\n    server b 127.0.0.1:${b.port}`, {
          reuse: "never",
          fe: "    max-session-srv-conns 1",
        }),
      );
      const c = await client(port);
      const served: string[] = [];
      const aIds: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await ok(c, `/r${i}`);
        const by = header(r, "x-served-by")!;
        served.push(by);
        if (by === "A") {
          aIds.push(connId(r));
          // Kept: idle and private to this session.
          await sleep(50);
          expect(a.openIds()).toEqual([connId(r)]);
        } else {
          // Beyond the session's one idle connection: closed, not shared.
          await waitFor(() => b.closedIds.includes(connId(r)), 2000, `B's connection ${connId(r)} closed after its request`);
          expect(b.open).toBe(0);
        }
      }
      // roundrobin alternates.
      for (let i = 1; i < 6; i++) expect(served[i]).not.toBe(served[i - 1]);
      expect(a.connections).toBe(1);
      expect(new Set(aIds).size).toBe(1);
      expect(b.connections).toBe(3);
      expect(b.closedIds.length).toBe(3);
      // Each of B's connections carried one request.
      expect(new Set(b.requests.map((q) => q.conn)).size).toBe(3);
      c.close();
      await waitFor(() => a.open === 0, 2000, "A's private connection closed with its session");
      proxyHealthy();
    }, TIMEOUT);

    // ---- invariant 8: bounded pools ----

    test("invariant 8: pool-max-conn 1 (always): after 3 overlapping requests at most 1 idle connection stays", async () => {
      const be = await backend("A", { delayMs: 300 });
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port} pool-max-conn 1`, { reuse: "always" }));
      const cs = await Promise.all([client(port), client(port), client(port)]);
      const replies = await Promise.all(cs.map((c, i) => c.request(`/slow/${i}`)));
      for (const r of replies) expect(r.status).toBe(200);
      // They overlapped: three connections.
      expect(new Set(replies.map(connId)).size).toBe(3);
      expect(be.connections).toBe(3);
      await waitFor(() => be.open <= 1, 2000, "the pool to keep at most 1 connection");
      await sleep(200);
      expect(be.open).toBe(1);
      expect(be.closedIds.length).toBe(2);
      // The one kept is reused by the next client (always), no new connection.
      const kept = be.openIds()[0]!;
      const d = await client(port);
      expect(connId(await ok(d, "/d"))).toBe(kept);
      expect(be.connections).toBe(3);
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 8: pool-purge-delay 300ms: a pooled idle connection is closed by sluice after about 300 ms", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port} pool-purge-delay 300ms`, { reuse: "always" }));
      const c = await client(port);
      const id = connId(await ok(c, "/one"));
      const idleFrom = Date.now();
      // The client stays: the pool, not the session, closes the connection.
      await waitFor(() => be.closedIds.includes(id), 2500, "the purge of the idle connection");
      const after = Date.now() - idleFrom;
      expect(after).toBeGreaterThanOrEqual(200);
      expect(after).toBeLessThan(2500);
      expect(be.open).toBe(0);
      // The next request goes on a new connection, and succeeds.
      const r = await ok(c, "/two");
      expect(connId(r)).not.toBe(id);
      expect(be.connections).toBe(2);
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 8: pool-low-conn 1 with pool-purge-delay 200ms: one idle connection survives the purge", async () => {
      const be = await backend("A", { delayMs: 200 });
      const port = await freePort();
      run = await startSluice(
        target,
        reuseConfig(port, `    server a 127.0.0.1:${be.port} pool-purge-delay 200ms pool-low-conn 1`, { reuse: "always" }),
      );
      const cs = await Promise.all([client(port), client(port), client(port)]);
      const replies = await Promise.all(cs.map((c, i) => c.request(`/slow/${i}`)));
      for (const r of replies) expect(r.status).toBe(200);
      expect(be.connections).toBe(3);
      await waitFor(() => be.closedIds.length >= 2, 2500, "the purge of 2 idle connections");
      // Well past several purge delays: the last one stays.
      await sleep(800);
      expect(be.closedIds.length).toBe(2);
      expect(be.open).toBe(1);
      const survivor = be.openIds()[0]!;
      const d = await client(port);
      expect(connId(await ok(d, "/d"))).toBe(survivor);
      expect(be.connections).toBe(3);
      proxyHealthy();
    }, TIMEOUT);

    for (const mode of ["safe", "always"] as const) {
      test(`invariant 8 (${mode}, retries 0): idle connections the server closed are dropped before anyone picks them`, async () => {
        const be = await backend("A");
        const port = await freePort();
        // pool-low-conn 2: b's connection is kept idle beside a's though the two were never in use at once (HAProxy's estimate alone would close it).
        run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port} pool-low-conn 2`, { reuse: mode, be: "    retries 0" }));
        const a = await client(port);
        const b = await client(port);
        const ida = connId(await ok(a, "/a1"));
        expect(connId(await ok(a, "/a2"))).toBe(ida);
        const idb = connId(await ok(b, "/b1"));
        // safe: b's first request opened its own; always: it took a's (proven) one.
        if (mode === "safe") expect(idb).not.toBe(ida);
        else expect(idb).toBe(ida);
        const dead = be.openIds();
        expect(dead.sort()).toEqual([...new Set([ida, idb])].sort());
        be.closeIdle();
        await waitFor(() => be.open === 0, 2000, "the backend to close its idle connections");
        // Give sluice the FINs (no retries: a pick of a dead connection would show).
        await sleep(100);
        const ra = await ok(a, "/a3");
        expect(dead).not.toContain(connId(ra));
        const rb = await ok(b, "/b2");
        expect(dead).not.toContain(connId(rb));
        const c = await client(port);
        const rc = await ok(c, "/c1");
        expect(dead).not.toContain(connId(rc));
        // No request was lost on a dead connection.
        expect(be.requests.length).toBe(6);
        expect(run!.logLines().filter((l) => / 50[234] /.test(l))).toEqual([]);
        proxyHealthy();
      }, TIMEOUT);
    }

    // ---- invariant 12: send-proxy ----

    test("invariant 12 (always, send-proxy): the PROXY line is the reuse key: clients never share, each reuses its own", async () => {
      const be = await proxyHttpBackend();
      closers.push(be.close);
      const port = await freePort();
      // pool-low-conn 3: each client's connection is kept idle though they take turns (never two in use at once, HAProxy's estimate alone would keep one).
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port} send-proxy pool-low-conn 3`, { reuse: "always" }));
      const a = await client(port);
      const b = await client(port);
      const line = (c: H1Client) => `PROXY TCP4 127.0.0.1 127.0.0.1 ${c.socket.localPort} ${port}`;
      const aIds: number[] = [];
      const bIds: number[] = [];
      // a, b, a, b...: switching keys back and forth reuses each key's connection.
      for (let i = 0; i < 4; i++) {
        const ra = await ok(a, `/a${i}`);
        expect(header(ra, "x-proxy")).toBe(line(a));
        aIds.push(connId(ra));
        const rb = await ok(b, `/b${i}`);
        expect(header(rb, "x-proxy")).toBe(line(b));
        bIds.push(connId(rb));
      }
      expect(new Set(aIds).size).toBe(1);
      expect(new Set(bIds).size).toBe(1);
      expect(aIds[0]).not.toBe(bIds[0]);
      expect(be.conns.length).toBe(2);
      // Each connection told its server the client it carries.
      expect(be.conns[aIds[0]! - 1]!.proxyLine).toBe(line(a));
      expect(be.conns[bIds[0]! - 1]!.proxyLine).toBe(line(b));
      expect(be.conns[aIds[0]! - 1]!.requests).toBe(4);
      // A new client (its first request may take a pooled connection under
      // always) never gets another client's: its own key, a new connection.
      const c = await client(port);
      const rc = await ok(c, "/c");
      expect(header(rc, "x-proxy")).toBe(line(c));
      expect([...aIds, ...bIds]).not.toContain(connId(rc));
      expect(be.conns.length).toBe(3);
      // Even after a's session is gone, b never lands on a's connection.
      a.close();
      await a.closed;
      await sleep(100);
      for (let i = 0; i < 3; i++) expect(connId(await ok(b, `/b-again${i}`))).toBe(bIds[0]!);
      for (const conn of be.conns) expect(conn.proxyLine).toMatch(/^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+$/);
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 12 (tcp mode, send-proxy): the PROXY line goes first, before the client's bytes", async () => {
      const got: Buffer[] = [];
      const be: Backend = await tcpBackend((s) => {
        const chunks: Buffer[] = [];
        s.on("data", (d: Buffer) => chunks.push(d));
        s.on("end", () => {
          const all = Buffer.concat(chunks);
          got.push(all);
          s.end(all);
        });
      });
      closers.push(be.close);
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port} send-proxy`, { mode: "tcp" }));
      for (let i = 0; i < 2; i++) {
        const text = await new Promise<{ local: number; data: string }>((resolve, reject) => {
          const s = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
          let data = "";
          let local = 0;
          s.on("connect", () => {
            local = s.localPort!;
            s.end(`hello ${i}\r\nmore bytes`);
          });
          s.on("data", (d) => (data += d.toString("latin1")));
          s.on("close", () => resolve({ local, data }));
          s.on("error", reject);
        });
        const expected = `PROXY TCP4 127.0.0.1 127.0.0.1 ${text.local} ${port}\r\nhello ${i}\r\nmore bytes`;
        expect(text.data).toBe(expected);
        expect(got[i]!.toString("latin1")).toBe(expected);
      }
      // TCP-mode connections are never pooled: one per client.
      expect(be.accepted).toBe(2);
      proxyHealthy();
    }, TIMEOUT);

    // ---- invariant 15: a reused connection closed before any response byte ----

    test("invariant 15 (always, retries 0): a later request on a reused connection the server drops: the client is closed without a response", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "always", be: "    retries 0" }));
      const c = await client(port);
      const first = connId(await ok(c, "/1"));
      let bytesAfter = 0;
      c.socket.on("data", (d: Buffer) => (bytesAfter += d.length));
      be.dropReused = 1;
      let error: Error | undefined;
      await c.request("/2").then(
        (r) => expect(r).toBeUndefined(),
        (e: Error) => (error = e),
      );
      expect(error?.message).toContain("closed");
      await c.closed;
      expect(bytesAfter).toBe(0);
      expect(be.dropReused).toBe(0);
      // The request did reach the reused connection, and was not sent again.
      expect(be.requests.map((q) => [q.conn, q.url])).toEqual([[first, "/1"], [first, "/2"]]);
      expect(be.connections).toBe(1);
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 15 (always, retries 0): a first request on a pooled connection the server drops gets a 502", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "always", be: "    retries 0" }));
      const p = await client(port);
      const pooled = connId(await ok(p, "/p"));
      p.close();
      await p.closed;
      await sleep(50);
      be.dropReused = 1;
      const n = await client(port);
      const r = await n.request("/n");
      expect(r.status).toBe(502);
      expect(be.dropReused).toBe(0);
      // It went on the pooled connection, and nowhere else.
      expect(be.requests.map((q) => [q.conn, q.url])).toEqual([[pooled, "/p"], [pooled, "/n"]]);
      expect(be.connections).toBe(1);
      await n.closed;
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 15 (always, default retries): the dropped GET is retried on a fresh connection and succeeds, first or later request", async () => {
      const be = await backend("A");
      const port = await freePort();
      run = await startSluice(target, reuseConfig(port, `    server a 127.0.0.1:${be.port}`, { reuse: "always" }));
      const p = await client(port);
      const pooled = connId(await ok(p, "/p"));
      p.close();
      await p.closed;
      await sleep(50);
      // A first request.
      be.dropReused = 1;
      const n = await client(port);
      const r = await ok(n, "/n1");
      expect(be.dropReused).toBe(0);
      expect(connId(r)).not.toBe(pooled);
      expect(connRequests(r)).toBe(1);
      expect(be.connections).toBe(2);
      expect(be.requests.filter((q) => q.url === "/n1").map((q) => q.conn)).toEqual([pooled, connId(r)]);
      // A later request of the same client.
      be.dropReused = 1;
      const r2 = await ok(n, "/n2");
      expect(be.dropReused).toBe(0);
      expect(connRequests(r2)).toBe(1);
      expect(be.connections).toBe(3);
      expect(be.requests.filter((q) => q.url === "/n2").map((q) => q.conn)).toEqual([connId(r), connId(r2)]);
      // The client connection goes on.
      expect(connId(await ok(n, "/n3"))).toBe(connId(r2));
      proxyHealthy();
    }, TIMEOUT);
  });
}
