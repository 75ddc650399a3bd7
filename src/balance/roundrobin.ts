// Smooth weighted round-robin (the nginx/HAProxy behaviour): weights 3:1 give
// a, a, b, a — interleaved, not bursts. Pure over the candidates' own state.

export interface WeightedTarget {
  readonly weight: number;
  /** Running score; owned by the balancer, starts at 0. */
  rrCurrent: number;
}

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
