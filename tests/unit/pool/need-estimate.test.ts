// What a server's shared lists keep after an exchange (HAProxy's
// srv_add_to_idle_list): a connection is kept idle when the lists hold nothing
// as good, or while in-use plus idle stays within the estimated need (the
// peak in use, decayed at each purge) plus pool-low-conn and one spare
// (SPARE_IDLE in server-pool.ts). Under connection
// churn with `http-reuse safe`, every session's first request opens its own
// connection; without the bound each one sat idle until pool-purge-delay.
import { describe, expect, test } from "bun:test";
import { session, world } from "./fakes.ts";

function fresh(pool: Parameters<typeof world>[0] = {}) {
  const w = world(pool);
  w.pool.estNeed = 0;
  return w;
}

describe("the need estimate bounds the idle connections kept", () => {
  test("sessions one after another (churn): two idle connections are kept (the need, one, and a spare), the next ones close", () => {
    const w = fresh();
    const conns = [];
    for (let i = 0; i < 5; i++) {
      const s = session();
      const c = w.open(s, "safe");
      conns.push(c);
      expect(w.release(s, c)).toBe(i < 2 ? "pooled" : "closed");
    }
    expect(w.pool.idleCount).toBe(2);
    expect(w.pool.live.size).toBe(2);
    expect(conns.slice(2).every((c) => c.closed)).toBe(true);
  });

  test("connections in use together are all kept idle afterwards (the peak is the need)", () => {
    const w = fresh();
    const sessions = [session(), session(), session()];
    const conns = sessions.map((s) => w.open(s, "safe"));
    expect(w.pool.estNeed).toBe(3);
    sessions.forEach((s, i) => expect(w.release(s, conns[i]!)).toBe("pooled"));
    expect(w.pool.idleCount).toBe(3);
    // A fourth alone afterwards is the spare; a fifth is beyond it.
    for (const expected of ["pooled", "closed"] as const) {
      const s = session();
      expect(w.release(s, w.open(s, "safe"))).toBe(expected);
    }
  });

  test("pool-low-conn adds to the need", () => {
    const w = fresh({ pool: { lowConn: 2 } });
    const got = [];
    for (let i = 0; i < 4; i++) {
      const s = session();
      got.push(w.release(s, w.open(s, "safe")));
    }
    expect(got).toEqual(["pooled", "pooled", "pooled", "pooled"]);
    const s = session();
    expect(w.release(s, w.open(s, "safe"))).toBe("closed");
  });

  test("a proven connection is kept when the safe list is empty, whatever the idle list holds", () => {
    const w = fresh();
    const first = session();
    const a = w.open(first, "safe");
    expect(w.release(first, a)).toBe("pooled");
    const donor = session();
    const b = w.open(donor, "safe");
    b.requests = 2; // carried a second request: proven on release
    expect(w.release(donor, b)).toBe("pooled");
    expect(w.pool.safeCount).toBe(1);
    expect(w.pool.idleCount).toBe(1);
  });

  test("each purge halves the estimate towards the last period's peak", () => {
    const w = fresh({ pool: { purgeDelay: 1000 } });
    const sessions = Array.from({ length: 8 }, () => session());
    const conns = sessions.map((s) => w.open(s, "safe"));
    sessions.forEach((s, i) => w.release(s, conns[i]!));
    expect(w.pool.estNeed).toBe(8);
    w.pool.purge(); // the period's peak was 8
    expect(w.pool.estNeed).toBe(8);
    w.pool.purge(); // nothing in use since: (8 + 0) / 2
    expect(w.pool.estNeed).toBe(4);
    w.pool.purge();
    expect(w.pool.estNeed).toBe(2);
  });
});
