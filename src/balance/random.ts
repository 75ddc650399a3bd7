// `balance random` / `random(N)`: N servers drawn at random in proportion to
// their weights (binary search over cumulative weights, O(log n) a draw),
// the least loaded of them (connections / weight) takes the stream: with
// N = 2 (the default) this is the power of two choices, which keeps a slow
// server from piling up work. The cumulative weights are rebuilt only when a
// weight changes.
import { type Balancer, type BalanceTarget, numberTargets } from "./types.ts";

/** Draws that hit an ineligible server before a linear scan takes over. */
const MISSES_BEFORE_SCAN = 16;

export class RandomChoice<T extends BalanceTarget> implements Balancer<T> {
  private readonly cumulative: Float64Array;
  private total = 0;
  private stale = true;

  constructor(
    private readonly targets: readonly T[],
    private readonly draws: number,
    private readonly random: () => number,
  ) {
    numberTargets(targets);
    this.cumulative = new Float64Array(targets.length);
  }

  pick(_hash: number, eligible: (t: T) => boolean): T | undefined {
    if (this.stale) this.rebuild();
    if (this.total === 0) return undefined;
    let best: T | undefined;
    let misses = 0;
    for (let drawn = 0; drawn < this.draws;) {
      const t = this.draw();
      if (!eligible(t)) {
        if (++misses < MISSES_BEFORE_SCAN) continue;
        return best ?? this.scan(eligible);
      }
      drawn++;
      if (best === undefined || t.current * best.weight < best.current * t.weight) best = t;
    }
    return best;
  }

  update(t: T): void {
    const slot = t.lbSlot;
    const before = slot === 0 ? 0 : this.cumulative[slot - 1]!;
    if (this.cumulative[slot]! - before !== t.weight) this.stale = true;
  }

  private draw(): T {
    const x = this.random() * this.total;
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.targets[lo]!;
  }

  /** Most servers are ineligible: the first eligible one from a random start. */
  private scan(eligible: (t: T) => boolean): T | undefined {
    const n = this.targets.length;
    const from = Math.floor(this.random() * n);
    for (let i = 0; i < n; i++) {
      const t = this.targets[(from + i) % n]!;
      if (t.weight > 0 && eligible(t)) return t;
    }
    return undefined;
  }

  private rebuild(): void {
    let sum = 0;
    for (let i = 0; i < this.targets.length; i++) {
      sum += this.targets[i]!.weight;
      this.cumulative[i] = sum;
    }
    this.total = sum;
    this.stale = false;
  }
}
