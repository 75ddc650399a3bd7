import { describe, expect, test } from "bun:test";
import { VirtualClock } from "../../support/virtual-clock.ts";
import { FakeConn, makePool, session, world } from "./fakes.ts";

describe("ServerPool.purge (pool-purge-delay, invariant 8)", () => {
  test("connections idle longer than the delay are closed, younger ones kept", () => {
    const w = world({ pool: { purgeDelay: 5000 } });
    w.clock.t = 0;
    const old = w.idle();
    w.clock.t = 3000;
    const young = w.idle();
    w.clock.t = 5500;
    w.pool.purge();
    expect(old.closed).toBe(true);
    expect(old.place).toBe("closed");
    expect(w.pool.live.has(old)).toBe(false);
    expect(young.closed).toBe(false);
    expect(young.place).toBe("idle");
    expect(w.pool.idleCount).toBe(1);
    expect(w.own.take(session(), w.pool, "", "always", false)).toBe(young);
  });

  test("the safe list and keyed lists are purged too", () => {
    const w = world({ pool: { purgeDelay: 1000 } });
    w.clock.t = 0;
    const safe = w.safe();
    const keyed = w.idle("PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n");
    w.clock.t = 1001;
    w.pool.purge();
    expect(safe.closed && keyed.closed).toBe(true);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
  });

  test("nothing is purged before the delay", () => {
    const w = world({ pool: { purgeDelay: 1000 } });
    w.clock.t = 0;
    const a = w.idle();
    const b = w.safe();
    w.clock.t = 999;
    w.pool.purge();
    expect(a.closed || b.closed).toBe(false);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(2);
  });

  test("pool-low-conn: purging keeps that many idle connections", () => {
    const w = world({ pool: { purgeDelay: 1000, lowConn: 2 } });
    w.clock.t = 0;
    const conns = [w.idle(), w.idle(), w.idle(), w.idle()];
    w.clock.t = 10_000;
    w.pool.purge();
    expect(w.pool.idleCount).toBe(2);
    expect(conns.filter((c) => c.closed).length).toBe(2);
    // The oldest go first.
    expect(conns[0]!.closed && conns[1]!.closed).toBe(true);
    expect(w.pool.live.size).toBe(2);
  });

  test("pool-low-conn counts idle and safe together", () => {
    const w = world({ pool: { purgeDelay: 1000, lowConn: 1 } });
    w.clock.t = 0;
    w.idle();
    w.safe();
    w.clock.t = 5000;
    w.pool.purge();
    expect(w.pool.idleCount + w.pool.safeCount).toBe(1);
  });

  test("private connections are not the pool's to purge", () => {
    const w = world({ pool: { purgeDelay: 1000 } });
    w.clock.t = 0;
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    w.clock.t = 10_000;
    w.pool.purge();
    expect(c.closed).toBe(false);
    expect(s.conns.idleCount).toBe(1);
  });

  test("the purge timer fires by itself, at the delay", async () => {
    const w = world();
    const clock = new VirtualClock();
    const pool = makePool({ purgeDelay: 30 }, clock);
    const s = session();
    const c = new FakeConn(pool);
    w.own.opened(s, pool, c, "safe");
    expect(w.own.release(s, pool, c, true, clock.now(), 5)).toBe("pooled");
    expect(pool.idleCount).toBe(1);
    await clock.advance(29);
    expect(c.closed).toBe(false);
    await clock.advance(1);
    expect(c.closed).toBe(true);
    expect(pool.idleCount).toBe(0);
    expect(pool.live.size).toBe(0);
    expect(clock.pendingTimers).toBe(0); // nothing left to purge: no timer
  });

  test("the purge timer closes the old connection and keeps, then closes, the younger one", async () => {
    const w = world();
    const clock = new VirtualClock();
    const pool = makePool({ purgeDelay: 60 }, clock);
    const s = session();
    const a = new FakeConn(pool);
    const b = new FakeConn(pool);
    w.own.opened(s, pool, a, "safe");
    w.own.opened(s, pool, b, "safe");
    w.own.release(s, pool, a, true, clock.now(), 5);
    await clock.advance(40);
    w.own.release(s, pool, b, true, clock.now(), 5);
    await clock.advance(20);
    expect(a.closed).toBe(true);
    // b went idle 40 ms after a: when a is purged, b is 20 ms idle.
    expect(b.closed).toBe(false);
    await clock.advance(39);
    expect(b.closed).toBe(false);
    await clock.advance(1);
    expect(b.closed).toBe(true);
    expect(pool.idleCount).toBe(0);
  });

  test("no purge timer below pool-low-conn: the connection stays", async () => {
    const w = world();
    const clock = new VirtualClock();
    const pool = makePool({ purgeDelay: 20, lowConn: 1 }, clock);
    const s = session();
    const c = new FakeConn(pool);
    w.own.opened(s, pool, c, "safe");
    w.own.release(s, pool, c, true, clock.now(), 5);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(80);
    expect(c.closed).toBe(false);
    expect(pool.idleCount).toBe(1);
  });

  test("closeIdle closes every idle and safe connection and stops the timer", async () => {
    const w = world();
    const clock = new VirtualClock();
    const pool = makePool({ purgeDelay: 20 }, clock);
    const s = session();
    const a = new FakeConn(pool);
    const b = new FakeConn(pool, "k");
    w.own.opened(s, pool, a, "safe");
    w.own.opened(s, pool, b, "safe");
    w.own.release(s, pool, a, true, clock.now(), 5);
    w.own.release(s, pool, b, true, clock.now(), 5);
    expect(clock.pendingTimers).toBe(1);
    pool.closeIdle();
    expect(a.closes).toBe(1);
    expect(b.closes).toBe(1);
    expect(pool.idleCount + pool.safeCount).toBe(0);
    expect(pool.live.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(50);
    expect(a.closes + b.closes).toBe(2); // no purge afterwards closes them again
  });
});

describe("ServerPool counters", () => {
  test("count(place), idleCount and safeCount follow the connections", () => {
    const w = world();
    const s = session();
    const t = session();
    const priv = w.open(s, "never");
    w.release(s, priv);
    const busy = w.open(t, "always");
    const idle = w.idle();
    const safe = w.safe();
    expect(w.pool.count("private")).toBe(1);
    expect(w.pool.count("in-use")).toBe(1);
    expect(w.pool.count("idle")).toBe(1);
    expect(w.pool.count("safe")).toBe(1);
    expect(w.pool.idleCount).toBe(1);
    expect(w.pool.safeCount).toBe(1);
    expect(w.pool.count("closed")).toBe(0);
    expect(w.pool.live.size).toBe(4);
    // move things around
    expect(w.own.take(t, w.pool, "", "always", false)).toBe(idle);
    expect(w.pool.count("idle")).toBe(0);
    expect(w.pool.count("in-use")).toBe(2);
    w.release(t, busy, { reusable: false });
    expect(w.pool.count("in-use")).toBe(1);
    expect(w.pool.live.size).toBe(3);
    w.own.sessionEnded(s);
    expect(w.pool.count("private")).toBe(0);
    expect(safe.place).toBe("safe");
  });

  test("opened and reused", () => {
    const w = world();
    const s = session();
    const c = w.open(s);
    w.release(s, c);
    expect(w.pool.opened).toBe(1);
    expect(w.pool.reused).toBe(0);
    w.own.take(s, w.pool, "", "safe", false);
    w.release(s, c);
    w.own.take(session(), w.pool, "", "aggressive", true);
    expect(w.pool.opened).toBe(1);
    expect(w.pool.reused).toBe(2);
    expect(c.requests).toBe(3);
  });

  test("a take that finds nothing does not count as reused", () => {
    const w = world();
    expect(w.own.take(session(), w.pool, "", "always", false)).toBeUndefined();
    expect(w.pool.reused).toBe(0);
  });
});

describe("ServerPool keyed lists do not pile up (one key per client with send-proxy)", () => {
  // White box: the number of per-key lists the pool keeps.
  type Inside = { idle: { keyed: Map<string, unknown> }; safe: { keyed: Map<string, unknown> } };
  const keys = (p: object) => {
    const i = p as Inside;
    return i.idle.keyed.size + i.safe.keyed.size;
  };
  const key = (n: number) => `PROXY TCP4 10.0.${n >> 8}.${n & 255} 10.1.0.1 ${1024 + n} 80\r\n`;

  test("taking the last connection of a key forgets the key", () => {
    const w = world();
    for (let n = 0; n < 100; n++) {
      const s = session();
      w.idle(key(n));
      expect(w.own.take(s, w.pool, key(n), "always", false)).toBeDefined();
    }
    expect(w.pool.idleCount).toBe(0);
    expect(keys(w.pool)).toBe(0);
  });

  test("a key whose only connection was dead is forgotten too", () => {
    const w = world();
    const c = w.idle(key(1));
    c.reusable = false;
    expect(w.own.take(session(), w.pool, key(1), "always", false)).toBeUndefined();
    expect(keys(w.pool)).toBe(0);
  });

  test("purge forgets emptied keys; closeIdle forgets all", () => {
    const w = world({ pool: { purgeDelay: 1000 } });
    w.clock.t = 0;
    for (let n = 0; n < 10; n++) w.idle(key(n));
    w.safe(key(99));
    w.clock.t = 500;
    w.idle(key(50));
    w.clock.t = 1400;
    w.pool.purge();
    expect(w.pool.idleCount).toBe(1);
    expect(keys(w.pool)).toBe(1);
    w.pool.closeIdle();
    expect(keys(w.pool)).toBe(0);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
  });

  test("a keyed connection that dies forgets its key", () => {
    const w = world();
    w.idle(key(3)).die();
    expect(keys(w.pool)).toBe(0);
  });

  test("a key still holding connections is kept, and reused", () => {
    const w = world();
    const a = w.idle(key(1));
    const b = w.idle(key(1));
    expect(w.own.take(session(), w.pool, key(1), "always", false)).toBe(b);
    expect(keys(w.pool)).toBe(1);
    expect(w.own.take(session(), w.pool, key(1), "always", false)).toBe(a);
    expect(keys(w.pool)).toBe(0);
  });
});

describe("ServerPool keeps what the server needs (HAProxy's est_need_conns)", () => {
  test("one request per client connection (safe: a new server connection each): one is kept idle, the next ones close", () => {
    const w = world({ busy: 0 });
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = session();
      const c = w.open(s, "safe");
      results.push(w.release(s, c));
    }
    expect(results).toEqual(["pooled", "closed", "closed", "closed", "closed"]);
    expect(w.pool.idleCount).toBe(1);
    expect(w.pool.live.size).toBe(1);
  });

  test("8 in use at once: all 8 are kept when they come back, a 9th beside them is not", () => {
    const w = world({ busy: 0 });
    const sessions = Array.from({ length: 8 }, () => session());
    const conns = sessions.map((s) => w.open(s, "safe"));
    expect(w.pool.neededEstimate(w.clock.t)).toBe(8);
    sessions.forEach((s, i) => expect(w.release(s, conns[i]!)).toBe("pooled"));
    expect(w.pool.idleCount).toBe(8);
    const late = session();
    expect(w.release(late, w.open(late, "safe"))).toBe("closed");
    expect(w.pool.idleCount).toBe(8);
  });

  test("the estimate comes down half way each pool-purge-delay towards what was in use", () => {
    const w = world({ busy: 0, pool: { purgeDelay: 1000 } });
    const sessions = Array.from({ length: 8 }, () => session());
    const conns = sessions.map((s) => w.open(s, "safe"));
    for (const [i, s] of sessions.entries()) w.own.discard(s, w.pool, conns[i]!);
    expect(w.pool.neededEstimate(w.clock.t)).toBe(8);
    w.clock.t += 1000;
    // The period that saw 8 ends: the estimate stays 8, the next period starts from 0 in use.
    expect(w.pool.neededEstimate(w.clock.t)).toBe(8);
    w.clock.t += 1000;
    expect(w.pool.neededEstimate(w.clock.t)).toBe(4);
    w.clock.t += 2000;
    expect(w.pool.neededEstimate(w.clock.t)).toBe(1);
  });

  test("a connection being opened counts as in use (HAProxy's conn_new): a burst whose connects overlap its releases keeps every connection", () => {
    // 8 streams ask at once; their connects complete one by one, and each
    // stream's exchange ends before the next connect completes. Counted only
    // once open, at most 1 was ever in use: the estimate stayed 1 and 7 of
    // the 8 were closed on release, to be opened again by the next burst.
    const w = world({ busy: 0 });
    const opening = Array.from({ length: 8 }, () => w.pool.connecting());
    expect(w.pool.neededEstimate(w.clock.t)).toBe(8);
    const results = opening.map((o) => {
      const s = session();
      o.ended();
      return w.release(s, w.open(s, "safe"));
    });
    expect(results).toEqual(Array(8).fill("pooled"));
    expect(w.pool.idleCount).toBe(8);
  });

  test("a connect ended twice (success, then its timeout) is counted once", () => {
    const w = world({ busy: 0, pool: { purgeDelay: 1000 } });
    const o = w.pool.connecting();
    o.ended();
    o.ended();
    w.clock.t += 1000;
    w.clock.t += 1000;
    // Nothing in use or opening any more: the estimate comes down from the one connect, not below zero.
    w.clock.t += 10_000;
    expect(w.pool.neededEstimate(w.clock.t)).toBe(0);
  });

  test("pool-low-conn adds that many idle connections beyond the estimate", () => {
    const w = world({ busy: 0, pool: { lowConn: 2 } });
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = session();
      results.push(w.release(s, w.open(s, "safe")));
    }
    expect(results).toEqual(["pooled", "pooled", "pooled", "closed", "closed"]);
  });
});
