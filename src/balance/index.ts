// A backend's balancer for its algorithm: one file per algorithm, one
// interface (types.ts). Hash algorithms share the ring or the map; what
// they hash (key.ts) is the stream's business.
import { ConsistentHash, type RingTarget } from "./consistent.ts";
import { First } from "./first.ts";
import { LeastConn } from "./leastconn.ts";
import { MapBasedHash } from "./map-based.ts";
import { RandomChoice } from "./random.ts";
import { RoundRobin } from "./roundrobin.ts";
import { type BalanceSettings, HASHING, type HashType } from "../config/balance.ts";
import { StaticRoundRobin } from "./static-rr.ts";
import type { Balancer } from "./types.ts";

export type { Balancer, BalanceTarget } from "./types.ts";
export { NO_KEY } from "./types.ts";

export function createBalancer<T extends RingTarget>(
  balance: BalanceSettings,
  hashType: HashType,
  targets: readonly T[],
  random: () => number = Math.random,
  /** `hash-balance-factor` (consistent hashing only; 0: none). */
  balanceFactor = 0,
): Balancer<T> {
  if (HASHING.has(balance.algorithm)) {
    return hashType === "consistent" ? new ConsistentHash(targets, balanceFactor) : new MapBasedHash(targets);
  }
  switch (balance.algorithm) {
    case "static-rr":
      return new StaticRoundRobin(targets);
    case "leastconn":
      return new LeastConn(targets);
    case "first":
      return new First(targets);
    case "random":
      return new RandomChoice(targets, balance.draws, random);
    default:
      return new RoundRobin(targets);
  }
}
