// Micro-benchmark of the balancing algorithms (src/balance/): ns per pick
// with 10, 100 and 1,000 servers, each pick followed by the update a
// connection's start and end cause (as Backend.take/release do), so the
// heaps of leastconn and first move. Hash algorithms get a new key each
// pick. A per-pick cost that does not grow with the server count is O(1);
// one that grows by a constant step per 10x is O(log n).
// Runs under Bun and Deno:
//   bun bench/balance.ts            deno run bench/balance.ts            [picks]

import { createBalancer, NO_KEY } from "../src/balance/index.ts";
import { hashKey } from "../src/balance/hash.ts";
import { pickSmoothWeighted } from "../src/balance/roundrobin.ts";
import type { BalanceSettings, HashType } from "../src/config/types.ts";

const picks =
  Number((globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? "") ||
  Number((globalThis as { Deno?: { args: string[] } }).Deno?.args[0] ?? "") || 300_000;
const runtime = "Bun" in globalThis
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : "Deno" in globalThis
  ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : "unknown";

interface T {
  name: string;
  weight: number;
  current: number;
  hasSlot: boolean;
  rrCurrent: number;
  lbSlot: number;
}

const CASES: [string, BalanceSettings, HashType][] = [
  ["roundrobin", { algorithm: "roundrobin" }, "map-based"],
  ["static-rr", { algorithm: "static-rr" }, "map-based"],
  ["leastconn", { algorithm: "leastconn" }, "map-based"],
  ["first", { algorithm: "first" }, "map-based"],
  ["random(2)", { algorithm: "random", draws: 2 }, "map-based"],
  ["source map-based", { algorithm: "source" }, "map-based"],
  ["source consistent", { algorithm: "source" }, "consistent"],
];

// Keys hashed beforehand: the bench measures the pick, not the hashing of a string.
const KEYS = Array.from({ length: 4096 }, (_, i) => hashKey(`10.0.${i >> 8}.${i & 255}`));
const eligible = (_t: T) => true;

function run(balance: BalanceSettings, hashType: HashType, n: number): number {
  const ts: T[] = Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    weight: 1 + (i % 4),
    current: 0,
    hasSlot: true,
    rrCurrent: 0,
    lbSlot: 0,
  }));
  const b = createBalancer(balance, hashType, ts);
  const hashes = balance.algorithm === "source";
  // Every pick holds its server for a while: a ring of 64 connections in flight.
  const held: (T | undefined)[] = new Array(64);
  const loop = (count: number) => {
    for (let i = 0; i < count; i++) {
      const t = b.pick(hashes ? KEYS[i & 4095]! : NO_KEY, eligible)!;
      t.current++;
      b.update(t);
      const slot = i & 63;
      const old = held[slot];
      if (old !== undefined) {
        old.current--;
        b.update(old);
      }
      held[slot] = t;
    }
  };
  loop(Math.min(20_000, picks)); // warm-up
  const start = performance.now();
  loop(picks);
  return ((performance.now() - start) * 1e6) / picks;
}

const sizes = [10, 100, 1000];
console.log(`# balance: ns per pick (+ its connection's start and end), ${picks} picks, ${runtime}`);
console.log(`| algorithm | ${sizes.map((n) => `${n} servers`).join(" | ")} |`);
console.log(`| --- | ${sizes.map(() => "---:").join(" | ")} |`);
for (const [name, balance, hashType] of CASES) {
  console.log(`| ${name} | ${sizes.map((n) => run(balance, hashType, n).toFixed(0)).join(" | ")} |`);
}

// Why roundrobin switches to the heap above 16 servers: the smooth pass alone.
const smooth = (n: number) => {
  const ts = Array.from({ length: n }, (_, i) => ({ weight: 1 + (i % 4), rrCurrent: 0 }));
  const count = Math.max(1000, Math.floor(picks / (n / 10)));
  for (let i = 0; i < 1000; i++) pickSmoothWeighted(ts, () => true);
  const start = performance.now();
  for (let i = 0; i < count; i++) pickSmoothWeighted(ts, () => true);
  return ((performance.now() - start) * 1e6) / count;
};
console.log(`| (smooth pass alone, O(n)) | ${sizes.map((n) => smooth(n).toFixed(0)).join(" | ")} |`);
