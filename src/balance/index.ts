// A balancing algorithm picks a server of a backend; the backend says which are eligible.
import { pickSmoothWeighted, type WeightedTarget } from "./roundrobin.ts";

export type Algorithm = "roundrobin";

export interface Balancer<T> {
  pick(eligible: (target: T) => boolean): T | undefined;
}

export class RoundRobin<T extends WeightedTarget> implements Balancer<T> {
  constructor(private readonly targets: readonly T[]) {}
  pick(eligible: (target: T) => boolean): T | undefined {
    return pickSmoothWeighted(this.targets, eligible);
  }
}

export function createBalancer<T extends WeightedTarget>(algorithm: Algorithm, targets: readonly T[]): Balancer<T> {
  switch (algorithm) {
    case "roundrobin":
      return new RoundRobin(targets);
  }
}
