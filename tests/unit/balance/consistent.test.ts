// Consistent hashing moves about 1/N of the keys when a server joins or
// leaves; map-based hashing moves most of them. Measured over 20,000 keys.
import { describe, expect, test } from "bun:test";
import { ConsistentHash } from "../../../src/balance/consistent.ts";
import { hashKey } from "../../../src/balance/hash.ts";
import { MapBasedHash } from "../../../src/balance/map-based.ts";
import type { BalanceTarget } from "../../../src/balance/types.ts";

type T = BalanceTarget & { name: string; up: boolean };
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
