// `balance static-rr`: round-robin over the weights as configured, which do
// not change at run time (no slowstart ramp): a precomputed turn order
// walked by a cursor, O(1) per pick (an ineligible server's turn is skipped).
import { weightedSchedule } from "./schedule.ts";
import { type Balancer, type BalanceTarget, numberTargets } from "./types.ts";

export class StaticRoundRobin<T extends BalanceTarget> implements Balancer<T> {
  private readonly schedule: Int32Array;
  private cursor = 0;

  constructor(private readonly targets: readonly T[]) {
    numberTargets(targets);
    this.schedule = weightedSchedule(targets);
  }

  pick(_hash: number, eligible: (t: T) => boolean): T | undefined {
    const s = this.schedule;
    for (let tries = 0; tries < s.length; tries++) {
      const t = this.targets[s[this.cursor]!]!;
      this.cursor = this.cursor + 1 === s.length ? 0 : this.cursor + 1;
      if (eligible(t)) return t;
    }
    return undefined;
  }

  update(): void {}
}
