// `hash-type consistent`: every server owns points on a ring of 32-bit
// hashes, in proportion to its weight; a key goes to the owner of the first
// point at or after its hash (binary search, O(log n)). Adding or removing a
// server moves only the keys of the arcs it gains or loses, about 1/N of
// them. A server that cannot serve passes its keys to the next owner on the
// ring. A weight change (slowstart) rebuilds the ring. No key: round-robin.
// `hash-balance-factor` bounds the load (HAProxy's "consistent hashing with
// bounded loads", Mirrokni, Thorup and Zadimoghaddam): a server already
// serving its share of the streams in progress, times the factor, passes the
// key on along the ring as a server that cannot serve does.
import { hashKey } from "./hash.ts";
import { RoundRobin } from "./roundrobin.ts";
import { type Balancer, type BalanceTarget, NO_KEY } from "./types.ts";

/** Points per unit of weight (after dividing the weights by their common divisor). */
export const POINTS_PER_WEIGHT = 160;
/** HAProxy's weight scale for consistent hashing (BE_WEIGHT_SCALE): the bounded-load arithmetic rounds as its does. */
const WEIGHT_SCALE = 16;
/** Fewer points per unit for very large or uneven backends, so the ring stays small. */
const MAX_POINTS = 1 << 20;

/** The points of each server are placed by hashing its name: a server keeps its points whatever its neighbours are. */
export interface RingTarget extends BalanceTarget {
  readonly name: string;
}

export class ConsistentHash<T extends RingTarget> implements Balancer<T> {
  private points = new Uint32Array(0);
  private owners = new Int32Array(0);
  private readonly weights: Int32Array;
  private readonly fallback: RoundRobin<T>;

  /** Per target, the scaled weight of the usable targets before it (the bounded-load share's rounding), refilled per pick. */
  private readonly before: Float64Array;

  constructor(
    private readonly targets: readonly T[],
    /** `hash-balance-factor`: a server takes at most this % of its weight's share of the streams in progress (0: no bound). */
    private readonly balanceFactor = 0,
  ) {
    this.fallback = new RoundRobin(targets);
    this.weights = new Int32Array(targets.length);
    this.before = new Float64Array(targets.length);
    this.rebuild();
  }

  pick(hash: number, eligible: (t: T) => boolean): T | undefined {
    if (hash === NO_KEY) return this.fallback.pick(hash, eligible);
    const p = this.points;
    const n = p.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    const bound = this.balanceFactor > 0 ? this.loadBound(eligible) : undefined;
    for (let i = 0; i < n; i++) {
      const at = lo + i;
      const t = this.targets[this.owners[at < n ? at : at - n]!]!;
      if (t.weight > 0 && eligible(t) && (bound === undefined || t.current < bound(t))) return t;
    }
    return undefined;
  }

  /**
   * The streams each usable server may carry now (HAProxy's
   * chash_server_is_eligible): the streams in progress and this one, times
   * the factor, rounded up, shared out by weight in whole slots, the
   * remainder spread by each server's place in the configuration; never 0.
   */
  private loadBound(eligible: (t: T) => boolean): ((t: T) => number) | undefined {
    const ts = this.targets;
    let served = 0;
    let total = 0;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      served += t.current;
      if (t.weight > 0 && eligible(t)) {
        this.before[i] = total;
        total += t.weight * WEIGHT_SCALE;
      }
    }
    if (total === 0) return undefined;
    const slots = Math.floor(((served + 1) * this.balanceFactor + 99) / 100);
    const perWeight = Math.floor(slots / total);
    const remainder = slots % total;
    return (t) => {
      const weight = t.weight * WEIGHT_SCALE;
      const before = this.before[t.lbSlot]!;
      const share = weight * perWeight + Math.floor(((before + weight) * remainder) / total) - Math.floor((before * remainder) / total);
      return share === 0 ? 1 : share;
    };
  }

  update(t: T): void {
    this.fallback.update(t);
    if (this.weights[t.lbSlot] !== t.weight) this.rebuild();
  }

  private rebuild(): void {
    const ts = this.targets;
    let unit = 0;
    for (let i = 0; i < ts.length; i++) {
      this.weights[i] = ts[i]!.weight;
      unit = gcd(unit, ts[i]!.weight);
    }
    let units = 0;
    for (let i = 0; i < ts.length; i++) units += unit === 0 ? 0 : ts[i]!.weight / unit;
    const perUnit = Math.max(1, Math.min(POINTS_PER_WEIGHT, Math.floor(MAX_POINTS / Math.max(units, 1))));
    const pairs: [number, number][] = [];
    for (let i = 0; i < ts.length; i++) {
      const count = unit === 0 ? 0 : (ts[i]!.weight / unit) * perUnit;
      for (let k = 0; k < count; k++) pairs.push([hashKey(`${ts[i]!.name}#${k}`), i]);
    }
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.points = Uint32Array.from(pairs, (x) => x[0]);
    this.owners = Int32Array.from(pairs, (x) => x[1]);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
