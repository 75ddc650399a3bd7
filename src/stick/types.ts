// The stick-table store (issue 15): the shapes the rules and session layers
// use, apart from the in-memory implementation (table.ts, memory-store.ts).
//
// Pure: nothing here owns a timer or reads a clock. Every call that can change
// or judge an entry takes `now`, monotonic milliseconds from the runtime's
// clock (Txn.now). Expiry is checked lazily on access, and the owner of the
// store calls `purge(now, budget)` from a timer of its own to give memory back.
//
// Why an interface (StickStore): a fleet of edge nodes wants one view of a
// client (its request rate across nodes, the server it sticks to). HAProxy does
// it with `peers`; sluice would use an existing engine (Valkey/Redis). Rules
// only ever call `store.table(name)` and the StickTable/StickEntry methods
// below, all synchronous, so a shared store plugs in without changing rules if
// it keeps that shape:
//  - reads stay local and synchronous: the shared store is a local table (this
//    memory one) used as the replica that rules read and write, never a network
//    round trip per request;
//  - writes are also pushed out: it needs a hook on every write (key, counter,
//    delta or new value, `now`) feeding a batch that a connection owned by the
//    session/core layer sends (timers and sockets stay out of stick/);
//  - updates from other nodes are merged into the local entries: cumulative
//    counters by adding deltas, gpc/server_id by last writer, rates by adding
//    the remote events to the current period (HAProxy's peers send the
//    counters with their period start relative to the sender's clock, since
//    monotonic clocks of two hosts cannot be compared);
//  - keys travel as the normalised keys of this module (text for addresses and
//    strings, numbers for integers), which every node computes the same way;
//  - eviction and expiry stay local decisions; a node that evicts a key simply
//    gets it again from the next remote update.
// HAProxy's own peers protocol does this between sluice and HAProxy nodes
// (peers/ for its messages, core/peers-sync.ts for the connections): the memory
// store is the replica, onWrite feeds the pushes, applyRemote takes the
// other nodes' values as they send them (last writer wins per entry, as in
// HAProxy).

/** Key types of HAProxy 2.6's `stick-table type ...`. */
export type StickKeyType = "ip" | "ipv6" | "integer" | "string" | "binary";

/**
 * A normalised key: dotted IPv4 text ("ip"), RFC 5952 IPv6 text ("ipv6", an
 * IPv4 address as "::ffff:a.b.c.d"), an unsigned 32-bit number ("integer"),
 * text of at most `len` bytes ("string"), exactly `len` bytes as latin1 text
 * ("binary").
 */
export type StickKey = string | number;

/**
 * What a rule hands in as a key: a sample (see rules/types.ts Sample). Strings
 * are byte strings, one char per byte, as the HTTP layer decodes them; a char
 * above U+00FF is taken as its UTF-8 bytes.
 */
export type StickKeyInput = string | number | boolean;

/** One `store` item: a counter name as HAProxy 2.6 spells it, and the period of a rate. */
export interface StickCounterSpec {
  readonly counter: string;
  /** Required for the `_rate` counters (`http_req_rate(10s)`): the period in ms. */
  readonly periodMs?: number;
}

/** `stick-table type T [len N] size N expire T store ...`, as config/ parsed it. */
export interface StickTableSpec {
  /** The table's name: its proxy's name, or the `table` section's. */
  readonly name: string;
  readonly type: StickKeyType;
  /**
   * Key length in bytes for "string" and "binary" keys; unused by the others.
   * HAProxy's default (32) is written where every default is, in config/.
   */
  readonly len: number;
  /** Maximum number of entries; the oldest unreferenced one is evicted past it. */
  readonly size: number;
  /** An entry not written for this long is gone; 0: entries never expire (only evicted). */
  readonly expireMs: number;
  readonly store: readonly StickCounterSpec[];
  /** `nopurge`: a full table refuses new keys instead of evicting the oldest entry (HAProxy's). */
  readonly nopurge?: boolean;
  /** `peers <section>`: the peers section that synchronises it (a table declared in one is synchronised by it). */
  readonly peers?: string;
  /** The name peers know it by, when not `name` (a peers section's table: "<section>/t" is shared as "t"). */
  readonly sharedName?: string;
}

/**
 * One entry of a table. Writes refresh its expiry (HAProxy touches an entry
 * on every local update); reads do not.
 *
 * An entry that left the table (evicted, expired, cleared) still answers but
 * is no longer in the table: track() right before use, and ref() at once when
 * a session keeps it.
 */
export interface StickEntry {
  /** The table's name. */
  readonly table: string;
  readonly key: StickKey;
  /** Monotonic ms when it expires unless written again (Infinity: the table never expires entries). */
  readonly expiresAt: number;
  /** Sessions holding it (HAProxy's ref_cnt): while > 0 it is neither evicted nor expired. */
  readonly refCount: number;
  /** A stored counter's value at `now` (a rate: events over its period); undefined if not stored. */
  read(counter: string, now: number): number | undefined;
  /**
   * Counts `n` events of a family, named by either of its counters:
   * `http_req_cnt` or `http_req_rate` both add to http_req_cnt and to the
   * http_req_rate of the current period, whichever of the two is stored (the
   * same for conn_, sess_, http_err_, bytes_in_, bytes_out_, and gpc0/gpc0_rate,
   * gpc1/gpc1_rate: `sc-inc-gpc0`). False if the table stores neither.
   */
  add(counter: string, now: number, n?: number): boolean;
  /**
   * Sets a plain counter (server_id, gpc0, gpc1, a `_cnt`, conn_cur): the
   * runtime API's `set table` and `sc-set-gpc0`. False for a rate or a counter
   * the table does not store.
   */
  set(counter: string, value: number, now: number): boolean;
  /**
   * A connection (or stream) starts tracking the entry: conn_cur, conn_cnt
   * and conn_rate count it, whichever are stored (HAProxy's
   * stream_start_counters), and the expiry is refreshed.
   */
  connOpen(now: number): void;
  /** That connection ends: conn_cur goes down (never below 0). */
  connClose(now: number): void;
  /** Refreshes the expiry without counting anything (`stick match` / `stick on` finding it). */
  touch(now: number): void;
  /** A session keeps this entry (track-sc*): it is not evicted nor expired until unref(). */
  ref(): void;
  /** The session lets it go; an entry whose date already passed leaves the table now. */
  unref(): void;
}

/** A stick table: bounded by `spec.size`, expiring after `spec.expireMs`. */
export interface StickTable {
  readonly spec: StickTableSpec;
  /** Entries held now (expired ones not yet purged included: they still take memory). */
  readonly size: number;
  /** The key as this table stores it, or undefined for a key of the wrong kind. */
  normalize(key: StickKeyInput): StickKey | undefined;
  /**
   * The entry for `key`, created if absent, its expiry refreshed. Undefined for
   * a key of the wrong kind, or when the table is full and every entry is
   * referenced by a live session.
   */
  track(key: StickKeyInput, now: number): StickEntry | undefined;
  /** The entry for `key` if it exists and has not expired; creates and refreshes nothing. */
  lookup(key: StickKeyInput, now: number): StickEntry | undefined;
  /** Removes an unreferenced entry (`clear table T key K`); false if absent or in use. */
  remove(key: StickKeyInput): boolean;
  /**
   * Removes expired entries, oldest first, looking at no more than `budget`
   * entries: the owner calls it from a timer. Returns how many it removed.
   */
  purge(now: number, budget: number): number;
  /** The live entries (not expired, or referenced), for the runtime API (`show table`). */
  entries(now: number): IterableIterator<StickEntry>;
  /** Removes every unreferenced entry (`clear table T`); returns how many. */
  clear(): number;
}

/** The tables of a configuration, by name. See the comment at the top for shared stores. */
export interface StickStore {
  table(name: string): StickTable | undefined;
  tables(): IterableIterator<StickTable>;
}

/** Table specs that cannot be built: every problem at once, each naming its table. */
export class StickSpecError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
    this.name = "StickSpecError";
  }
}
