// The one interface every balancing algorithm implements. An algorithm is a
// pure function of the request's key (already hashed) and the state of the
// servers it was built over: their effective weights, connections and free
// slots. It keeps only its own bookkeeping (scores, heaps, rings) and is told
// when a server's load or weight changes, so that a pick costs O(1) or
// O(log n) rather than a walk over every server.

/** What an algorithm reads of a server. */
export interface BalanceTarget {
  /** Effective weight now, 0..256 (slowstart ramps it; 0 takes no balanced traffic). */
  readonly weight: number;
  /** Connections carried now (leastconn, random's choice between draws). */
  readonly current: number;
  /** Below its maxconn (first). */
  readonly hasSlot: boolean;
  /** Smooth round-robin's running score; owned by the balancer, starts at 0. */
  rrCurrent: number;
  /** The target's position in its balancer's list, set by the balancer (no map lookup per pick). */
  lbSlot: number;
}

/** The request's key hashed to 32 bits, or NO_KEY when the request has none (or the algorithm hashes nothing). */
export const NO_KEY = -1;

export interface Balancer<T extends BalanceTarget> {
  /**
   * One of the targets `eligible` accepts, or undefined. `hash` is the
   * request's key (hash algorithms only; NO_KEY falls back to round-robin, as
   * HAProxy does when the key is missing).
   */
  pick(hash: number, eligible: (target: T) => boolean): T | undefined;
  /** `target`'s connections, free slot or weight changed. */
  update(target: T): void;
}

/** Gives each target its slot in `targets` (the balancer's own numbering). */
export function numberTargets(targets: readonly BalanceTarget[]): void {
  for (let i = 0; i < targets.length; i++) targets[i]!.lbSlot = i;
}
