// The in-memory stick table: a Map from normalised key to entry, and an
// intrusive list of entries ordered by expiry date, oldest first, which serves
// both the LRU eviction when the table is full and purge().
//
// Why the order holds without sorting: every write sets an entry's expiry to
// expireMs past the latest clock the table has seen and moves it to the tail,
// so the tail always holds the latest date. Entries held by a session (refCount > 0)
// may neither be evicted nor expire (HAProxy's ref_cnt); like HAProxy, which
// takes them out of its expiry tree when it meets them, eviction and purge
// unlink a referenced entry they find at the head (O(1), and each unlink pays
// for the link before it). A write links it again at the tail. When the last
// session lets go (unref), an entry whose date passed leaves the table (as
// HAProxy's stksess_kill_if_expired); an unlinked one whose date has not come
// goes back at the head, which is where its old date belongs (every entry
// linked since it was unlinked has a later date), after the few others that
// came back the same way with earlier dates.
//
// A full table evicts one entry per new one; HAProxy evicts a batch (size/256
// + 1) at once, which only changes how many old entries a burst of new keys
// pushes out early.
import { rateAdd, rateRead, type RateState, rateSet, rateState } from "./freq.ts";
import { normalizeKey } from "./keys.ts";
import { type Layout, layoutOf, stickSpecProblems, widen } from "./layout.ts";
import {
  type StickEntry,
  type StickKey,
  type StickKeyInput,
  StickSpecError,
  type StickTable,
  type StickTableSpec,
} from "./types.ts";

/** How far unref() walks to put a returning entry back in date order (see relink). */
const RELINK_WALK = 64;

class Entry implements StickEntry {
  expiresAt = Infinity;
  refCount = 0;
  /** In the table's map (false once evicted, expired or removed: then it never links again). */
  attached = true;
  /** In the expiry list. */
  listed = false;
  older: Entry | undefined = undefined;
  newer: Entry | undefined = undefined;
  readonly data: Float64Array;

  constructor(
    private readonly owner: MemoryStickTable,
    private readonly layout: Layout,
    readonly table: string,
    readonly key: StickKey,
  ) {
    this.data = new Float64Array(layout.width);
  }

  read(counter: string, now: number): number | undefined {
    const slot = this.layout.slots.get(counter);
    if (slot === undefined) return undefined;
    return slot.period === 0 ? this.data[slot.at]! : rateRead(this.data, slot.at, slot.period, now);
  }

  add(counter: string, now: number, n = 1): boolean {
    const bump = this.layout.bumps.get(counter);
    if (bump === undefined) return false;
    if (bump.cnt >= 0) this.data[bump.cnt] = widen(this.data[bump.cnt]! + n, bump.cntWidth);
    if (bump.rate >= 0) rateAdd(this.data, bump.rate, bump.period, now, n);
    this.owner.touched(this, now);
    return true;
  }

  set(counter: string, value: number, now: number): boolean {
    const slot = this.layout.slots.get(counter);
    if (slot === undefined || slot.period !== 0 || !Number.isFinite(value)) return false;
    this.data[slot.at] = widen(value, slot.width);
    this.owner.touched(this, now);
    return true;
  }

  connOpen(now: number): void {
    const { connCur, conn } = this.layout;
    if (connCur >= 0) this.data[connCur] = widen(this.data[connCur]! + 1, "u32");
    if (conn !== undefined) {
      if (conn.cnt >= 0) this.data[conn.cnt] = widen(this.data[conn.cnt]! + 1, "u32");
      if (conn.rate >= 0) rateAdd(this.data, conn.rate, conn.period, now, 1);
    }
    this.owner.touched(this, now);
  }

  connClose(now: number): void {
    const at = this.layout.connCur;
    // HAProxy touches the entry on release only when it stores conn_cur.
    if (at < 0) return;
    if (this.data[at]! > 0) this.data[at] = this.data[at]! - 1;
    this.owner.touched(this, now);
  }

  touch(now: number): void {
    this.owner.touched(this, now);
  }

  ref(): void {
    this.refCount++;
  }

  unref(): void {
    if (this.refCount === 0) return;
    if (--this.refCount === 0) this.owner.released(this);
  }
}

/** A stick table in this process's memory. */
export class MemoryStickTable implements StickTable {
  readonly spec: StickTableSpec;
  private readonly layout: Layout;
  private readonly index = new Map<StickKey, Entry>();
  /** Oldest expiry first. */
  private head: Entry | undefined = undefined;
  private tail: Entry | undefined = undefined;
  /** The latest `now` any call brought: unref() has none of its own. */
  private latest = -Infinity;
  /**
   * Hears every local write of an entry (the peers push it to the other
   * nodes); writes that came from a peer (applyRemote) are not heard.
   */
  onWrite: ((e: StickEntry) => void) | undefined = undefined;
  private applying = false;

  /** Throws StickSpecError listing every problem of a bad spec. */
  constructor(spec: StickTableSpec) {
    const problems = stickSpecProblems(spec);
    if (problems.length > 0) throw new StickSpecError(problems.map((p) => `stick-table '${spec.name}': ${p}`));
    this.spec = spec;
    this.layout = layoutOf(spec);
  }

  get size(): number {
    return this.index.size;
  }

  normalize(key: StickKeyInput): StickKey | undefined {
    return normalizeKey(this.spec.type, this.spec.len, key);
  }

  track(key: StickKeyInput, now: number): StickEntry | undefined {
    const k = this.normalize(key);
    if (k === undefined) return undefined;
    let e = this.live(k, now);
    if (e === undefined) {
      if (this.index.size >= this.spec.size && !this.makeRoom(now)) return undefined;
      e = new Entry(this, this.layout, this.spec.name, k);
      this.index.set(k, e);
    }
    this.touched(e, now);
    return e;
  }

  lookup(key: StickKeyInput, now: number): StickEntry | undefined {
    const k = this.normalize(key);
    return k === undefined ? undefined : this.live(k, now);
  }

  remove(key: StickKeyInput): boolean {
    const k = this.normalize(key);
    const e = k === undefined ? undefined : this.index.get(k);
    if (e === undefined || e.refCount > 0) return false;
    this.drop(e);
    return true;
  }

  purge(now: number, budget: number): number {
    this.see(now);
    let removed = 0;
    for (let looked = 0; looked < budget && this.head !== undefined; looked++) {
      const e = this.head;
      if (e.refCount > 0) this.unlink(e);
      else if (e.expiresAt <= now) {
        this.drop(e);
        removed++;
      } else break;
    }
    return removed;
  }

  *entries(now: number): IterableIterator<StickEntry> {
    for (const e of this.index.values()) if (e.refCount > 0 || e.expiresAt > now) yield e;
  }

  clear(): number {
    let removed = 0;
    for (const e of this.index.values()) {
      if (e.refCount > 0) continue;
      this.drop(e);
      removed++;
    }
    return removed;
  }

  /** An entry was written at `now`: its date moves on, and it goes to the tail. */
  touched(e: Entry, now: number): void {
    this.see(now);
    // From the latest clock seen, not `now`: a caller holding an older `now`
    // must not put a date before the tail's and break the list's order.
    e.expiresAt = this.spec.expireMs > 0 ? this.latest + this.spec.expireMs : Infinity;
    if (!e.attached) return;
    if (this.onWrite !== undefined && !this.applying) this.onWrite(e);
    if (e.listed) this.unlink(e);
    this.append(e);
  }

  /** The last session let `e` go. */
  released(e: Entry): void {
    if (!e.attached) return;
    if (e.expiresAt <= this.latest) this.drop(e);
    else if (!e.listed) this.relink(e);
  }

  /** The entry of key `k` unless it expired (an expired one goes now). */
  private live(k: StickKey, now: number): Entry | undefined {
    this.see(now);
    const e = this.index.get(k);
    if (e === undefined || e.refCount > 0 || e.expiresAt > now) return e;
    this.drop(e);
    return undefined;
  }

  /**
   * Room for one new entry in a full table. With `nopurge` only expired
   * entries may go (HAProxy's expiry task would have taken them at their
   * date; here they go when room is needed, as many as one purge budget);
   * otherwise the oldest unreferenced one is evicted.
   */
  private makeRoom(now: number): boolean {
    if (this.spec.nopurge !== true) return this.evictOne();
    this.purge(now, RELINK_WALK);
    return this.index.size < this.spec.size;
  }

  /** A stored counter's raw state for a peer: a plain value, or a rate's; undefined if not stored here. */
  rawCounter(e: StickEntry, counter: string): number | RateState | undefined {
    const slot = this.layout.slots.get(counter);
    if (slot === undefined || !(e instanceof Entry)) return undefined;
    return slot.period === 0 ? e.data[slot.at]! : rateState(e.data, slot.at);
  }

  /**
   * A peer's values for `key` (HAProxy replaces the entry's data with the
   * sender's): the counters this table stores are set, the others ignored,
   * and the entry's date refreshed as a write's, without onWrite (a peer's
   * update is not pushed on again). `expireMs`: the sender's time left for
   * the entry (a timed update), which HAProxy takes over the table's own
   * expire. Undefined when the table is full of entries in use.
   */
  applyRemote(key: StickKey, values: ReadonlyMap<string, number | RateState>, now: number, expireMs?: number): StickEntry | undefined {
    this.applying = true;
    try {
      const e = this.track(key, now) as Entry | undefined;
      if (e === undefined) return undefined;
      for (const [counter, value] of values) {
        const slot = this.layout.slots.get(counter);
        if (slot === undefined) continue;
        if (typeof value === "number") {
          if (slot.period === 0) e.data[slot.at] = widen(value, slot.width);
        } else if (slot.period !== 0) rateSet(e.data, slot.at, value);
      }
      // Lookups judge the date itself; the purge meets an entry dated earlier than its place late, which only delays its memory.
      if (expireMs !== undefined && this.spec.expireMs > 0) e.expiresAt = now + expireMs;
      return e;
    } finally {
      this.applying = false;
    }
  }

  /** Makes room for one entry: the oldest unreferenced goes. False when every entry is referenced. */
  private evictOne(): boolean {
    while (this.head !== undefined) {
      const e = this.head;
      if (e.refCount > 0) this.unlink(e);
      else {
        this.drop(e);
        return true;
      }
    }
    return false;
  }

  private see(now: number): void {
    if (now > this.latest) this.latest = now;
  }

  private drop(e: Entry): void {
    if (e.listed) this.unlink(e);
    e.attached = false;
    this.index.delete(e.key);
  }

  private append(e: Entry): void {
    e.older = this.tail;
    e.newer = undefined;
    if (this.tail !== undefined) this.tail.newer = e;
    else this.head = e;
    this.tail = e;
    e.listed = true;
  }

  /**
   * Back in the list after being unlinked while referenced: at the head, past
   * the entries with earlier dates (others that came back the same way). The
   * walk is bounded: past RELINK_WALK of them the entry goes to the tail
   * instead, where only it is purged late (lookups still check its date, so it
   * is never returned once expired).
   */
  private relink(e: Entry): void {
    let after: Entry | undefined = undefined;
    let next = this.head;
    for (let steps = 0; next !== undefined && next.expiresAt < e.expiresAt; steps++) {
      if (steps === RELINK_WALK) return this.append(e);
      after = next;
      next = next.newer;
    }
    e.older = after;
    e.newer = next;
    if (after !== undefined) after.newer = e;
    else this.head = e;
    if (next !== undefined) next.older = e;
    else this.tail = e;
    e.listed = true;
  }

  private unlink(e: Entry): void {
    if (e.older !== undefined) e.older.newer = e.newer;
    else this.head = e.newer;
    if (e.newer !== undefined) e.newer.older = e.older;
    else this.tail = e.older;
    e.older = e.newer = undefined;
    e.listed = false;
  }
}
