// Connection-based authentication (NTLM) end to end, under each target:
// invariants 4 (an authenticated connection stays with its client, in every
// reuse mode), 13 (prefer-last-server, even through the queue) and 14 (a
// pooled, shared connection that answers 401 NTLM becomes private, and stays
// so), plus the concurrency acceptance test. The backend reports its own
// connection id and the user it authenticated; sluice runs with
// --strict-ownership, so any ownership violation would crash it.
import { afterEach, describe, expect, test } from "bun:test";
import {
  freePort,
  type Run,
  selectedTargets,
  sleep,
  startSluice,
  stopSluice,
  waitFor,
} from "./harness.ts";
import {
  type ConnBackend,
  connBackend,
  type ConnBackendOptions,
  H1Client,
  ntlmChallengeOf,
  ntlmHandshake,
  ntlmType1,
  ntlmType3,
  type Reply,
} from "./ownership-peers.ts";

const MODES = ["never", "safe", "aggressive", "always"] as const;

function ntlmConfig(port: number, reuse: string, servers: string, be = ""): string {
  return `global
    hard-stop-after 3s

defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout queue 10s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    http-reuse ${reuse}
${be}
${servers}
`;
}

const header = (r: Reply, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
};
const connId = (r: Reply): number => Number(header(r, "x-conn-id"));

function noViolation(run: Run): void {
  expect(run.errLines.filter((l) => l.includes("ownership violation"))).toEqual([]);
}

for (const target of selectedTargets()) {
  describe(`NTLM connection ownership (${target.name})`, () => {
    let run: Run | undefined;
    const backends: ConnBackend[] = [];
    const clients: H1Client[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      if (run) await stopSluice(run);
      run = undefined;
      for (const b of backends.splice(0)) await b.close();
    });
    async function backend(
      name: string,
      options: ConnBackendOptions = { ntlm: true },
    ): Promise<ConnBackend> {
      const b = await connBackend(name, options);
      backends.push(b);
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
      noViolation(run!);
    }

    for (const mode of MODES) {
      test(`invariant 4 (http-reuse ${mode}): an NTLM-authenticated connection carries only its client's requests`, async () => {
        const be = await backend("A");
        const port = await freePort();
        run = await startSluice(
          target,
          ntlmConfig(port, mode, `    server a 127.0.0.1:${be.port}`),
        );

        const a = await client(port);
        const authA = await ntlmHandshake(a, "alice");
        const aConn = connId(authA);
        // The whole handshake went on one backend connection.
        const handshake = be.requests.filter((r) => r.url === "/auth");
        expect(handshake.length).toBe(3);
        expect(new Set(handshake.map((r) => r.conn))).toEqual(new Set([aConn]));

        // Other clients, meanwhile: a plain request each (401, never alice).
        const others: number[] = [];
        const b = await client(port);
        for (let i = 0; i < 5; i++) {
          const r = await a.request(`/a/${i}`, { "x-nonce": `A${i}` });
          expect(r.status).toBe(200);
          expect(header(r, "x-user")).toBe("alice");
          expect(connId(r)).toBe(aConn);
          expect(header(r, "x-nonce")).toBe(`A${i}`);
          // b keeps its connection, a fresh client per round too.
          const rb = await b.request(`/b/${i}`, { "x-nonce": `B${i}` });
          expect(rb.status).toBe(401);
          expect(header(rb, "x-user")).toBeUndefined();
          expect(header(rb, "x-nonce")).toBe(`B${i}`);
          others.push(connId(rb));
          const c = await client(port);
          const rc = await c.request(`/c/${i}`, { "x-nonce": `C${i}` });
          expect(rc.status).toBe(401);
          expect(header(rc, "x-user")).toBeUndefined();
          others.push(connId(rc));
          c.close();
        }
        // b authenticates as itself: on a connection of its own.
        const authB = await ntlmHandshake(b, "bob");
        expect(connId(authB)).not.toBe(aConn);
        others.push(connId(authB));
        const rb = await b.request("/b/after", { "x-nonce": "Bafter" });
        expect(header(rb, "x-user")).toBe("bob");
        others.push(connId(rb));
        // And alice is still alice, on her connection.
        const ra = await a.request("/a/after", { "x-nonce": "Aafter" });
        expect(header(ra, "x-user")).toBe("alice");
        expect(connId(ra)).toBe(aConn);

        expect(others).not.toContain(aConn);
        // The backend's view: everything on alice's connection was alice's.
        const onA = be.requests.filter((r) => r.conn === aConn);
        expect(onA.map((r) => r.url)).toEqual([
          "/auth",
          "/auth",
          "/auth",
          "/a/0",
          "/a/1",
          "/a/2",
          "/a/3",
          "/a/4",
          "/a/after",
        ]);
        proxyHealthy();
      });
    }

    test(
      "acceptance: 50 concurrent NTLM clients x 20 requests under http-reuse always, 20 rounds, every response is its client's",
      async () => {
        const be = await backend("A");
        const port = await freePort();
        run = await startSluice(
          target,
          ntlmConfig(port, "always", `    server a 127.0.0.1:${be.port}`),
        );
        const CLIENTS = 50;
        const REQUESTS = 20;
        const ROUNDS = 20;
        /** Backend connection id -> the client (round/index) that saw it. */
        const seenBy = new Map<number, string>();
        const started = Date.now();
        for (let round = 0; round < ROUNDS; round++) {
          const one = async (i: number): Promise<void> => {
            const who = `r${round}c${i}`;
            const user = `user-${who}`;
            const c = await H1Client.connect(port);
            try {
              const auth = await ntlmHandshake(c, user);
              const conn = connId(auth);
              expect(seenBy.get(conn) ?? who).toBe(who);
              seenBy.set(conn, who);
              for (let n = 0; n < REQUESTS; n++) {
                const nonce = `${who}-${n}-${Math.random().toString(36).slice(2)}`;
                const r = await c.request(`/data/${n}`, { "x-nonce": nonce });
                expect(r.status).toBe(200);
                expect(header(r, "x-user")).toBe(user);
                expect(header(r, "x-nonce")).toBe(nonce);
                expect(connId(r)).toBe(conn);
              }
            } finally {
              c.close();
            }
          };
          await Promise.all(Array.from({ length: CLIENTS }, (_, i) => one(i)));
        }
        // Every client had its own backend connection, never seen by another one.
        expect(seenBy.size).toBe(CLIENTS * ROUNDS);
        expect(be.requests.length).toBe(CLIENTS * ROUNDS * (3 + REQUESTS));
        proxyHealthy();
        console.log(
          `[${target.name}] acceptance: ${CLIENTS * ROUNDS * (3 + REQUESTS)} requests in ${
            Date.now() - started
          } ms`,
        );
      },
      60000,
    );

    for (const mode of MODES) {
      test(`invariant 13 (http-reuse ${mode}): after NTLM the session sticks to its server and connection, although roundrobin alternates`, async () => {
        const a = await backend("a");
        const b = await backend("b");
        const port = await freePort();
        run = await startSluice(
          target,
          ntlmConfig(
            port,
            mode,
            `    server a 127.0.0.1:${a.port}\n    server b 127.0.0.1:${b.port}`,
            "    balance roundrobin",
          ),
        );
        // Without a challenge, roundrobin alternates: one client connection per request.
        const plain: string[] = [];
        for (let i = 0; i < 4; i++) {
          const c = await client(port);
          plain.push(header(await c.request("/x"), "x-served-by")!);
          c.close();
        }
        expect(plain.filter((s) => s === "a").length).toBe(2);
        expect(plain.filter((s) => s === "b").length).toBe(2);

        const c = await client(port);
        const first = await c.request("/auth");
        expect(first.status).toBe(401);
        const server = header(first, "x-served-by")!;
        const conn = connId(first);
        const second = await c.request("/auth", { Authorization: ntlmType1() });
        expect(second.status).toBe(401);
        const challenge = ntlmChallengeOf(second.headers["www-authenticate"])!;
        expect(challenge).toBeDefined();
        const third = await c.request("/auth", { Authorization: ntlmType3("carol", challenge) });
        expect(third.status).toBe(200);
        for (const r of [second, third]) {
          expect(header(r, "x-served-by")).toBe(server);
          expect(connId(r)).toBe(conn);
        }
        for (let i = 0; i < 6; i++) {
          const r = await c.request(`/after/${i}`);
          expect(r.status).toBe(200);
          expect(header(r, "x-served-by")).toBe(server);
          expect(connId(r)).toBe(conn);
          expect(header(r, "x-user")).toBe("carol");
        }
        const other = server === "a" ? b : a;
        expect(
          other.requests.filter((r) => r.url.startsWith("/auth") || r.url.startsWith("/after")),
        ).toEqual([]);
        proxyHealthy();
      });
    }

    for (const mode of MODES) {
      test(`invariant 13 (http-reuse ${mode}): with its server at maxconn, the authenticated session's request queues and still lands on its server and connection`, async () => {
        const a = await backend("a");
        const b = await backend("b");
        const port = await freePort();
        run = await startSluice(
          target,
          ntlmConfig(
            port,
            mode,
            `    server a 127.0.0.1:${a.port} maxconn 1\n    server b 127.0.0.1:${b.port} maxconn 1`,
          ),
        );
        const c = await client(port);
        const auth = await ntlmHandshake(c, "dave");
        const server = header(auth, "x-served-by")!;
        const conn = connId(auth);
        const mine = server === "a" ? a : b;
        const other = server === "a" ? b : a;
        // Two slow clients take the one slot of each server; the other server frees first.
        mine.delayMs = 1000;
        other.delayMs = 100;
        const slow = await Promise.all([client(port), client(port)]);
        const slowDone: number[] = [];
        const slowReplies = slow.map((s, i) =>
          s.request(`/slow/${i}`).then((r) => {
            slowDone.push(Date.now());
            return r;
          })
        );
        await waitFor(
          () =>
            a.requests.some((r) => r.url.startsWith("/slow")) &&
            b.requests.some((r) => r.url.startsWith("/slow")),
          3000,
          "both servers to hold a slow request",
        );
        const sent = Date.now();
        const r = await c.request("/queued");
        const answered = Date.now();
        expect(r.status).toBe(200);
        expect(header(r, "x-served-by")).toBe(server);
        expect(connId(r)).toBe(conn);
        expect(header(r, "x-user")).toBe("dave");
        // It waited in the queue for its own server (the other one was free after 100 ms).
        expect(answered - sent).toBeGreaterThanOrEqual(600);
        const replies = await Promise.all(slowReplies);
        expect(replies.map((x) => header(x, "x-served-by")).sort()).toEqual(["a", "b"]);
        const mineSlow = replies.find((x) => header(x, "x-served-by") === server)!;
        expect(mineSlow.status).toBe(401);
        expect(other.requests.some((x) => x.url === "/queued")).toBe(false);
        expect(Math.max(...slowDone)).toBeLessThanOrEqual(answered);
        proxyHealthy();
      });
    }

    test("invariant 14: under always, a pooled shared connection that answers 401 NTLM becomes private, and a second 401 keeps it so", async () => {
      const be = await backend("A", { ntlm: true, ntlmPrefix: "/auth" });
      const port = await freePort();
      run = await startSluice(
        target,
        ntlmConfig(port, "always", `    server a 127.0.0.1:${be.port}`),
      );

      // X: plain requests leave one shared, proven connection in the pool.
      const x = await client(port);
      const xs: Reply[] = [];
      for (let i = 0; i < 3; i++) xs.push(await x.request(`/plain/${i}`));
      for (const r of xs) {
        expect(r.status).toBe(200);
        expect(header(r, "x-user")).toBeUndefined();
      }
      const pooled = connId(xs[0]!);
      expect(xs.map(connId)).toEqual([pooled, pooled, pooled]);
      x.close();
      await x.closed;
      await sleep(100);
      expect(be.openIds()).toEqual([pooled]);

      // Y: its first request reuses that connection (always) and gets the NTLM offer.
      const y = await client(port);
      const y1 = await y.request("/auth");
      expect(y1.status).toBe(401);
      expect(connId(y1)).toBe(pooled);
      expect(Number(header(y1, "x-conn-requests"))).toBe(4);
      expect(header(y1, "www-authenticate")).toContain("NTLM");
      // A second 401 NTLM on the (now private) connection: relayed, still Y's.
      const y2 = await y.request("/auth", { Authorization: ntlmType1() });
      expect(y2.status).toBe(401);
      expect(connId(y2)).toBe(pooled);
      const challenge = ntlmChallengeOf(y2.headers["www-authenticate"]);
      expect(challenge).toBeDefined();
      const y3 = await y.request("/auth", { Authorization: ntlmType3("yvonne", challenge!) });
      expect(y3.status).toBe(200);
      expect(header(y3, "x-user")).toBe("yvonne");
      expect(connId(y3)).toBe(pooled);

      // Z, while Y is connected: never Y's connection, never Y's identity.
      const zIds: number[] = [];
      for (let i = 0; i < 3; i++) {
        const z = await client(port);
        for (const path of ["/plain/z", "/plain/z2", "/auth"]) {
          const r = await z.request(path);
          expect(header(r, "x-user")).toBeUndefined();
          expect(r.status).toBe(path === "/auth" ? 401 : 200);
          zIds.push(connId(r));
        }
        // Y between Z's requests: still on its connection, still itself.
        const ry = await y.request(`/plain/y${i}`);
        expect(connId(ry)).toBe(pooled);
        expect(header(ry, "x-user")).toBe("yvonne");
        z.close();
      }
      expect(zIds).not.toContain(pooled);

      // Y goes: its private connection is closed, not pooled (invariant 3).
      y.close();
      await waitFor(
        () => be.closedIds.includes(pooled),
        2000,
        "the backend to see Y's connection closed",
      );
      const after = await client(port);
      const ra = await after.request("/plain/after");
      expect(connId(ra)).not.toBe(pooled);
      expect(header(ra, "x-user")).toBeUndefined();
      proxyHealthy();
    });
  });
}
