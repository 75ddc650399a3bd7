// Each algorithm over plain targets: the share each server gets over many
// picks, against its weight (within a few percent), and what each does that
// the others do not (least connections, power of two choices, first, ...).
import { describe, expect, test } from "bun:test";
import { createBalancer, NO_KEY } from "../../../src/balance/index.ts";
import { hashKey } from "../../../src/balance/hash.ts";
import type { BalanceSettings, HashType } from "../../../src/config/types.ts";

interface T {
  name: string;
  weight: number;
  current: number;
  maxconn: number;
  up: boolean;
  rrCurrent: number;
  lbSlot: number;
  readonly hasSlot: boolean;
}
function targets(weights: number[], maxconn = 0): T[] {
  return weights.map((weight, i) => ({
    name: `s${i}`,
    weight,
    current: 0,
    maxconn,
    up: true,
    rrCurrent: 0,
    lbSlot: 0,
    get hasSlot() {
      return this.maxconn === 0 || this.current < this.maxconn;
    },
  }));
}
const eligible = (t: T) => t.up && t.hasSlot;

/** A seeded generator (mulberry32): the same draws on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks `n` times (with `keyOf(i)` as the key when given), returns the count per server. */
function shares(balance: BalanceSettings, ts: T[], n: number, keyOf?: (i: number) => string, hashType: HashType = "map-based"): number[] {
  const b = createBalancer(balance, hashType, ts, seeded(7));
  const counts = ts.map(() => 0);
  for (let i = 0; i < n; i++) {
    const t = b.pick(keyOf ? hashKey(keyOf(i)) : NO_KEY, eligible)!;
    counts[ts.indexOf(t)]!++;
  }
  return counts;
}

/** Every server's share is within `tolerance` (a fraction of its expected count) of its weight's share. */
function expectWeighted(counts: number[], weights: number[], tolerance: number): void {
  const total = counts.reduce((a, b) => a + b, 0);
  const sum = weights.reduce((a, b) => a + b, 0);
  counts.forEach((c, i) => {
    const expected = (total * weights[i]!) / sum;
    expect(Math.abs(c - expected)).toBeLessThanOrEqual(expected * tolerance);
  });
}

const WEIGHTS = [1, 2, 3, 4];

describe("distribution by weight, 40,000 picks", () => {
  test("roundrobin: exact", () => {
    expect(shares({ algorithm: "roundrobin" }, targets(WEIGHTS), 40_000)).toEqual([4000, 8000, 12000, 16000]);
  });
  test("roundrobin over more than 16 servers (the heap): exact over whole turns, still interleaved", () => {
    const weights = Array.from({ length: 100 }, (_, i) => 1 + (i % 4));
    const counts = shares({ algorithm: "roundrobin" }, targets(weights), 250 * 100);
    counts.forEach((c, i) => expect(c).toBe(100 * weights[i]!));
  });
  test("static-rr: exact", () => {
    expect(shares({ algorithm: "static-rr" }, targets(WEIGHTS), 40_000)).toEqual([4000, 8000, 12000, 16000]);
  });
  test("random: within 3%", () => {
    expectWeighted(shares({ algorithm: "random", draws: 1 }, targets(WEIGHTS), 40_000), WEIGHTS, 0.03);
  });
  test("random(2) with no load: within 5% (the least loaded of two draws is a tie, the first wins)", () => {
    // Ties go to the first draw, so idle servers are still picked by weight.
    expectWeighted(shares({ algorithm: "random", draws: 2 }, targets(WEIGHTS), 40_000), WEIGHTS, 0.05);
  });
  test("leastconn with connections that never end: by weight, exact", () => {
    const ts = targets(WEIGHTS);
    const b = createBalancer({ algorithm: "leastconn" }, "map-based", ts);
    for (let i = 0; i < 1000; i++) {
      const t = b.pick(NO_KEY, eligible)!;
      t.current++;
      b.update(t);
    }
    expect(ts.map((t) => t.current)).toEqual([100, 200, 300, 400]);
  });
  for (const hashType of ["map-based", "consistent"] as const) {
    const tolerance = hashType === "map-based" ? 0.03 : 0.1;
    test(`source, ${hashType}: 40,000 client addresses within ${tolerance * 100}%`, () => {
      const key = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expectWeighted(shares({ algorithm: "source" }, targets(WEIGHTS), 40_000, key, hashType), WEIGHTS, tolerance);
    });
    test(`uri, ${hashType}: 40,000 paths within ${tolerance * 100}%`, () => {
      const key = (i: number) => `/items/${i}`;
      expectWeighted(shares({ algorithm: "uri", whole: false, len: 0, depth: 0 }, targets(WEIGHTS), 40_000, key, hashType), WEIGHTS, tolerance);
    });
    test(`url_param and hdr, ${hashType}: the same key always goes to the same server`, () => {
      for (const balance of [{ algorithm: "url_param", name: "user" }, { algorithm: "hdr", name: "X-User" }] as const) {
        const ts = targets(WEIGHTS);
        const b = createBalancer(balance, hashType, ts);
        for (let k = 0; k < 50; k++) {
          const first = b.pick(hashKey(`user-${k}`), eligible);
          for (let again = 0; again < 5; again++) expect(b.pick(hashKey(`user-${k}`), eligible)).toBe(first!);
        }
      }
    });
  }
});

describe("what each algorithm does", () => {
  test("leastconn: the server with the fewest connections, equals in turn", () => {
    const ts = targets([1, 1, 1]);
    const b = createBalancer({ algorithm: "leastconn" }, "map-based", ts);
    ts[0]!.current = 5;
    b.update(ts[0]!);
    const picked = Array.from({ length: 4 }, () => b.pick(NO_KEY, eligible)!.name);
    expect(picked).toEqual(["s1", "s2", "s1", "s2"]);
    ts[1]!.current = 1;
    b.update(ts[1]!);
    expect(b.pick(NO_KEY, eligible)!.name).toBe("s2");
  });
  test("first: the first server with a free slot; the next once it is full", () => {
    const ts = targets([1, 1, 1], 2);
    const b = createBalancer({ algorithm: "first" }, "map-based", ts);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = b.pick(NO_KEY, eligible)!;
      t.current++;
      b.update(t);
      got.push(t.name);
    }
    expect(got).toEqual(["s0", "s0", "s1", "s1", "s2"]);
    ts[0]!.current--;
    b.update(ts[0]!);
    expect(b.pick(NO_KEY, eligible)!.name).toBe("s0");
  });
  test("random(2): under skewed latency the slow server gets far less than its share", () => {
    // Server 0 holds its connections 10 times longer: with two draws its
    // backlog makes it lose most comparisons; with one draw it gets 1/4.
    const run = (draws: number) => {
      const ts = targets([1, 1, 1, 1]);
      const b = createBalancer({ algorithm: "random", draws }, "map-based", ts, seeded(3));
      const ends: [number, T][] = [];
      let slowPicks = 0;
      for (let tick = 0; tick < 20_000; tick++) {
        for (let i = ends.length - 1; i >= 0; i--) {
          if (ends[i]![0] > tick) continue;
          const t = ends[i]![1];
          t.current--;
          b.update(t);
          ends.splice(i, 1);
        }
        const t = b.pick(NO_KEY, eligible)!;
        t.current++;
        b.update(t);
        if (t === ts[0]) slowPicks++;
        ends.push([tick + (t === ts[0] ? 40 : 4), t]);
      }
      return slowPicks / 20_000;
    };
    const one = run(1);
    const two = run(2);
    expect(one).toBeGreaterThan(0.22);
    expect(two).toBeLessThan(0.12);
  });
  test("weight 0 and ineligible servers are never picked, by any algorithm", () => {
    for (const balance of [
      { algorithm: "roundrobin" },
      { algorithm: "static-rr" },
      { algorithm: "leastconn" },
      { algorithm: "first" },
      { algorithm: "random", draws: 2 },
      { algorithm: "source" },
    ] as BalanceSettings[]) {
      for (const hashType of ["map-based", "consistent"] as const) {
        const ts = targets([1, 0, 1, 1]);
        ts[2]!.up = false;
        const b = createBalancer(balance, hashType, ts, seeded(1));
        for (let i = 0; i < 200; i++) {
          const t = b.pick(balance.algorithm === "source" ? hashKey(`k${i}`) : NO_KEY, eligible)!;
          expect(["s0", "s3"]).toContain(t.name);
        }
        ts[0]!.up = false;
        ts[3]!.up = false;
        expect(b.pick(hashKey("k"), eligible)).toBeUndefined();
      }
    }
  });
  test("a hash algorithm without a key balances round-robin", () => {
    const ts = targets([1, 1]);
    const b = createBalancer({ algorithm: "hdr", name: "X" }, "consistent", ts);
    expect([b.pick(NO_KEY, eligible)!.name, b.pick(NO_KEY, eligible)!.name]).toEqual(["s0", "s1"]);
  });
  test("roundrobin: a weight change (slowstart) takes effect at once", () => {
    const ts = targets(Array.from({ length: 100 }, () => 1));
    const b = createBalancer({ algorithm: "roundrobin" }, "map-based", ts);
    ts[0]!.weight = 10;
    b.update(ts[0]!);
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_900; i++) {
      const t = b.pick(NO_KEY, eligible)!;
      counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    }
    expect(Math.abs(counts.get("s0")! - 1000)).toBeLessThanOrEqual(10);
    expect(Math.abs(counts.get("s1")! - 100)).toBeLessThanOrEqual(2);
  });
});
