import { describe, expect, test } from "bun:test";
import { Backend, type QueueWaiter } from "../../src/backend/backend.ts";
import type { Server } from "../../src/backend/server.ts";
import { BUILTIN } from "../../src/config/types.ts";
import { VirtualClock } from "../support/virtual-clock.ts";

const origin = { file: "t.cfg", line: 1 };
function backend(servers: { name: string; weight?: number; backup?: boolean; disabled?: boolean; maxconn?: number }[]) {
  return new Backend({
    name: "be",
    mode: "tcp",
    balance: { algorithm: "roundrobin" },
    retries: 3,
    httpMode: "keep-alive",
    errorFiles: {},
    redispatch: false,
    redispatchInterval: BUILTIN.redispatchInterval,
    retryOn: [...BUILTIN.retryOn],
    httpReuse: "safe",
    healthCheck: { kind: "connect" },
    timeouts: { connect: 1000, client: 1000, server: 1000 },
    origin,
    servers: servers.map((s, i) => ({
      name: s.name,
      host: "127.0.0.1",
      port: 9000 + i,
      weight: s.weight ?? 1,
      backup: s.backup ?? false,
      disabled: s.disabled ?? false,
      maxconn: s.maxconn,
      poolMaxConn: -1,
      poolPurgeDelay: 5000,
      poolLowConn: 0,
      sendProxy: false,
      proto: "h1",
      maxReuse: -1,
      origin,
    })),
  }, new VirtualClock(), BUILTIN.global.h2BackendMaxConcurrentStreams);
}
const none = new Set<Server>();
const name = (p: ReturnType<Backend["take"]>) => (typeof p === "string" ? p : p.name);

describe("Backend.take", () => {
  test("backups serve only when no active server can", () => {
    const b = backend([{ name: "a" }, { name: "bk", backup: true }]);
    expect(name(b.take(none))).toBe("a");
    b.servers[0]!.disabled = true;
    expect(name(b.take(none))).toBe("bk");
  });
  test("tried servers are avoided while another can serve, reused when none can", () => {
    const b = backend([{ name: "a" }, { name: "b" }]);
    const a = b.servers[0]!;
    for (let i = 0; i < 4; i++) expect(name(b.take(new Set([a])))).toBe("b");
    expect(name(b.take(new Set(b.servers)))).toMatch(/^[ab]$/);
  });
  test("disabled and weight-0 servers never serve; nothing usable gives none", () => {
    const b = backend([{ name: "a", disabled: true }, { name: "z", weight: 0 }]);
    expect(b.take(none)).toBe("none");
  });
  test("maxconn: full servers make the backend 'full'; a release hands the slot to the oldest waiter", () => {
    const b = backend([{ name: "a", maxconn: 1 }]);
    const first = b.take(none);
    expect(name(first)).toBe("a");
    expect(b.take(none)).toBe("full");
    const got: string[] = [];
    const w1: QueueWaiter = { tried: none, granted: (s) => got.push(`w1:${s.name}`) };
    const w2: QueueWaiter = { tried: none, granted: (s) => got.push(`w2:${s.name}`) };
    b.enqueue(w1);
    b.enqueue(w2);
    expect(b.queued).toBe(2);
    b.release(b.servers[0]!);
    expect(got).toEqual(["w1:a"]);
    expect(b.servers[0]!.current).toBe(1);
    b.dequeue(w2);
    b.release(b.servers[0]!);
    expect(got).toEqual(["w1:a"]);
    expect(b.servers[0]!.current).toBe(0);
  });

  test("a maxconn raised at run time lets the waiters through at once, oldest first; a lowered one makes new streams queue", () => {
    const b = backend([{ name: "a", maxconn: 1 }]);
    const a = b.servers[0]!;
    expect(name(b.take(none))).toBe("a");
    const got: string[] = [];
    for (const n of ["w1", "w2", "w3"]) b.enqueue({ tried: none, granted: (s) => got.push(`${n}:${s.name}`) });
    a.maxconn = 3;
    b.maxconnChanged(a);
    expect(got).toEqual(["w1:a", "w2:a"]);
    expect(a.current).toBe(3);
    expect(b.queued).toBe(1);
    // 0 lifts the limit (HAProxy: no maxconn), a negative one too (a huge unsigned value there).
    a.maxconn = -1;
    b.maxconnChanged(a);
    expect(got).toEqual(["w1:a", "w2:a", "w3:a"]);
    a.maxconn = 2;
    b.maxconnChanged(a);
    expect(b.take(none)).toBe("full");
    expect(a.current).toBe(4);
  });
});

describe("the streams a backend holds (HAProxy's beconn: show stat's scur, the minconn ramp's load)", () => {
  test("on servers, in the backend's queue, in a server's own queue: counted as they come and go", () => {
    const b = backend([{ name: "a", maxconn: 1 }, { name: "c", maxconn: 1 }]);
    const [a, c] = b.servers as [Server, Server];
    const waiter = (only?: Server): QueueWaiter => ({ tried: none, granted: () => {}, refused: () => {}, ...(only ? { only } : {}) });
    const first = waiter();
    expect(b.assign(first)).toBe(a);
    expect(b.assign(waiter())).toBe(c);
    const queued = waiter();
    expect(b.assign(queued)).toBe("queued");
    const onA = waiter(a);
    const onA2 = waiter(a);
    expect(b.assign(onA)).toBe("queued");
    expect(b.assign(onA2)).toBe("queued");
    expect([b.attached, b.queued, a.queued]).toEqual([5, 1, 2]);
    // Counted once each when they came, queued or not; the most at once.
    expect([b.counters.sessions, b.counters.sessionsMax]).toEqual([5, 5]);
    b.dequeue(onA2);
    expect(b.attached).toBe(4);
    // a's slot goes to the oldest waiter: the backend's.
    b.release(a);
    expect([b.attached, b.queued, a.queued, a.current]).toEqual([3, 0, 1, 1]);
    b.release(a);
    expect([b.attached, a.queued, a.current]).toEqual([2, 0, 1]);
    // A retry's new assign is not a new session.
    b.release(a);
    expect(b.assign(first)).toBe(a);
    expect(b.counters.sessions).toBe(5);
    // a DOWN: its own queue goes elsewhere (or is refused), and the count follows.
    expect(b.assign(waiter(a))).toBe("queued");
    expect(b.attached).toBe(3);
    a.state.admin = "MAINT";
    b.serverDown(a);
    expect(b.attached).toBe(2);
  });
});

describe("a stream bound to a server (persistence cookie, use-server, prefer-last-server)", () => {
  const bound = (server: Server, seen: string[]): QueueWaiter => ({
    tried: none,
    only: server,
    granted: (s) => seen.push(`granted ${s.name}`),
    refused: () => seen.push("refused"),
  });

  test("a server of weight 0 or draining takes it (HAProxy's not-STOPPED); one in maintenance or DOWN does not", () => {
    const b = backend([{ name: "a" }, { name: "z", weight: 0 }, { name: "d" }, { name: "m", disabled: true }]);
    const [, z, d, m] = b.servers as [Server, Server, Server, Server];
    d.state.admin = "DRAIN";
    expect([z.usable, z.running, d.usable, d.running, m.running]).toEqual([false, true, false, true, false]);
    expect(b.assign(bound(z, []))).toBe(z);
    expect(b.assign(bound(d, []))).toBe(d);
    // Load-balanced streams never go there.
    for (let i = 0; i < 4; i++) expect(name(b.take(none))).toBe("a");
    expect(b.takeServer(m)).toBe(false);
    d.state.op = "DOWN";
    expect(b.takeServer(d)).toBe(false);
  });

  test("full, it waits in the server's own queue and gets the next free slot there", () => {
    const b = backend([{ name: "a" }, { name: "z", weight: 0, maxconn: 1 }]);
    const z = b.servers[1]!;
    expect(b.takeServer(z)).toBe(true);
    const seen: string[] = [];
    expect(b.assign(bound(z, seen))).toBe("queued");
    expect(z.queued).toBe(1);
    b.release(z);
    expect(seen).toEqual(["granted z"]);
  });
});
