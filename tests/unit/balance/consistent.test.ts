// Consistent hashing moves about 1/N of the keys when a server joins or
// leaves; map-based hashing moves most of them. Measured over 20,000 keys.
import { describe, expect, test } from "bun:test";
import { ConsistentHash } from "../../../src/balance/consistent.ts";
import { hashKey } from "../../../src/balance/hash.ts";
import { MapBasedHash } from "../../../src/balance/map-based.ts";
import type { BalanceTarget } from "../../../src/balance/types.ts";

type T = BalanceTarget & { name: string; up: boolean; current: number; weight: number };
const make = (n: number): T[] =>
  Array.from({ length: n }, (_, i) => ({ name: `s${i}`, weight: 1, current: 0, hasSlot: true, rrCurrent: 0, lbSlot: 0, up: true }));
const KEYS = Array.from({ length: 20_000 }, (_, i) => hashKey(`/object/${i}`));
const up = (t: T) => t.up;

function owners(b: { pick(h: number, e: (t: T) => boolean): T | undefined }): string[] {
  return KEYS.map((h) => b.pick(h, up)!.name);
}
function moved(a: string[], b: string[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n / a.length;
}

describe("remapped keys when the server set changes", () => {
  for (const n of [4, 10, 30]) {
    test(`consistent: adding a server to ${n} moves about 1/${n + 1} of the keys, all to the new one`, () => {
      const before = owners(new ConsistentHash(make(n)));
      const after = owners(new ConsistentHash(make(n + 1)));
      const fraction = moved(before, after);
      expect(fraction).toBeGreaterThan(0.5 / (n + 1));
      expect(fraction).toBeLessThan(1.5 / (n + 1));
      for (let i = 0; i < KEYS.length; i++) if (before[i] !== after[i]) expect(after[i]).toBe(`s${n}`);
    });
    test(`consistent: removing one of ${n + 1} servers moves only its own keys`, () => {
      const all = make(n + 1);
      const b = new ConsistentHash(all);
      const before = owners(b);
      all[n]!.up = false;
      const after = owners(b);
      const fraction = moved(before, after);
      expect(fraction).toBeLessThan(1.5 / (n + 1));
      for (let i = 0; i < KEYS.length; i++) if (before[i] !== after[i]) expect(before[i]).toBe(`s${n}`);
    });
  }
  test("map-based: adding a server to 10 moves most keys (why consistent exists)", () => {
    const fraction = moved(owners(new MapBasedHash(make(10))), owners(new MapBasedHash(make(11))));
    expect(fraction).toBeGreaterThan(0.5);
  });
  test("consistent: a server of weight 3 owns about 3 times the keys of one of weight 1", () => {
    const ts = make(2);
    (ts[0] as { weight: number }).weight = 3;
    const o = owners(new ConsistentHash(ts));
    const share = o.filter((x) => x === "s0").length / o.length;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.8);
  });
});

describe("hash-balance-factor: consistent hashing with bounded loads (HAProxy's chash_server_is_eligible)", () => {
  /** Numbers the targets as a balancer does (the constructor does it for RoundRobin's sake). */
  const ring = (ts: T[], factor: number) => {
    ts.forEach((t, i) => (t.lbSlot = i));
    return new ConsistentHash(ts, factor);
  };
  /** Picks `count` streams for one key, each one then carried (current + 1), as the backend does. */
  const carry = (b: ConsistentHash<T>, key: number, count: number) => {
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      const t = b.pick(key, up)!;
      t.current++;
      seen.push(t.name);
    }
    return seen;
  };

  test("without a factor one key stays on its server however busy", () => {
    const ts = make(2);
    expect(new Set(carry(ring(ts, 0), KEYS[0]!, 6)).size).toBe(1);
  });

  test("two equal servers, factor 150: 4 streams of one key go 3 and 1 (the shares HAProxy's arithmetic gives)", () => {
    const ts = make(2);
    const seen = carry(ring(ts, 150), KEYS[0]!, 4);
    const first = seen[0]!;
    const other = ts.find((t) => t.name !== first)!.name;
    // Streams in progress 0, 1, 2, 3: the first server's share (by its place) 1, 1, 2, 3 (s0) or 1, 2, 3, 3 (s1).
    expect(seen).toEqual(first === "s0" ? [first, other, first, first] : [first, first, first, other]);
  });

  test("the shares follow the weights, and a server at its bound passes keys along the ring", () => {
    const ts = make(3);
    ts[0]!.weight = 2;
    const b = ring(ts, 125);
    for (let i = 0; i < 200; i++) carry(b, KEYS[i % 7]!, 1);
    // 200 streams: none above (its weight's share of 200) x 1.25, rounded up, plus one.
    const total = 200;
    for (const t of ts) expect(t.current).toBeLessThanOrEqual(Math.ceil((total * 1.25 * t.weight) / 4) + 1);
    expect(ts[0]!.current).toBeGreaterThan(ts[1]!.current);
  });

  test("never 0 slots: an idle server always takes its own key", () => {
    const ts = make(4);
    const b = ring(ts, 101);
    const t = b.pick(KEYS[3]!, up)!;
    expect(ring(make(4), 0).pick(KEYS[3]!, up)!.name).toBe(t.name);
  });
});
