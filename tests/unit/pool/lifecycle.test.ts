import { describe, expect, test } from "bun:test";
import type { HttpReuse } from "../../../src/config/types.ts";
import { OwnershipViolation } from "../../../src/pool/ownership.ts";
import { FakeConn, makePool, session, world } from "./fakes.ts";

const MODES: HttpReuse[] = ["never", "safe", "aggressive", "always"];

describe("Ownership.opened", () => {
  test("registers the connection in pool.live, counts it opened, attaches it shared (safe)", () => {
    const w = world();
    const s = session();
    const c = new FakeConn(w.pool);
    w.own.opened(s, w.pool, c, "safe");
    expect(w.pool.live.has(c)).toBe(true);
    expect(w.pool.opened).toBe(1);
    expect(c.owner).toBeUndefined();
    expect(c.attachedTo).toBe(s);
    expect(c.place).toBe("in-use");
    expect(c.requests).toBe(1);
    expect(s.conns.owns(c)).toBe(false);
    expect(w.pool.reused).toBe(0);
  });

  for (const mode of ["safe", "aggressive", "always"] as const) {
    test(`${mode}: a new connection is shared (no owner)`, () => {
      const w = world();
      const s = session();
      const c = w.open(s, mode);
      expect(c.owner).toBeUndefined();
      expect(s.conns.ownedCount).toBe(0);
    });
  }

  test("never: the new connection is private to the session at once", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    expect(c.owner).toBe(s);
    expect(s.conns.owns(c)).toBe(true);
    expect(c.attachedTo).toBe(s);
    expect(c.place).toBe("in-use");
    expect(w.pool.live.has(c)).toBe(true);
    expect(w.pool.opened).toBe(1);
  });

  test("opened counts every connection", () => {
    const w = world();
    for (let i = 0; i < 3; i++) w.open(session());
    expect(w.pool.opened).toBe(3);
    expect(w.pool.live.size).toBe(3);
    expect(w.pool.count("in-use")).toBe(3);
  });

  test("a connection opened twice is a violation", () => {
    const w = world({ strict: true });
    const s = session();
    const c = w.open(s);
    expect(() => w.own.opened(s, w.pool, c, "safe")).toThrow(OwnershipViolation);
    expect(w.own.violations).toBe(1);
  });
});

describe("Ownership.release", () => {
  test("after one request: the idle list, shared, idleSince = now", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "always");
    w.clock.t = 4242;
    expect(w.release(s, c)).toBe("pooled");
    expect(c.place).toBe("idle");
    expect(c.proven).toBe(false);
    expect(c.owner).toBeUndefined();
    expect(c.attachedTo).toBeUndefined();
    expect(c.idleSince).toBe(4242);
    expect(c.onIdleClose).toBeDefined();
    expect(w.pool.idleCount).toBe(1);
    expect(w.pool.safeCount).toBe(0);
    expect(c.closed).toBe(false);
  });

  test("after a second request: proven, the safe list", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "always");
    w.release(s, c);
    expect(w.own.take(s, w.pool, "", "always", false)).toBe(c);
    expect(c.requests).toBe(2);
    expect(w.release(s, c)).toBe("pooled");
    expect(c.proven).toBe(true);
    expect(c.place).toBe("safe");
    expect(w.pool.idleCount).toBe(0);
    expect(w.pool.safeCount).toBe(1);
  });

  test("a proven connection stays in the safe list on later releases", () => {
    const w = world();
    const s = session();
    const c = w.safe();
    expect(w.own.take(s, w.pool, "", "always", false)).toBe(c);
    expect(w.release(s, c)).toBe("pooled");
    expect(c.place).toBe("safe");
    expect(w.pool.safeCount).toBe(1);
  });

  test("a private connection goes back to its session's list, not the pool", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    expect(w.release(s, c)).toBe("private");
    expect(c.place).toBe("private");
    expect(c.owner).toBe(s);
    expect(c.attachedTo).toBeUndefined();
    expect(c.onIdleClose).toBe(s.conns.died);
    expect(s.conns.idleCount).toBe(1);
    expect(s.conns.owns(c)).toBe(true);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    expect(w.pool.count("private")).toBe(1);
  });

  test("a proven private connection still goes back to its session (never to the safe list)", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    w.own.take(s, w.pool, "", "never", false);
    expect(w.release(s, c)).toBe("private");
    expect(c.proven).toBe(true);
    expect(w.pool.safeCount).toBe(0);
  });

  test("max-session-srv-conns: beyond it the private connection is closed, not shared (invariant 7)", () => {
    const w = world();
    const s = session();
    const conns = [w.open(s, "never"), w.open(s, "never"), w.open(s, "never")];
    expect(w.release(s, conns[0]!, { max: 2 })).toBe("private");
    expect(w.release(s, conns[1]!, { max: 2 })).toBe("private");
    expect(w.release(s, conns[2]!, { max: 2 })).toBe("closed");
    const extra = conns[2]!;
    expect(extra.closed).toBe(true);
    expect(extra.place).toBe("closed");
    expect(w.pool.live.has(extra)).toBe(false);
    expect(s.conns.owns(extra)).toBe(false);
    expect(s.conns.idleCount).toBe(2);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    // and nobody else gets it
    expect(w.own.take(session(), w.pool, "", "always", false)).toBeUndefined();
  });

  test("max-session-srv-conns counts the session's idle private connections over all servers", () => {
    const w = world();
    const other = makePool({}, w.clock, "be/s2");
    const s = session();
    const a = w.open(s, "never");
    const b = w.open(s, "never", "", other);
    expect(w.release(s, a, { max: 1 })).toBe("private");
    expect(w.release(s, b, { max: 1 })).toBe("closed");
    expect(other.idleCount + other.safeCount).toBe(0);
  });

  test("max-session-srv-conns 0: no private connection is kept", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    expect(w.release(s, c, { max: 0 })).toBe("closed");
    expect(c.closed).toBe(true);
  });

  test("a non-reusable shared connection is closed, not pooled", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "always");
    expect(w.release(s, c, { reusable: false })).toBe("closed");
    expect(c.closes).toBe(1);
    expect(c.place).toBe("closed");
    expect(w.pool.live.has(c)).toBe(false);
    expect(w.pool.idleCount).toBe(0);
  });

  test("a non-reusable private connection is closed and leaves its session", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    expect(w.release(s, c, { reusable: false })).toBe("closed");
    expect(c.closed).toBe(true);
    expect(s.conns.owns(c)).toBe(false);
    expect(s.conns.idleCount).toBe(0);
  });

  test("pool-max-conn 2: the third idle connection is closed (invariant 8)", () => {
    const w = world({ pool: { maxConn: 2 } });
    const s = [session(), session(), session()];
    const c = s.map((x) => w.open(x));
    expect(w.release(s[0]!, c[0]!)).toBe("pooled");
    expect(w.release(s[1]!, c[1]!)).toBe("pooled");
    expect(w.release(s[2]!, c[2]!)).toBe("closed");
    expect(c[2]!.closed).toBe(true);
    expect(w.pool.idleCount).toBe(2);
    expect(w.pool.live.size).toBe(2);
  });

  test("pool-max-conn counts idle and safe together", () => {
    const w = world({ pool: { maxConn: 2 } });
    w.safe();
    w.idle();
    const s = session();
    const c = w.open(s);
    expect(w.release(s, c)).toBe("closed");
    expect(w.pool.idleCount + w.pool.safeCount).toBe(2);
  });

  test("pool-max-conn 0: nothing is pooled", () => {
    const w = world({ pool: { maxConn: 0 } });
    const s = session();
    const c = w.open(s);
    expect(w.release(s, c)).toBe("closed");
    expect(c.closed).toBe(true);
    expect(w.pool.idleCount).toBe(0);
  });

  test("pool-max-conn 0 does not limit private connections (they are the session's)", () => {
    const w = world({ pool: { maxConn: 0 } });
    const s = session();
    const c = w.open(s, "never");
    expect(w.release(s, c)).toBe("private");
  });

  test("pool-max-conn -1: unlimited", () => {
    const w = world({ pool: { maxConn: -1 } });
    for (let i = 0; i < 50; i++) w.idle();
    expect(w.pool.idleCount).toBe(50);
  });

  test("a freed slot is usable again: take one out, the next release is pooled", () => {
    const w = world({ pool: { maxConn: 1 } });
    w.idle();
    const s = session();
    const got = w.own.take(s, w.pool, "", "always", false)!;
    const t = session();
    const fresh = w.open(t);
    expect(w.release(t, fresh)).toBe("pooled");
    expect(w.own.release(s, w.pool, got, true, w.clock.t, 5)).toBe("closed");
  });

  test("released by a session that is not using it: a violation", () => {
    const w = world({ strict: true });
    const a = session(11);
    const b = session(12);
    const c = w.open(a);
    expect(() => w.release(b, c)).toThrow(OwnershipViolation);
    expect(w.own.violations).toBe(1);
    expect(c.attachedTo).toBe(a);
  });
});

describe("Ownership.makePrivate (NTLM / Negotiate, invariants 4 and 14)", () => {
  test("always: a pooled connection used by others, made private by B, is never offered to A again", () => {
    const w = world();
    const a = session(21);
    const b = session(22);
    const c3 = session(23);
    // A opens it, then another client reuses it: it carried other clients' requests.
    const conn = w.open(a, "always");
    expect(w.release(a, conn)).toBe("pooled");
    expect(w.own.take(c3, w.pool, "", "always", false)).toBe(conn);
    expect(w.release(c3, conn)).toBe("pooled");
    expect(conn.place).toBe("safe");
    // B's first request takes it (always: safe first) and gets 401 NTLM.
    expect(w.own.take(b, w.pool, "", "always", true)).toBe(conn);
    w.own.makePrivate(b, w.pool, conn);
    expect(conn.owner).toBe(b);
    expect(b.conns.owns(conn)).toBe(true);
    expect(w.release(b, conn)).toBe("private");
    expect(w.pool.safeCount + w.pool.idleCount).toBe(0);
    // Nobody else, in any mode, first or later request, gets it.
    for (const mode of MODES) {
      for (const first of [true, false]) {
        expect(w.own.take(a, w.pool, "", mode, first)).toBeUndefined();
        expect(w.own.take(c3, w.pool, "", mode, first)).toBeUndefined();
      }
    }
    // B's next request goes on it.
    expect(w.own.take(b, w.pool, "", "always", false)).toBe(conn);
    expect(w.own.violations).toBe(0);
  });

  test("a second 401 NTLM on the already private connection keeps it with B", () => {
    const w = world();
    const a = session(31);
    const b = session(32);
    const conn = w.safe();
    expect(w.own.take(b, w.pool, "", "always", true)).toBe(conn);
    w.own.makePrivate(b, w.pool, conn);
    expect(w.release(b, conn)).toBe("private");
    expect(w.own.take(b, w.pool, "", "always", false)).toBe(conn);
    w.own.makePrivate(b, w.pool, conn); // idempotent for its owner
    expect(conn.owner).toBe(b);
    expect(b.conns.ownedCount).toBe(1);
    expect(w.own.violations).toBe(0);
    expect(w.release(b, conn)).toBe("private");
    expect(w.own.take(a, w.pool, "", "always", false)).toBeUndefined();
    expect(w.own.take(a, w.pool, "", "always", true)).toBeUndefined();
    expect(w.own.take(b, w.pool, "", "safe", true)).toBe(conn);
  });

  for (const mode of MODES) {
    test(`${mode}: the connection made private serves its session's next request, and no other session's`, () => {
      const w = world();
      const a = session();
      const b = session();
      const conn = w.open(b, mode);
      w.own.makePrivate(b, w.pool, conn);
      expect(w.release(b, conn)).toBe("private");
      expect(w.own.take(a, w.pool, "", mode, false)).toBeUndefined();
      expect(w.own.take(a, w.pool, "", mode, true)).toBeUndefined();
      expect(w.own.take(b, w.pool, "", mode, true)).toBe(conn);
    });
  }

  test("made private by a session not using it: a violation (strict throws)", () => {
    const w = world({ strict: true });
    const a = session(41);
    const b = session(42);
    const conn = w.open(a, "always");
    let v: unknown;
    try {
      w.own.makePrivate(b, w.pool, conn);
    } catch (e) {
      v = e;
    }
    expect(v).toBeInstanceOf(OwnershipViolation);
    expect((v as OwnershipViolation).session).toBe(42);
    expect((v as OwnershipViolation).owner).toBe(41);
    expect(conn.owner).toBeUndefined();
    expect(b.conns.ownedCount).toBe(0);
  });

  test("made private by a session not using it, not strict: reported, counted, connection closed, not B's", () => {
    const w = world({ strict: false });
    const a = session(51);
    const b = session(52);
    const conn = w.open(a, "always");
    w.own.makePrivate(b, w.pool, conn);
    expect(w.own.violations).toBe(1);
    expect(w.pool.violations).toBe(1);
    expect(w.reported.map((v) => [v.session, v.owner])).toEqual([[52, 51]]);
    expect(conn.owner).toBeUndefined();
    expect(b.conns.ownedCount).toBe(0);
    expect(conn.closed).toBe(true);
  });

  test("made private by a session while it sits idle in the pool: a violation", () => {
    const w = world({ strict: true });
    const conn = w.idle();
    expect(() => w.own.makePrivate(session(), w.pool, conn)).toThrow(OwnershipViolation);
    expect(conn.owner).toBeUndefined();
  });
});

describe("Ownership.sessionEnded (invariant 3)", () => {
  test("every owned connection, idle or in use, is closed; none goes to a shared list", () => {
    const w = world();
    const s = session();
    const idle1 = w.open(s, "never");
    const idle2 = w.open(s, "never");
    const busy = w.open(s, "never");
    w.release(s, idle1);
    w.release(s, idle2);
    w.own.sessionEnded(s);
    for (const c of [idle1, idle2, busy]) {
      expect(c.closes).toBe(1);
      expect(c.place).toBe("closed");
      expect(c.attachedTo).toBeUndefined();
      expect(c.onIdleClose).toBeUndefined();
      expect(w.pool.live.has(c)).toBe(false);
    }
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
    expect(s.conns.ownedCount).toBe(0);
    expect(s.conns.idleCount).toBe(0);
    expect(w.own.violations).toBe(0);
  });

  test("a connection made private by NTLM is closed at session end, never pooled", () => {
    const w = world();
    const b = session();
    const conn = w.safe();
    w.own.take(b, w.pool, "", "always", false);
    w.own.makePrivate(b, w.pool, conn);
    w.release(b, conn);
    w.own.sessionEnded(b);
    expect(conn.closed).toBe(true);
    expect(w.pool.safeCount + w.pool.idleCount).toBe(0);
    expect(w.own.take(session(), w.pool, "", "always", true)).toBeUndefined();
    expect(w.pool.live.has(conn)).toBe(false);
  });

  test("private connections to several servers all close", () => {
    const w = world();
    const other = makePool({}, w.clock, "be/s2");
    const s = session();
    const a = w.open(s, "never");
    const b = w.open(s, "never", "", other);
    w.release(s, a);
    w.own.sessionEnded(s);
    expect(a.closed && b.closed).toBe(true);
    expect(w.pool.live.size + other.live.size).toBe(0);
  });

  test("other sessions' connections are untouched", () => {
    const w = world();
    const s = session();
    const t = session();
    const mine = w.open(s, "never");
    const theirs = w.open(t, "never");
    const pooled = w.idle();
    w.release(t, theirs);
    w.own.sessionEnded(s);
    expect(mine.closed).toBe(true);
    expect(theirs.closed).toBe(false);
    expect(pooled.closed).toBe(false);
    expect(t.conns.idleCount).toBe(1);
    expect(w.pool.idleCount).toBe(1);
  });

  test("a connection dying after its session ended does nothing more", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    w.own.sessionEnded(s);
    c.die();
    expect(c.closes).toBe(2); // the fake counts every call; no list is touched
    expect(s.conns.idleCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
  });
});

describe("idle connections that die (onIdleClose, invariant 8)", () => {
  test("a private idle connection that dies leaves the session's list", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    c.die();
    expect(s.conns.idleCount).toBe(0);
    expect(s.conns.owns(c)).toBe(false);
    expect(w.pool.live.has(c)).toBe(false);
    expect(c.place).toBe("closed");
    expect(w.pool.count("private")).toBe(0);
    expect(w.own.take(s, w.pool, "", "never", false)).toBeUndefined();
    expect(c.closes).toBe(1);
  });

  test("a private idle connection dying frees its max-session-srv-conns slot", () => {
    const w = world();
    const s = session();
    const a = w.open(s, "never");
    const b = w.open(s, "never");
    w.release(s, a, { max: 1 });
    a.die();
    expect(w.release(s, b, { max: 1 })).toBe("private");
  });

  test("a pooled idle connection that dies leaves the pool before take()", () => {
    const w = world();
    const older = w.idle();
    const c = w.idle();
    c.die();
    expect(w.pool.idleCount).toBe(1);
    expect(w.pool.live.has(c)).toBe(false);
    expect(c.place).toBe("closed");
    expect(c.closes).toBe(1);
    expect(w.own.take(session(), w.pool, "", "always", false)).toBe(older);
    expect(w.own.take(session(), w.pool, "", "always", false)).toBeUndefined();
  });

  test("a safe connection that dies leaves the safe list", () => {
    const w = world();
    const c = w.safe();
    c.die();
    expect(w.pool.safeCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
    expect(w.own.take(session(), w.pool, "", "aggressive", true)).toBeUndefined();
  });

  test("a keyed pooled connection that dies leaves its key's list", () => {
    const w = world();
    const c = w.idle("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
    c.die();
    expect(w.pool.idleCount).toBe(0);
    expect(w.own.take(session(), w.pool, c.key, "always", false)).toBeUndefined();
  });

  test("a dead pooled connection frees its pool-max-conn slot", () => {
    const w = world({ pool: { maxConn: 1 } });
    w.idle().die();
    const s = session();
    expect(w.release(s, w.open(s))).toBe("pooled");
  });

  test("a taken connection no longer has onIdleClose (it is not idle)", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    w.idle();
    expect(w.own.take(s, w.pool, "", "never", false)).toBe(c);
    expect(c.onIdleClose).toBeUndefined();
    const p = w.own.take(session(), w.pool, "", "always", false)!;
    expect(p.onIdleClose).toBeUndefined();
  });
});

describe("violations on connections held idle", () => {
  test("a pooled connection closed by a violation leaves the pool and its pool-max-conn slot", () => {
    const w = world({ strict: false, pool: { maxConn: 1 } });
    const c = w.idle();
    // A stray release by a session that never had it.
    expect(w.own.release(session(), w.pool, c, true, w.clock.t, 5)).toBe("closed");
    expect(w.own.violations).toBe(1);
    expect(c.closed).toBe(true);
    expect(w.pool.idleCount).toBe(0);
    expect(w.pool.live.has(c)).toBe(false);
    const s = session();
    expect(w.release(s, w.open(s))).toBe("pooled");
  });

  test("a private idle connection closed by a violation leaves its session's list", () => {
    const w = world({ strict: false });
    const owner = session();
    const c = w.open(owner, "never");
    w.release(owner, c, { max: 1 });
    w.own.makePrivate(session(), w.pool, c); // not using it: a violation
    expect(c.closed).toBe(true);
    expect(owner.conns.idleCount).toBe(0);
    expect(owner.conns.owns(c)).toBe(false);
    expect(w.release(owner, w.open(owner, "never"), { max: 1 })).toBe("private");
  });
});

describe("Ownership.discard and detach", () => {
  test("discard: a connection given up mid-stream is closed, never pooled, leaves its owner", () => {
    const w = world();
    const s = session();
    const shared = w.open(s, "always");
    const priv = w.open(s, "never");
    w.own.discard(s, w.pool, shared);
    w.own.discard(s, w.pool, priv);
    expect(shared.closed && priv.closed).toBe(true);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
    expect(s.conns.ownedCount).toBe(0);
  });

  test("discard by a session whose stream does not use it: a violation", () => {
    const w = world({ strict: true });
    const c = w.open(session());
    expect(() => w.own.discard(session(), w.pool, c)).toThrow(OwnershipViolation);
  });

  test("detach: an idle private connection leaves its session and is no longer owned", () => {
    const w = world();
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    w.own.detach(s, w.pool, c);
    expect(c.owner).toBeUndefined();
    expect(c.onIdleClose).toBeUndefined();
    expect(s.conns.idleCount).toBe(0);
    expect(s.conns.owns(c)).toBe(false);
    expect(w.own.take(s, w.pool, "", "never", false)).toBeUndefined();
  });

  test("detach by a session that does not own it: a violation", () => {
    const w = world({ strict: true });
    const s = session();
    const c = w.open(s, "never");
    expect(() => w.own.detach(session(), w.pool, c)).toThrow(OwnershipViolation);
    expect(c.owner).toBe(s);
  });
});
