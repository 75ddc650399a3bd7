// What a change of state does to traffic (Backend.serverDown / serverUp via
// the check): streams waiting for a server that went DOWN, in its own queue
// or pinned to it in the backend's, are redispatched, or end at once when
// bound to it alone or when no server is left; its idle pooled connections
// are closed; a server back UP takes the streams that wait, its weight
// ramping over slowstart from the moment the check brought it UP.
import { describe, expect, test } from "bun:test";
import { NO_SERVERS, type QueueWaiter } from "../../../src/backend/backend.ts";
import type { Server } from "../../../src/backend/server.ts";
import { hashKey } from "../../../src/balance/hash.ts";
import { setup } from "./fake-net.ts";

function waiter(only?: Server, hash?: number) {
  const seen: string[] = [];
  const w: QueueWaiter & { seen: string[]; only: Server | undefined } = {
    seen,
    only,
    tried: NO_SERVERS,
    ...(hash !== undefined ? { hash } : {}),
    granted: (s) => seen.push(`granted ${s.name}`),
    unpin() {
      seen.push("unpinned");
      w.only = undefined;
    },
    refused: () => seen.push("refused (503)"),
  };
  return w;
}

describe("a server going DOWN", () => {
  test("with no server left, the waiting streams end at once (503), not at their queue timeout", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check maxconn 1\n");
    const be = t.backends[0]!;
    expect(be.take(NO_SERVERS)).toBe(t.server("a"));
    const w = waiter();
    be.enqueue(w);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(w.seen).toEqual(["refused (503)"]);
    expect(be.queued).toBe(0);
    expect(t.lines[0]).toEndWith("0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.");
  });

  test("a stream waiting for it alone is redispatched and served by another server", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check maxconn 1\n    server b 127.0.0.1:1002 maxconn 1\n");
    const be = t.backends[0]!;
    be.take(NO_SERVERS);
    be.take(NO_SERVERS);
    const w = waiter(t.server("a"));
    be.enqueue(w);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(w.seen).toEqual(["unpinned"]);
    expect(t.lines[0]).toEndWith("1 active and 0 backup servers left. 1 sessions active, 1 requeued, 1 remaining in queue.");
    be.release(t.server("b"));
    expect(w.seen).toEqual(["unpinned", "granted b"]);
  });

  test("its own queue is redispatched: a stream its key hashes to waits for another server; one bound to it alone gets a 503", async () => {
    const t = setup("backend be\n    balance source\n    server a 127.0.0.1:1001 check maxconn 1\n    server b 127.0.0.1:1002 maxconn 1\n");
    const be = t.backends[0]!;
    const a = t.server("a");
    const b = t.server("b");
    expect(be.takeServer(a)).toBe(true);
    expect(be.takeServer(b)).toBe(true);
    // A client address that hashes to a: both are full, so it waits in a's own queue.
    let hashed = waiter();
    for (let i = 1; i < 100; i++) {
      hashed = waiter(undefined, hashKey(`10.0.0.${i}`));
      expect(be.assign(hashed)).toBe("queued");
      if (hashed.queuedOn === a) break;
      be.dequeue(hashed);
    }
    expect(hashed.queuedOn).toBe(a);
    const pinned = waiter(a);
    expect(be.assign(pinned)).toBe("queued");
    expect(a.queued).toBe(2);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(a.usable).toBe(false);
    expect(a.queued).toBe(0);
    expect(pinned.seen).toEqual(["refused (503)"]);
    expect(hashed.seen).toEqual([]);
    expect(be.queued).toBe(1);
    expect(t.lines[0]).toEndWith("1 active and 0 backup servers left. 1 sessions active, 1 requeued, 1 remaining in queue.");
    be.release(b);
    expect(hashed.seen).toEqual(["granted b"]);
    expect(be.queued).toBe(0);
  });

  test("its idle pooled connections are closed; it takes no new stream", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check\n    server b 127.0.0.1:1002\n");
    const a = t.server("a");
    let closed = 0;
    const closeIdle = a.pool.closeIdle.bind(a.pool);
    a.pool.closeIdle = () => {
      closed++;
      closeIdle();
    };
    t.checks.start();
    await t.net.clock.advance(1);
    expect(closed).toBe(1);
    const picks = [1, 2, 3, 4].map(() => t.backends[0]!.take(NO_SERVERS));
    expect(picks.map((s) => (typeof s === "string" ? s : s.name))).toEqual(["b", "b", "b", "b"]);
  });
});

describe("a server coming back UP", () => {
  test("the streams waiting for a slot get it", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1s rise 1\n    server b 127.0.0.1:1002 maxconn 1\n");
    const be = t.backends[0]!;
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").usable).toBe(false);
    expect(be.take(NO_SERVERS)).toBe(t.server("b"));
    expect(be.take(NO_SERVERS)).toBe("full");
    const w = waiter();
    be.enqueue(w);
    t.net.ports.set(1001, "silent");
    await t.net.clock.advance(1000);
    expect(t.server("a").usable).toBe(true);
    expect(w.seen).toEqual(["granted a"]);
    expect(t.lines.at(-1)).toEndWith("2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
  });

  test("with slowstart its weight ramps from 1 to its own, from the moment the check brought it UP", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check inter 1s rise 1 weight 10 slowstart 10s\n    server b 127.0.0.1:1002 weight 10\n");
    const be = t.backends[0]!;
    const a = t.server("a");
    const pickAndRelease = () => {
      const s = be.take(NO_SERVERS);
      if (typeof s !== "string") be.release(s);
    };
    pickAndRelease();
    expect([a.upSince, a.weight]).toEqual([-1, 10]);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(a.usable).toBe(false);
    t.net.ports.set(1001, "silent");
    await t.net.clock.advance(1000);
    expect(a.usable).toBe(true);
    expect(a.upSince).toBe(a.state.upSince);
    expect(a.upSince).toBe(t.net.clock.now());
    pickAndRelease();
    expect(a.weight).toBe(1);
    await t.net.clock.advance(5000);
    pickAndRelease();
    expect(a.weight).toBe(5);
    await t.net.clock.advance(5000);
    pickAndRelease();
    expect(a.weight).toBe(10);
  });

  test("disabled (MAINT): out of traffic and not checked (HAProxy pauses its checks)", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check disabled\n    server b 127.0.0.1:1002\n");
    t.checks.start();
    await t.net.clock.advance(10_000);
    const a = t.server("a");
    expect([a.state.admin, a.state.op, a.usable, a.disabled, a.state.checks]).toEqual(["MAINT", "UP", false, true, 0]);
    expect(t.net.times(1001)).toEqual([]);
  });
});
