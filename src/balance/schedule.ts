// A weighted sequence of target slots, laid out once from the configured
// weights by the smooth round-robin: each target appears `weight` times,
// interleaved. static-rr walks it; map-based hashing indexes it.
import { pickSmoothWeighted } from "./roundrobin.ts";
import type { BalanceTarget } from "./types.ts";

/** Slots in turn order, sum(weights) long (empty when every weight is 0). */
export function weightedSchedule(targets: readonly BalanceTarget[]): Int32Array {
  const scores = targets.map((t, slot) => ({ weight: t.weight, rrCurrent: 0, slot }));
  let total = 0;
  for (const t of targets) total += t.weight;
  const out = new Int32Array(total);
  for (let i = 0; i < total; i++) out[i] = pickSmoothWeighted(scores, () => true)!.slot;
  return out;
}
