import { describe, expect, test } from "bun:test";
import type { HttpReuse } from "../../../src/config/types.ts";
import { type FakeConn, makePool, session, type World, world } from "./fakes.ts";

const MODES: HttpReuse[] = ["never", "safe", "aggressive", "always"];

/** A connection private to `s`, idle in its list: opened under `mode`, made private (NTLM) unless `never` did it. */
function privateIdle(w: World, s: ReturnType<typeof session>, mode: HttpReuse, key = ""): FakeConn {
  const c = w.open(s, mode, key);
  if (mode !== "never") w.own.makePrivate(s, w.pool, c);
  expect(c.owner).toBe(s);
  expect(w.release(s, c)).toBe("private");
  return c;
}

describe("Ownership.take: the session's own private connection first (invariant 11)", () => {
  for (const mode of MODES) {
    for (const first of [true, false]) {
      test(`${mode}, ${first ? "first" : "later"} request: own private connection before any shared one`, () => {
        const w = world();
        const s = session();
        const mine = privateIdle(w, s, mode);
        const idle = w.idle();
        const safe = w.safe();
        expect(w.pool.idleCount).toBe(1);
        expect(w.pool.safeCount).toBe(1);
        const got = w.own.take(s, w.pool, "", mode, first);
        expect(got).toBe(mine);
        expect(got!.place).toBe("in-use");
        expect(got!.attachedTo).toBe(s);
        expect(got!.owner).toBe(s);
        // The shared ones were not touched.
        expect(w.pool.idleCount).toBe(1);
        expect(w.pool.safeCount).toBe(1);
        expect(idle.place).toBe("idle");
        expect(safe.place).toBe("safe");
        expect(s.conns.idleCount).toBe(0);
      });
    }
  }

  test("own private connections are taken most recently used first", () => {
    const w = world();
    const s = session();
    const a = w.open(s, "never");
    const b = w.open(s, "never");
    expect(w.release(s, a)).toBe("private");
    expect(w.release(s, b)).toBe("private");
    expect(w.own.take(s, w.pool, "", "never", false)).toBe(b);
    expect(w.own.take(s, w.pool, "", "never", false)).toBe(a);
    expect(w.own.take(s, w.pool, "", "never", false)).toBeUndefined();
  });

  test("a private connection to another server is not offered", () => {
    const w = world();
    const other = makePool({}, w.clock, "be/s2");
    const s = session();
    const c = w.open(s, "never", "", other);
    expect(w.release(s, c)).toBe("private");
    expect(w.own.take(s, w.pool, "", "never", false)).toBeUndefined();
    expect(w.own.take(s, other, "", "never", false)).toBe(c);
  });

  test("a non-reusable private connection is closed and skipped; the shared lists come next", () => {
    const w = world();
    const s = session();
    const mine = privateIdle(w, s, "always");
    const shared = w.idle();
    mine.reusable = false; // went bad silently
    expect(w.own.take(s, w.pool, "", "always", false)).toBe(shared);
    expect(mine.closes).toBe(1);
    expect(mine.place).toBe("closed");
    expect(w.pool.live.has(mine)).toBe(false);
    expect(s.conns.owns(mine)).toBe(false);
    expect(s.conns.idleCount).toBe(0);
  });
});

describe("Ownership.take: the shared lists per mode", () => {
  test("never: pooled idle and safe connections are never offered, first or later request", () => {
    const w = world();
    const s = session();
    w.idle();
    w.safe();
    expect(w.own.take(s, w.pool, "", "never", true)).toBeUndefined();
    expect(w.own.take(s, w.pool, "", "never", false)).toBeUndefined();
    expect(w.pool.idleCount).toBe(1);
    expect(w.pool.safeCount).toBe(1);
  });

  test("safe, first request: nothing pooled (a new connection), even with idle and safe ones", () => {
    const w = world();
    w.idle();
    w.safe();
    expect(w.own.take(session(), w.pool, "", "safe", true)).toBeUndefined();
    expect(w.pool.idleCount + w.pool.safeCount).toBe(2);
  });

  for (const mode of ["safe", "aggressive", "always"] as const) {
    test(`${mode}, later request: idle first, then safe`, () => {
      const w = world();
      const s = session();
      const safe = w.safe();
      const idle = w.idle();
      expect(w.own.take(s, w.pool, "", mode, false)).toBe(idle);
      expect(w.own.take(s, w.pool, "", mode, false)).toBe(safe);
      expect(w.own.take(s, w.pool, "", mode, false)).toBeUndefined();
    });
  }

  test("aggressive, first request: a safe (proven) connection", () => {
    const w = world();
    const safe = w.safe();
    w.idle();
    expect(w.own.take(session(), w.pool, "", "aggressive", true)).toBe(safe);
  });

  test("aggressive, first request: never an unproven idle one", () => {
    const w = world();
    const idle = w.idle();
    expect(w.own.take(session(), w.pool, "", "aggressive", true)).toBeUndefined();
    expect(idle.place).toBe("idle");
    expect(w.pool.idleCount).toBe(1);
  });

  test("always, first request: safe first, then idle", () => {
    const w = world();
    const idle = w.idle();
    const safe = w.safe();
    const s = session();
    expect(w.own.take(s, w.pool, "", "always", true)).toBe(safe);
    expect(w.own.take(session(), w.pool, "", "always", true)).toBe(idle);
    expect(w.own.take(session(), w.pool, "", "always", true)).toBeUndefined();
  });

  test("the taken connection is attached: in use, counted, requests + 1", () => {
    const w = world();
    const idle = w.idle();
    const s = session();
    expect(idle.requests).toBe(1);
    const got = w.own.take(s, w.pool, "", "always", false)!;
    expect(got).toBe(idle);
    expect(got.place).toBe("in-use");
    expect(got.attachedTo).toBe(s);
    expect(got.owner).toBeUndefined();
    expect(got.requests).toBe(2);
    expect(got.onIdleClose).toBeUndefined();
    expect(w.pool.count("in-use")).toBe(1);
    expect(w.pool.idleCount).toBe(0);
  });
});

describe("Ownership.take: MRU order and dead connections", () => {
  test("idle list: most recently released first", () => {
    const w = world();
    const a = w.idle();
    w.clock.t += 10;
    const b = w.idle();
    w.clock.t += 10;
    const c = w.idle();
    const s = session();
    expect(w.own.take(s, w.pool, "", "always", false)).toBe(c);
    expect(w.own.take(session(), w.pool, "", "always", false)).toBe(b);
    expect(w.own.take(session(), w.pool, "", "always", false)).toBe(a);
  });

  test("safe list: most recently released first", () => {
    const w = world();
    const a = w.safe();
    const b = w.safe();
    expect(w.own.take(session(), w.pool, "", "aggressive", true)).toBe(b);
    expect(w.own.take(session(), w.pool, "", "aggressive", true)).toBe(a);
  });

  test("a non-reusable pooled connection is closed and skipped, the next one is taken", () => {
    const w = world();
    const good = w.idle();
    const bad = w.idle();
    bad.reusable = false;
    const got = w.own.take(session(), w.pool, "", "always", false);
    expect(got).toBe(good);
    expect(bad.closes).toBe(1);
    expect(bad.place).toBe("closed");
    expect(w.pool.live.has(bad)).toBe(false);
    expect(w.pool.idleCount).toBe(0);
    expect(w.own.violations).toBe(0);
  });

  test("only non-reusable pooled connections: all closed, none given", () => {
    const w = world();
    const a = w.idle();
    const b = w.safe();
    a.reusable = false;
    b.reusable = false;
    expect(w.own.take(session(), w.pool, "", "always", false)).toBeUndefined();
    expect(a.closed && b.closed).toBe(true);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
    expect(w.pool.reused).toBe(1); // only the safe() fixture's own reuse
  });
});

describe("Ownership.take: the reuse key (invariant 12)", () => {
  const K1 = "PROXY TCP4 10.0.0.1 10.0.0.9 40000 80\r\n";
  const K2 = "PROXY TCP4 10.0.0.2 10.0.0.9 40001 80\r\n";

  test("same key reuses, another key gets nothing (new connection), back to the first key reuses the first", () => {
    const w = world();
    const s = session();
    const c1 = w.open(s, "safe", K1);
    expect(w.release(s, c1)).toBe("pooled");
    // same key
    expect(w.own.take(s, w.pool, K1, "safe", false)).toBe(c1);
    expect(w.release(s, c1)).toBe("pooled");
    // another key: nothing to reuse, a new connection is opened
    expect(w.own.take(s, w.pool, K2, "safe", false)).toBeUndefined();
    const c2 = w.open(s, "safe", K2);
    expect(c2).not.toBe(c1);
    expect(w.release(s, c2)).toBe("pooled");
    // back to the first key: the first connection, not the newer one
    expect(w.own.take(s, w.pool, K1, "safe", false)).toBe(c1);
    expect(w.own.take(s, w.pool, K2, "safe", false)).toBe(c2);
  });

  test("the plain key \"\" and a PROXY key never match each other", () => {
    const w = world();
    const plain = w.idle("");
    const keyed = w.idle(K1);
    expect(w.own.take(session(), w.pool, K2, "always", false)).toBeUndefined();
    expect(w.own.take(session(), w.pool, "", "always", false)).toBe(plain);
    expect(w.own.take(session(), w.pool, "", "always", false)).toBeUndefined();
    expect(w.own.take(session(), w.pool, K1, "always", false)).toBe(keyed);
  });

  test("a private connection is reused only with its key too", () => {
    const w = world();
    const s = session();
    const c1 = privateIdle(w, s, "never", K1);
    expect(w.own.take(s, w.pool, K2, "never", false)).toBeUndefined();
    const c2 = w.open(s, "never", K2);
    expect(w.release(s, c2)).toBe("private");
    expect(w.own.take(s, w.pool, K1, "never", false)).toBe(c1);
    expect(w.own.take(s, w.pool, K2, "never", false)).toBe(c2);
  });

  test("a keyed safe connection is found by key in the safe list", () => {
    const w = world();
    const c = w.safe(K1);
    expect(w.own.take(session(), w.pool, K2, "aggressive", true)).toBeUndefined();
    expect(w.own.take(session(), w.pool, K1, "aggressive", true)).toBe(c);
  });
});

describe("reused counter", () => {
  test("counts every connection handed out by take (own or shared), not new ones", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    expect(w.pool.reused).toBe(0);
    w.release(s, c);
    w.own.take(s, w.pool, "", "never", false);
    expect(w.pool.reused).toBe(1);
    w.idle();
    w.own.take(session(), w.pool, "", "always", false);
    expect(w.pool.reused).toBe(2);
    w.own.take(session(), w.pool, "", "always", false); // nothing left
    expect(w.pool.reused).toBe(2);
    expect(w.pool.opened).toBe(2);
  });
});
