// `balance roundrobin`: weighted round-robin with dynamic weights (slowstart
// changes them on the fly). Up to SMOOTH_LIMIT servers it is nginx's smooth
// weighted round-robin (weights 3:1 give a, a, b, a: interleaved, not
// bursts), a pass over the servers that costs less than a heap at that size.
// Above, stride scheduling on a heap (each server's next turn is its last
// plus 1/weight, the earliest turn serves), O(log n) per pick, as HAProxy's
// tree-based round-robin.
import { SlotHeap } from "./heap.ts";
import { type Balancer, type BalanceTarget, numberTargets } from "./types.ts";

export interface WeightedTarget {
  readonly weight: number;
  /** Running score; owned by the balancer, starts at 0. */
  rrCurrent: number;
}

/** Backends up to this many servers use the smooth pass; larger ones the heap. */
export const SMOOTH_LIMIT = 16;

/**
 * Picks one of `targets` that `eligible` accepts, or undefined. Only eligible
 * targets with a weight above 0 take part; their scores move so that, over any
 * window, each is picked in proportion to its weight.
 */
export function pickSmoothWeighted<T extends WeightedTarget>(
  targets: readonly T[],
  eligible: (target: T) => boolean,
): T | undefined {
  let best: T | undefined;
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (t.weight <= 0 || !eligible(t)) continue;
    t.rrCurrent += t.weight;
    total += t.weight;
    if (best === undefined || t.rrCurrent > best.rrCurrent) best = t;
  }
  if (best !== undefined) best.rrCurrent -= total;
  return best;
}

/** Stride scheduling: a target's turns are 1/weight apart on a virtual clock. */
class StrideScheduler<T extends BalanceTarget> {
  /** Virtual time of a target's next turn, and of the turn before it (ties go to the one waiting longer). */
  private readonly next: Float64Array;
  private readonly start: Float64Array;
  private readonly weights: Float64Array;
  private readonly heap: SlotHeap;
  /** Virtual time of the last turn served. */
  private now = 0;

  constructor(private readonly targets: readonly T[]) {
    const n = targets.length;
    this.next = new Float64Array(n);
    this.start = new Float64Array(n);
    this.weights = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const w = targets[i]!.weight;
      this.weights[i] = w;
      this.next[i] = w > 0 ? 1 / w : Infinity;
    }
    this.heap = new SlotHeap(n, (a, b) => {
      const na = this.next[a]!;
      const nb = this.next[b]!;
      if (na !== nb) return na < nb;
      const sa = this.start[a]!;
      const sb = this.start[b]!;
      return sa !== sb ? sa < sb : a < b;
    });
  }

  /** The earliest turn among eligible targets. An ineligible one at the top loses its turn (as a DOWN server does), so it cannot burst later. */
  pick(eligible: (t: T) => boolean): T | undefined {
    const n = this.targets.length;
    for (let skipped = 0; skipped <= n; skipped++) {
      const slot = this.heap.top();
      if (slot < 0 || this.next[slot] === Infinity) return undefined;
      const t = this.targets[slot]!;
      const ok = t.weight > 0 && eligible(t);
      this.now = this.next[slot]!;
      this.advance(slot);
      if (ok) return t;
    }
    return undefined;
  }

  /** The weight changed: the current turn is stretched or shortened to it. */
  update(t: T): void {
    const slot = t.lbSlot;
    const w = t.weight;
    if (w === this.weights[slot]) return;
    this.weights[slot] = w;
    const from = Math.max(this.start[slot]!, this.now);
    this.start[slot] = from;
    this.next[slot] = w > 0 ? from + 1 / w : Infinity;
    this.heap.fix(slot);
  }

  /** `slot` had its turn at `now`: its next one is 1/weight later. */
  private advance(slot: number): void {
    const w = this.weights[slot]!;
    const from = this.now;
    this.start[slot] = from;
    this.next[slot] = from + 1 / w;
    this.heap.fix(slot);
  }
}

export class RoundRobin<T extends BalanceTarget> implements Balancer<T> {
  private readonly stride: StrideScheduler<T> | undefined;

  constructor(private readonly targets: readonly T[]) {
    numberTargets(targets);
    this.stride = targets.length > SMOOTH_LIMIT ? new StrideScheduler(targets) : undefined;
  }

  pick(_hash: number, eligible: (t: T) => boolean): T | undefined {
    return this.stride === undefined ? pickSmoothWeighted(this.targets, eligible) : this.stride.pick(eligible);
  }

  update(t: T): void {
    this.stride?.update(t);
  }
}
