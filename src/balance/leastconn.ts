// `balance leastconn`: the server with the fewest connections for its
// weight (current / weight); among equals, the one picked longest ago, so
// idle servers take turns. A heap ordered by that key, moved when a
// connection starts or ends: O(log n) per pick.
import { SlotHeap } from "./heap.ts";
import { type Balancer, type BalanceTarget, numberTargets } from "./types.ts";

export class LeastConn<T extends BalanceTarget> implements Balancer<T> {
  private readonly heap: SlotHeap;
  /** When each slot was last picked (a counter), for the rotation among equals. */
  private readonly lastPick: Float64Array;
  private picks = 0;
  private readonly ok: (slot: number) => boolean;
  private eligible: (t: T) => boolean = () => true;

  constructor(private readonly targets: readonly T[]) {
    numberTargets(targets);
    this.lastPick = new Float64Array(targets.length);
    this.heap = new SlotHeap(targets.length, (a, b) => {
      const ta = targets[a]!;
      const tb = targets[b]!;
      // Weight 0 sorts last; otherwise compare current/weight without dividing.
      if (ta.weight === 0 || tb.weight === 0) return tb.weight === 0 && ta.weight !== 0;
      const x = ta.current * tb.weight;
      const y = tb.current * ta.weight;
      if (x !== y) return x < y;
      return this.lastPick[a]! < this.lastPick[b]!;
    });
    this.ok = (slot) => {
      const t = this.targets[slot]!;
      return t.weight > 0 && this.eligible(t);
    };
  }

  pick(_hash: number, eligible: (t: T) => boolean): T | undefined {
    this.eligible = eligible;
    const slot = this.heap.findMin(this.ok);
    if (slot < 0) return undefined;
    this.lastPick[slot] = ++this.picks;
    this.heap.fix(slot);
    return this.targets[slot];
  }

  update(t: T): void {
    this.heap.fix(t.lbSlot);
  }
}
