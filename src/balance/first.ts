// `balance first`: the first server (in the order written) that has a free
// slot takes the stream, so the others can be switched off when idle: a
// heap ordered by (full, position), moved when a slot is taken or given
// back: O(log n) per pick.
import { SlotHeap } from "./heap.ts";
import { type Balancer, type BalanceTarget, numberTargets } from "./types.ts";

export class First<T extends BalanceTarget> implements Balancer<T> {
  private readonly heap: SlotHeap;
  private readonly ok: (slot: number) => boolean;
  private eligible: (t: T) => boolean = () => true;

  constructor(private readonly targets: readonly T[]) {
    numberTargets(targets);
    this.heap = new SlotHeap(targets.length, (a, b) => {
      const fa = targets[a]!.hasSlot && targets[a]!.weight > 0 ? 0 : 1;
      const fb = targets[b]!.hasSlot && targets[b]!.weight > 0 ? 0 : 1;
      return fa !== fb ? fa < fb : a < b;
    });
    this.ok = (slot) => {
      const t = this.targets[slot]!;
      return t.weight > 0 && this.eligible(t);
    };
  }

  pick(_hash: number, eligible: (t: T) => boolean): T | undefined {
    this.eligible = eligible;
    const slot = this.heap.findMin(this.ok);
    return slot < 0 ? undefined : this.targets[slot];
  }

  update(t: T): void {
    this.heap.fix(t.lbSlot);
  }
}
