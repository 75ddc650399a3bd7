import { describe, expect, test } from "bun:test";
import { connectionRows, serverCounters } from "../../../src/pool/view.ts";
import { makePool, session, world } from "./fakes.ts";

describe("per-connection view (invariant 17)", () => {
  test("rows: owner, session, state, requests and key of every open connection", () => {
    const w = world();
    const other = makePool({}, w.clock, "be/s2");
    const s = session(7);
    const t = session(8);
    const priv = w.open(s, "never", "K");
    w.release(s, priv);
    const busy = w.open(t, "always", "", other);
    const idle = w.idle();
    const closed = w.open(t);
    w.release(t, closed, { reusable: false });
    const rows = connectionRows([w.pool, other]);
    expect(rows.map((r) => r.id)).toEqual([priv.id, busy.id, idle.id]);
    expect(rows[0]).toEqual({ id: priv.id, server: "be/s1", owner: 7, session: null, state: "private", streams: 0, requests: 1, key: "K" });
    expect(rows[1]).toEqual({ id: busy.id, server: "be/s2", owner: null, session: 8, state: "in-use", streams: 1, requests: 1, key: "" });
    expect(rows[2]!.state).toBe("idle");
    expect(rows[2]!.owner).toBeNull();
  });

  test("server counters", () => {
    const w = world({ strict: false });
    const s = session();
    const priv = w.open(s, "never");
    w.release(s, priv);
    w.open(session());
    w.idle();
    w.safe();
    w.own.attach(session(), w.pool, priv); // a violation
    expect(serverCounters(w.pool)).toEqual({
      server: "be/s1",
      opened: 4,
      reused: 1,
      idle: 1,
      safe: 1,
      private: 0,
      inUse: 1,
      available: 0,
      violations: 1,
    });
  });
});
