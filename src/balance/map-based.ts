// `hash-type map-based` (the default): the key's hash indexes a table where
// each server appears `weight` times (configured weights), O(1) per pick.
// Cheap and even, but adding or removing a server remaps most keys. When the
// mapped server cannot serve, the next entries of the table are tried, so
// the keys of a server that is down spread over the others while every
// other key stays where it was. No key: round-robin.
import { RoundRobin } from "./roundrobin.ts";
import { weightedSchedule } from "./schedule.ts";
import { type Balancer, type BalanceTarget, NO_KEY } from "./types.ts";

export class MapBasedHash<T extends BalanceTarget> implements Balancer<T> {
  private readonly map: Int32Array;
  private readonly fallback: RoundRobin<T>;

  constructor(private readonly targets: readonly T[]) {
    this.fallback = new RoundRobin(targets);
    this.map = weightedSchedule(targets);
  }

  pick(hash: number, eligible: (t: T) => boolean): T | undefined {
    if (hash === NO_KEY) return this.fallback.pick(hash, eligible);
    const m = this.map;
    const at = hash % m.length;
    for (let i = 0; i < m.length; i++) {
      const slot = m[at + i < m.length ? at + i : at + i - m.length]!;
      const t = this.targets[slot]!;
      if (t.weight > 0 && eligible(t)) return t;
    }
    return undefined;
  }

  update(t: T): void {
    this.fallback.update(t);
  }
}
