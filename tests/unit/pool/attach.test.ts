import { describe, expect, test } from "bun:test";
import { OwnershipViolation } from "../../../src/pool/ownership.ts";
import { FakeConn, makePool, session, world } from "./fakes.ts";

// Invariant 1: attaching a backend connection to a session while another
// session owns it (or its stream uses it), or a closed one, is a bug: strict
// throws, otherwise it is reported, counted, and the connection is closed.

function catchViolation(f: () => unknown): OwnershipViolation {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OwnershipViolation);
    return e as OwnershipViolation;
  }
  throw new Error("no OwnershipViolation thrown");
}

describe("attach, strict: throws OwnershipViolation", () => {
  test("a connection owned by another session", () => {
    const w = world({ strict: true });
    const a = session(101);
    const b = session(102);
    const c = w.open(a, "never");
    w.release(a, c);
    const v = catchViolation(() => w.own.attach(b, w.pool, c));
    expect(v.name).toBe("OwnershipViolation");
    expect(v.connId).toBe(c.id);
    expect(v.server).toBe("be/s1");
    expect(v.session).toBe(102);
    expect(v.owner).toBe(101);
    expect(v.message).toContain(`#${c.id}`);
    expect(v.message).toContain("session #102");
    expect(v.message).toContain("session #101");
    // Loud, and counted even so; the connection stays with its owner.
    expect(w.own.violations).toBe(1);
    expect(w.pool.violations).toBe(1);
    expect(c.owner).toBe(a);
    expect(c.attachedTo).toBeUndefined();
  });

  test("a shared connection in use by another session's stream", () => {
    const w = world({ strict: true });
    const a = session(201);
    const b = session(202);
    const c = w.open(a, "always");
    expect(c.owner).toBeUndefined();
    const v = catchViolation(() => w.own.attach(b, w.pool, c));
    expect(v.connId).toBe(c.id);
    expect(v.server).toBe("be/s1");
    expect(v.session).toBe(202);
    expect(v.owner).toBe(201); // the session using it
    expect(c.attachedTo).toBe(a);
    expect(c.requests).toBe(1);
  });

  test("a closed connection", () => {
    const w = world({ strict: true });
    const s = session(301);
    const c = w.open(s, "safe");
    w.release(s, c, { reusable: false });
    expect(c.place).toBe("closed");
    const v = catchViolation(() => w.own.attach(s, w.pool, c));
    expect(v.connId).toBe(c.id);
    expect(v.session).toBe(301);
    expect(v.owner).toBeUndefined();
    expect(v.message).toContain("owner none");
  });

  test("take() of a pooled connection another session owns throws", () => {
    const w = world({ strict: true });
    const a = session(401);
    const b = session(402);
    const c = w.idle();
    c.owner = a; // a bug elsewhere left it owned while shared
    const v = catchViolation(() => w.own.take(b, w.pool, "", "always", false));
    expect(v.connId).toBe(c.id);
    expect(v.session).toBe(402);
    expect(v.owner).toBe(401);
  });

  test("a clean attach: in use by the session, requests + 1, no violation", () => {
    const w = world({ strict: true });
    const s = session();
    const c = new FakeConn(w.pool);
    w.pool.added(c);
    expect(w.own.attach(s, w.pool, c)).toBe(true);
    expect(c.attachedTo).toBe(s);
    expect(c.place).toBe("in-use");
    expect(c.requests).toBe(1);
    expect(w.own.violations).toBe(0);
  });

  test("the owner itself may attach its private connection", () => {
    const w = world({ strict: true });
    const s = session();
    const c = w.open(s, "never");
    w.release(s, c);
    expect(s.conns.take(w.pool, "")).toBe(c);
    expect(w.own.attach(s, w.pool, c)).toBe(true);
    expect(w.own.violations).toBe(0);
  });
});

describe("attach, not strict: reported, counted, closed; the lookup goes on", () => {
  test("owned by another session: refused, reported with both ids, closed", () => {
    const w = world({ strict: false });
    const a = session(501);
    const b = session(502);
    const c = w.open(a, "never");
    w.release(a, c);
    expect(w.own.attach(b, w.pool, c)).toBe(false);
    expect(w.reported.length).toBe(1);
    const v = w.reported[0]!;
    expect(v).toBeInstanceOf(OwnershipViolation);
    expect([v.connId, v.server, v.session, v.owner]).toEqual([c.id, "be/s1", 502, 501]);
    expect(w.own.violations).toBe(1);
    expect(w.pool.violations).toBe(1);
    expect(c.closes).toBe(1);
    expect(c.place).toBe("closed");
    expect(c.attachedTo).toBeUndefined();
    expect(w.pool.live.has(c)).toBe(false);
  });

  test("in use by another session's stream: refused, reported, closed", () => {
    const w = world({ strict: false });
    const a = session(601);
    const b = session(602);
    const c = w.open(a, "always");
    expect(w.own.attach(b, w.pool, c)).toBe(false);
    expect(w.reported.map((v) => [v.session, v.owner])).toEqual([[602, 601]]);
    expect(w.own.violations).toBe(1);
    expect(w.pool.violations).toBe(1);
    expect(c.closed).toBe(true);
    expect(c.attachedTo).toBe(a); // not handed to b
  });

  test("closed: refused, reported, counted", () => {
    const w = world({ strict: false });
    const s = session(701);
    const c = w.open(s, "safe");
    w.release(s, c, { reusable: false });
    expect(w.own.attach(s, w.pool, c)).toBe(false);
    expect(w.reported.length).toBe(1);
    expect(w.reported[0]!.owner).toBeUndefined();
    expect(w.own.violations).toBe(1);
    expect(w.pool.violations).toBe(1);
    expect(c.place).toBe("closed");
  });

  test("take(): a pooled connection owned by another session is closed and the next candidate is taken", () => {
    const w = world({ strict: false });
    const a = session(801);
    const b = session(802);
    const good = w.idle();
    const bad = w.idle();
    bad.owner = a;
    const got = w.own.take(b, w.pool, "", "always", false);
    expect(got).toBe(good);
    expect(got!.attachedTo).toBe(b);
    expect(bad.closed).toBe(true);
    expect(w.pool.live.has(bad)).toBe(false);
    expect(w.reported.map((v) => [v.connId, v.session, v.owner])).toEqual([[bad.id, 802, 801]]);
    expect(w.own.violations).toBe(1);
    expect(w.pool.violations).toBe(1);
    expect(w.pool.idleCount).toBe(0);
  });

  test("take(): a pooled connection in use by another stream is closed, the safe list comes next", () => {
    const w = world({ strict: false });
    const a = session(901);
    const b = session(902);
    const safe = w.safe();
    const bad = w.idle();
    bad.attachedTo = a;
    expect(w.own.take(b, w.pool, "", "safe", false)).toBe(safe);
    expect(bad.closed).toBe(true);
    expect(w.reported[0]!.owner).toBe(901);
    expect(w.own.violations).toBe(1);
  });

  test("take(): a pooled connection marked closed (yet reusable) is refused, next one taken", () => {
    const w = world({ strict: false });
    const good = w.idle();
    const bad = w.idle();
    bad.place = "closed";
    expect(w.own.take(session(), w.pool, "", "always", false)).toBe(good);
    expect(w.own.violations).toBe(1);
    expect(bad.closed).toBe(true);
  });

  test("take(): every candidate refused → undefined (a new connection)", () => {
    const w = world({ strict: false });
    const a = session();
    const b = session();
    const x = w.idle();
    const y = w.safe();
    x.owner = a;
    y.owner = a;
    expect(w.own.take(b, w.pool, "", "always", false)).toBeUndefined();
    expect(w.own.violations).toBe(2);
    expect(w.pool.violations).toBe(2);
    expect(w.reported.length).toBe(2);
    expect(x.closed && y.closed).toBe(true);
    expect(w.pool.idleCount + w.pool.safeCount).toBe(0);
    expect(w.pool.live.size).toBe(0);
  });

  test("take(): a session's own list holding a connection another session owns is refused, then shared lists", () => {
    const w = world({ strict: false });
    const a = session(1001);
    const b = session(1002);
    const stolen = w.open(b, "never");
    w.release(b, stolen);
    // corrupt: b's idle list holds a connection that says it is a's
    stolen.owner = a;
    const shared = w.idle();
    expect(w.own.take(b, w.pool, "", "always", false)).toBe(shared);
    expect(stolen.closed).toBe(true);
    expect(w.reported.map((v) => [v.session, v.owner])).toEqual([[1002, 1001]]);
  });

  test("the violations counters of two pools are separate; Ownership's is the total", () => {
    const w = world({ strict: false });
    const other = makePool({}, w.clock, "be/s2");
    const a = session();
    const b = session();
    const c1 = w.open(a, "never");
    const c2 = w.open(a, "never", "", other);
    expect(w.own.attach(b, w.pool, c1)).toBe(false);
    expect(w.own.attach(b, w.pool, c1)).toBe(false); // now closed too: a second violation
    expect(w.own.attach(b, other, c2)).toBe(false);
    expect(w.pool.violations).toBe(2);
    expect(other.violations).toBe(1);
    expect(w.own.violations).toBe(3);
    expect(w.reported.map((v) => v.server)).toEqual(["be/s1", "be/s1", "be/s2"]);
  });
});
