// The in-memory stick table: counters, expiry, LRU eviction with referenced
// entries kept, purge budgets, and a bound that holds under random use.
import { describe, expect, test } from "bun:test";
import { MemoryStickStore } from "../../src/stick/memory-store.ts";
import { MemoryStickTable } from "../../src/stick/table.ts";
import { STICK_COUNTERS, stickSpecProblems } from "../../src/stick/layout.ts";
import { StickSpecError, type StickCounterSpec, type StickEntry, type StickTableSpec } from "../../src/stick/types.ts";

const ALL: StickCounterSpec[] = [...STICK_COUNTERS].map(([counter, def]) =>
  def.rate ? { counter, periodMs: 1000 } : { counter },
);

function table(over: Partial<StickTableSpec> = {}): MemoryStickTable {
  return new MemoryStickTable({ name: "t", type: "integer", len: 32, size: 100, expireMs: 10_000, store: ALL, ...over });
}

describe("counters", () => {
  test("every HAProxy counter name is stored and starts at 0", () => {
    const e = table().track(1, 5000)!;
    for (const { counter } of ALL) expect(e.read(counter, 5000)).toBe(0);
    expect(e.read("gpt0", 5000)).toBeUndefined();
    expect(e.read("nonsense", 5000)).toBeUndefined();
  });

  test("add on either name of a family counts the _cnt and the _rate", () => {
    const e = table().track(1, 5000)!;
    for (const family of ["conn", "sess", "http_req", "http_err", "bytes_in", "bytes_out"]) {
      expect(e.add(`${family}_cnt`, 5000)).toBe(true);
      expect(e.add(`${family}_rate`, 5100, 4)).toBe(true);
      expect(e.read(`${family}_cnt`, 5200)).toBe(5);
      expect(e.read(`${family}_rate`, 5200)).toBe(5);
    }
    expect(e.add("gpc0", 5000)).toBe(true); // sc-inc-gpc0
    expect(e.add("gpc0_rate", 5000, 2)).toBe(true);
    expect([e.read("gpc0", 5000), e.read("gpc0_rate", 5000)]).toEqual([3, 3]);
    expect(e.add("gpc1", 5000)).toBe(true);
    expect([e.read("gpc1", 5000), e.read("gpc1_rate", 5000), e.read("gpc0", 5000)]).toEqual([1, 1, 3]);
  });

  test("add counts only what is stored; a family with nothing stored refuses", () => {
    const e = table({ store: [{ counter: "http_req_rate", periodMs: 1000 }] }).track(1, 5000)!;
    expect(e.add("http_req_cnt", 5000, 3)).toBe(true);
    expect(e.read("http_req_rate", 5000)).toBe(3);
    expect(e.read("http_req_cnt", 5000)).toBeUndefined();
    expect(e.add("http_err_cnt", 5000)).toBe(false);
    expect(e.add("server_id", 5000)).toBe(false);
    expect(e.add("conn_cur", 5000)).toBe(false);
    expect(e.add("nonsense", 5000)).toBe(false);
  });

  test("set: server_id, gpc0/gpc1 and plain counters; never a rate or an unstored counter", () => {
    const e = table().track(1, 5000)!;
    expect(e.set("server_id", 3, 5000)).toBe(true);
    expect(e.set("gpc0", 42, 5000)).toBe(true);
    expect(e.set("gpc1", -1, 5000)).toBe(true); // unsigned int in HAProxy
    expect(e.set("http_req_cnt", 7, 5000)).toBe(true);
    expect([e.read("server_id", 0), e.read("gpc0", 0), e.read("gpc1", 0), e.read("http_req_cnt", 0)]).toEqual([
      3, 42, 4294967295, 7,
    ]);
    expect(e.set("server_id", -2, 5000)).toBe(true); // signed
    expect(e.read("server_id", 0)).toBe(-2);
    expect(e.set("http_req_rate", 1, 5000)).toBe(false);
    expect(e.set("gpc0", Number.NaN, 5000)).toBe(false);
    const bare = table({ store: [] }).track(1, 5000)!;
    expect(bare.set("gpc0", 1, 5000)).toBe(false);
  });

  test("32-bit counters wrap as HAProxy's unsigned ints; bytes counters do not", () => {
    const e = table().track(1, 5000)!;
    e.set("gpc0", 4294967295, 5000);
    e.add("gpc0", 5000);
    expect(e.read("gpc0", 5000)).toBe(0);
    e.add("bytes_out_cnt", 5000, 2 ** 40);
    e.add("bytes_out_cnt", 5000, 2 ** 40);
    expect(e.read("bytes_out_cnt", 5000)).toBe(2 ** 41);
  });

  test("connOpen counts conn_cur, conn_cnt and conn_rate; connClose lowers conn_cur, never below 0", () => {
    const e = table().track(1, 5000)!;
    e.connOpen(5000);
    e.connOpen(5001);
    expect([e.read("conn_cur", 5001), e.read("conn_cnt", 5001), e.read("conn_rate", 5001)]).toEqual([2, 2, 2]);
    e.connClose(5002);
    e.connClose(5003);
    e.connClose(5004);
    expect([e.read("conn_cur", 5004), e.read("conn_cnt", 5004)]).toEqual([0, 2]);
  });

  test("entries of one table are independent", () => {
    const t = table();
    t.track(1, 0)!.add("gpc0", 0, 5);
    t.track(2, 0)!.add("gpc0", 0, 1);
    expect([t.lookup(1, 0)!.read("gpc0", 0), t.lookup(2, 0)!.read("gpc0", 0)]).toEqual([5, 1]);
  });
});

describe("expiry", () => {
  test("an entry untouched for expireMs is gone; lookup does not refresh it", () => {
    const t = table({ expireMs: 1000 });
    t.track(1, 0)!.add("gpc0", 0);
    expect(t.lookup(1, 999)!.read("gpc0", 999)).toBe(1);
    expect(t.lookup(1, 1000)).toBeUndefined();
    expect(t.size).toBe(0);
    const fresh = t.track(1, 1001)!;
    expect(fresh.read("gpc0", 1001)).toBe(0);
  });

  test("every write refreshes the date (HAProxy touches on each update); reads do not", () => {
    const t = table({ expireMs: 1000 });
    const e = t.track(1, 0)!;
    e.add("http_req_cnt", 900);
    expect(e.expiresAt).toBe(1900);
    e.read("http_req_cnt", 1500);
    e.set("gpc0", 1, 1600);
    expect(e.expiresAt).toBe(2600);
    e.connOpen(2000);
    e.connClose(2500);
    e.touch(2700);
    expect(t.lookup(1, 3699)).toBe(e);
    expect(t.lookup(1, 3700)).toBeUndefined();
  });

  test("connClose touches only a table that stores conn_cur", () => {
    const t = table({ expireMs: 1000, store: [{ counter: "conn_cnt" }] });
    const e = t.track(1, 0)!;
    e.connClose(500);
    expect(e.expiresAt).toBe(1000);
  });

  test("a referenced entry never expires; released after its date, it leaves at once", () => {
    const t = table({ expireMs: 1000 });
    const e = t.track(1, 0)!;
    e.ref();
    expect(t.lookup(1, 5000)).toBe(e);
    expect(t.purge(5000, 10)).toBe(0);
    e.unref();
    expect(t.size).toBe(0);
    expect(t.lookup(1, 5000)).toBeUndefined();
  });

  test("released before its date, it stays until then", () => {
    const t = table({ expireMs: 1000 });
    const e = t.track(1, 0)!;
    e.ref();
    t.lookup(2, 500);
    e.unref();
    expect(t.lookup(1, 999)).toBe(e);
    expect(t.purge(999, 10)).toBe(0);
    expect(t.purge(1000, 10)).toBe(1);
  });

  test("expireMs 0: entries never expire, they are only evicted", () => {
    const t = table({ expireMs: 0, size: 2 });
    t.track(1, 0);
    expect(t.lookup(1, 1e12)).toBeDefined();
    expect(t.purge(1e12, 10)).toBe(0);
    t.track(2, 1e12);
    t.track(3, 1e12);
    expect(t.lookup(1, 1e12)).toBeUndefined();
  });

  test("entries(now) lists live entries only", () => {
    const t = table({ expireMs: 1000 });
    t.track(1, 0);
    t.track(2, 500);
    t.track(3, 0)!.ref();
    expect([...t.entries(1200)].map((e) => e.key).sort()).toEqual([2, 3]);
  });
});

describe("size bound and LRU eviction", () => {
  test("past size, the least recently written entry goes", () => {
    const t = table({ size: 3 });
    t.track(1, 0);
    t.track(2, 1);
    t.track(3, 2);
    t.track(1, 3); // 1 is now the most recent
    t.track(4, 4); // evicts 2
    expect(t.size).toBe(3);
    expect(t.lookup(2, 4)).toBeUndefined();
    expect([1, 3, 4].map((k) => t.lookup(k, 4) !== undefined)).toEqual([true, true, true]);
    t.lookup(3, 5)!.add("gpc0", 5); // a write counts as use
    t.track(5, 6); // evicts 1
    expect(t.lookup(1, 6)).toBeUndefined();
    expect(t.lookup(3, 6)).toBeDefined();
  });

  test("referenced entries are kept: the oldest unreferenced one goes instead", () => {
    const t = table({ size: 3 });
    t.track(1, 0)!.ref();
    t.track(2, 1)!.ref();
    t.track(3, 2);
    t.track(4, 3); // 1 and 2 are older but in use: 3 goes
    expect(t.lookup(3, 3)).toBeUndefined();
    expect([1, 2, 4].map((k) => t.lookup(k, 3) !== undefined)).toEqual([true, true, true]);
  });

  test("a full table of referenced entries tracks nothing new, but still finds its own", () => {
    const t = table({ size: 2 });
    const a = t.track(1, 0)!;
    const b = t.track(2, 0)!;
    a.ref();
    b.ref();
    expect(t.track(3, 1)).toBeUndefined();
    expect(t.size).toBe(2);
    expect(t.track(1, 2)).toBe(a);
    b.unref();
    const c = t.track(3, 3)!;
    expect(c.key).toBe(3);
    expect(t.lookup(2, 3)).toBeUndefined();
    expect(t.lookup(1, 3)).toBe(a);
  });

  test("nopurge: a full table evicts nothing and tracks no new key, but still finds and refreshes its own", () => {
    const t = table({ size: 2, nopurge: true });
    t.track(1, 1000);
    t.track(2, 1001);
    expect(t.track(3, 1002)).toBeUndefined();
    expect(t.size).toBe(2);
    expect(t.track(1, 1003)?.key).toBe(1);
    // Once an entry expires, a new key finds room.
    expect(t.track(3, 1001 + 10_000)?.key).toBe(3);
  });

  test("an evicted entry still answers but never comes back into the table", () => {
    const t = table({ size: 1 });
    const a = t.track(1, 0)!;
    t.track(2, 1);
    a.add("gpc0", 2);
    a.ref();
    a.unref();
    expect(a.read("gpc0", 2)).toBe(1);
    expect(t.lookup(1, 2)).toBeUndefined();
    expect(t.size).toBe(1);
  });

  test("an entry released after being passed over goes back in date order", () => {
    const t = table({ size: 3, expireMs: 1000 });
    const a = t.track(1, 0)!;
    a.ref();
    t.track(2, 10);
    t.track(3, 20);
    t.track(4, 30); // passes over 1 (unlinked), evicts 2
    a.unref(); // back at the head: its date (1000) is the oldest
    t.track(5, 40); // evicts 1, not 3
    expect(t.lookup(1, 40)).toBeUndefined();
    expect(t.lookup(3, 40)).toBeDefined();
    expect(t.purge(1020, 10)).toBe(1); // 3 (date 1020); 4 and 5 are not due
  });

  test("remove and clear leave referenced entries alone", () => {
    const t = table();
    t.track(1, 0)!.ref();
    t.track(2, 0);
    t.track(3, 0);
    expect(t.remove(1)).toBe(false);
    expect(t.remove(2)).toBe(true);
    expect(t.remove(2)).toBe(false);
    expect(t.clear()).toBe(1);
    expect([...t.entries(0)].map((e) => e.key)).toEqual([1]);
  });

  test("the table never holds more than size entries, whatever the calls (random sequences)", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const size = 1 + rand(8);
      const t = table({ size, expireMs: 1 + rand(50) });
      const held: StickEntry[] = [];
      let now = 0;
      for (let step = 0; step < 400; step++) {
        now += rand(5);
        const op = rand(10);
        if (op < 5) {
          const e = t.track(rand(20), now);
          if (e !== undefined && rand(3) === 0) {
            e.ref();
            held.push(e);
          }
        } else if (op < 7 && held.length > 0) held.splice(rand(held.length), 1)[0]!.unref();
        else if (op < 8) t.purge(now, rand(4));
        else if (op < 9) t.lookup(rand(20), now)?.add("gpc0", now);
        else t.remove(rand(20));
        expect(t.size).toBeLessThanOrEqual(size);
        const live = [...t.entries(now)];
        // Referenced entries are always there, and a lookup never returns an expired unreferenced entry.
        for (const e of held) expect(t.lookup(e.key, now)).toBe(e);
        for (const e of live) expect(e.refCount > 0 || e.expiresAt > now).toBe(true);
      }
    }
  });
});

describe("purge", () => {
  test("removes expired entries, oldest first, within its budget", () => {
    const t = table({ expireMs: 100 });
    for (let k = 0; k < 10; k++) t.track(k, k);
    expect(t.purge(104, 3)).toBe(3); // 0, 1, 2 of the 5 due
    expect(t.size).toBe(7);
    expect(t.purge(104, 100)).toBe(2); // 3, 4; stops at 5, not due
    expect(t.size).toBe(5);
    expect(t.purge(1000, 0)).toBe(0);
    expect(t.purge(1000, 100)).toBe(5);
  });

  test("referenced entries met on the way cost budget but stay", () => {
    const t = table({ expireMs: 100 });
    t.track(0, 0)!.ref();
    t.track(1, 1)!.ref();
    t.track(2, 2);
    expect(t.purge(500, 2)).toBe(0);
    expect(t.purge(500, 2)).toBe(1);
    expect(t.size).toBe(2);
  });
});

describe("specs and the store", () => {
  test("every problem of a spec at once", () => {
    expect(
      stickSpecProblems({
        name: "t",
        type: "ip",
        size: 0,
        expireMs: -1,
        len: 0,
        store: [{ counter: "http_req_rate" }, { counter: "gpc0", periodMs: 5 }, { counter: "gpc0" }, { counter: "foo" }],
      }),
    ).toEqual([
      "size must be a positive integer (got 0)",
      "expire must be 0 or more milliseconds (got -1)",
      "len must be a positive integer (got 0)",
      "counter 'http_req_rate' needs a period in whole milliseconds (got undefined)",
      "counter 'gpc0' takes no period",
      "counter 'gpc0' stored twice",
      `unknown counter 'foo' (known: ${[...STICK_COUNTERS.keys()].join(", ")})`,
    ]);
  });

  test("the store builds a table per spec and finds them by name", () => {
    const store = new MemoryStickStore([
      { name: "fe", type: "ip", len: 32, size: 10, expireMs: 1000, store: [{ counter: "http_req_rate", periodMs: 10_000 }] },
      { name: "be", type: "string", len: 8, size: 10, expireMs: 1000, store: [{ counter: "server_id" }] },
    ]);
    expect(store.table("fe")!.spec.type).toBe("ip");
    expect(store.table("be")!.track("abcdefghij", 0)!.key).toBe("abcdefgh");
    expect(store.table("nope")).toBeUndefined();
    expect([...store.tables()].map((t) => t.spec.name)).toEqual(["fe", "be"]);
    store.table("fe")!.track("10.0.0.1", 0);
    expect(store.purge(2000, 10)).toBe(2);
  });

  test("bad specs and duplicate names are refused together, each naming its table", () => {
    let error: unknown;
    try {
      new MemoryStickStore([
        { name: "a", type: "ip", len: 32, size: 0, expireMs: 0, store: [] },
        { name: "b", type: "ip", len: 32, size: 1, expireMs: 0, store: [] },
        { name: "b", type: "ip", len: 32, size: 1, expireMs: 0, store: [{ counter: "x" }] },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StickSpecError);
    expect((error as StickSpecError).problems).toEqual([
      "stick-table 'a': size must be a positive integer (got 0)",
      "stick-table 'b': declared twice",
    ]);
  });
});

describe("clock order", () => {
  test("a write carrying an older `now` dates the entry from the latest clock the table saw", () => {
    const t = new MemoryStickTable({ name: "t", type: "integer", len: 32, size: 2, expireMs: 100, store: [] });
    t.track(1, 50);
    t.track(2, 10); // older now: dated 50 + 100, not 10 + 100
    expect(t.lookup(2, 149)).toBeDefined();
    expect(t.purge(150, 10)).toBe(2);
  });
});

describe("what the peers see (core/peers-sync.ts)", () => {
  test("onWrite hears local writes, not a peer's values; applyRemote replaces the stored counters", () => {
    const t = table({ store: [{ counter: "gpc0" }, { counter: "http_req_cnt" }, { counter: "http_req_rate", periodMs: 10_000 }] });
    const heard: unknown[] = [];
    t.onWrite = (e) => heard.push(e.key);
    t.track(1, 1000)!.add("http_req_cnt", 1000);
    expect(heard).toEqual([1, 1]);
    const e = t.applyRemote(2, new Map<string, number | { start: number; curr: number; prev: number }>([
      ["gpc0", 7],
      ["http_req_cnt", 40],
      ["http_req_rate", { start: 500, curr: 3, prev: 0 }],
      ["conn_cnt", 9],
    ]), 1000)!;
    expect(heard).toEqual([1, 1]);
    expect(e.read("gpc0", 1000)).toBe(7);
    expect(e.read("http_req_cnt", 1000)).toBe(40);
    expect(e.read("http_req_rate", 1000)).toBe(3);
    expect(e.read("conn_cnt", 1000)).toBeUndefined();
    expect(t.rawCounter(e, "http_req_rate")).toEqual({ start: 500, curr: 3, prev: 0 });
    expect(t.rawCounter(e, "gpc0")).toBe(7);
    // A local write after it counts on from the peer's values, and is heard.
    e.add("http_req_cnt", 1100);
    expect(e.read("http_req_cnt", 1100)).toBe(41);
    expect(heard).toEqual([1, 1, 2]);
  });

  test("a timed update's time left replaces the table's expire", () => {
    const t = table({ expireMs: 10_000, store: [{ counter: "gpc0" }] });
    t.applyRemote(3, new Map([["gpc0", 1]]), 1000, 500);
    expect(t.lookup(3, 1400)).toBeDefined();
    expect(t.lookup(3, 1600)).toBeUndefined();
    t.applyRemote(4, new Map([["gpc0", 1]]), 1000);
    expect(t.lookup(4, 10_900)).toBeDefined();
  });
});
