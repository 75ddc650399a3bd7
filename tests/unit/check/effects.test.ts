// What a change of state does to traffic (Backend.serverDown / serverUp via
// the check): streams waiting for a server that went DOWN are redispatched,
// or end at once when no server is left; its idle pooled connections are
// closed; a server back UP takes the streams that wait.
import { describe, expect, test } from "bun:test";
import { NO_SERVERS, type QueueWaiter } from "../../../src/backend/backend.ts";
import type { Server } from "../../../src/backend/server.ts";
import { setup } from "./fake-net.ts";

function waiter(only?: Server) {
  const seen: string[] = [];
  const w: QueueWaiter & { seen: string[]; only: Server | undefined } = {
    seen,
    only,
    tried: NO_SERVERS,
    granted: (s) => seen.push(`granted ${s.name}`),
    unpin() {
      seen.push("unpinned");
      w.only = undefined;
    },
    noServerLeft: () => seen.push("no server left"),
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
    expect(w.seen).toEqual(["no server left"]);
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

  test("disabled (MAINT): out of traffic and not checked (HAProxy pauses its checks)", async () => {
    const t = setup("backend be\n    server a 127.0.0.1:1001 check disabled\n    server b 127.0.0.1:1002\n");
    t.checks.start();
    await t.net.clock.advance(10_000);
    const a = t.server("a");
    expect([a.state.admin, a.state.op, a.usable, a.disabled, a.state.checks]).toEqual(["MAINT", "UP", false, true, 0]);
    expect(t.net.times(1001)).toEqual([]);
  });
});
