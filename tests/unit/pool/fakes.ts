// Small fakes for the ownership API: a PoolConn that only records what is done
// to it, sessions that are nothing but an id and a SessionConns, and a world
// (pools + ownership) built per test. No sockets.
import { afterEach } from "bun:test";
import type { HttpReuse } from "../../../src/config/types.ts";
import { Ownership, OwnershipViolation } from "../../../src/pool/ownership.ts";
import { type PoolSettings, type PoolTimers, ServerPool } from "../../../src/pool/server-pool.ts";
import { SessionConns } from "../../../src/pool/session-conns.ts";
import type { ConnPlace, Owner, PoolConn } from "../../../src/conn/types.ts";
import type { TimerHandle } from "../../../src/runtime/types.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

let nextConnId = 1;

export class FakeConn implements PoolConn {
  readonly id = nextConnId++;
  readonly multiplexed = false;
  readonly authenticates = false;
  owner: Owner | undefined;
  attachedTo: Owner | undefined;
  place: ConnPlace = "new";
  proven = false;
  requests = 0;
  idleSince = 0;
  onIdleClose: ((conn: PoolConn) => void) | undefined;
  /** Tests flip it to false to play a connection that went bad without telling anyone. */
  reusable = true;
  /** Times close() was called. */
  closes = 0;

  constructor(readonly pool: ServerPool, readonly key = "") {}

  get closed(): boolean {
    return this.closes > 0;
  }

  get carried(): number {
    return this.requests;
  }

  get freeSlots(): number {
    return this.place === "in-use" || this.closed ? 0 : 1;
  }

  get usedStreams(): number {
    return this.place === "in-use" ? 1 : 0;
  }

  readonly sourceAddress = "";
  readonly sourcePort = -1;

  /** The pool tests move connections, they never carry exchanges on them. */
  attach(): never {
    throw new Error("FakeConn carries no exchange");
  }

  close(): void {
    this.closes++;
    this.reusable = false;
  }

  /** The server closed it while it was held idle: what BackendConnection does. */
  die(): void {
    this.close();
    this.onIdleClose?.(this);
  }
}

let nextSessionId = 1;

export interface FakeSession extends Owner {
  readonly id: number;
  readonly conns: SessionConns;
}

export function session(id = nextSessionId++): FakeSession {
  return { id, conns: new SessionConns() };
}

/**
 * Manual monotonic clock: a test sets `t` and calls purge() itself. The
 * pool's timers wait on a virtual clock that never moves, as real ones would
 * that no test waits for. (Tests of the timers use a VirtualClock instead.)
 */
export class Clock implements PoolTimers {
  t = 1000;
  private readonly timers = new VirtualClock();
  readonly now = (): number => this.t;
  readonly setTimer = (fn: () => void, ms: number): TimerHandle => this.timers.setTimer(fn, ms);
  readonly clearTimer = (handle: TimerHandle): void => this.timers.clearTimer(handle);
}

const pools: ServerPool[] = [];
// No purge timer outlives its test.
afterEach(() => {
  for (const p of pools.splice(0)) p.closeIdle();
});

export function makePool(settings: Partial<PoolSettings> = {}, timers: PoolTimers = new Clock(), id = "be/s1"): ServerPool {
  const p = new ServerPool(id, { maxConn: -1, purgeDelay: 5000, lowConn: 0, ...settings }, timers);
  pools.push(p);
  return p;
}

export interface World {
  clock: Clock;
  pool: ServerPool;
  own: Ownership;
  reported: OwnershipViolation[];
  /** Opens a connection for a stream of `s` (ownership.opened) and returns it attached. */
  open(s: Owner, mode?: HttpReuse, key?: string, pool?: ServerPool): FakeConn;
  /** Releases `c` from `s` as after a clean exchange (reusable unless told). */
  release(s: Owner, c: FakeConn, opts?: { reusable?: boolean; max?: number }): "private" | "pooled" | "closed";
  /** A shared connection left in the idle list by a donor session (never reused). */
  idle(key?: string, pool?: ServerPool): FakeConn;
  /** A shared connection left in the safe list: its donor reused it once (proven). */
  safe(key?: string, pool?: ServerPool): FakeConn;
}

/** `busy`: how many connections the server was seen to have in use at once before the test (default 64). */
export function world(opts: { strict?: boolean; pool?: Partial<PoolSettings>; busy?: number } = {}): World {
  const clock = new Clock();
  const pool = makePool(opts.pool, clock);
  const reported: OwnershipViolation[] = [];
  // The server was seen busy (64 connections in use at once), so the pool's
  // estimate of what it needs (HAProxy's est_need_conns) keeps every idle
  // connection the fixtures leave, as it would after such a load. The
  // estimate's own rule is tested in server-pool.test.ts with pools that were not.
  const busy = Array.from({ length: opts.busy ?? 64 }, () => new FakeConn(pool));
  for (const c of busy) pool.move(c, "in-use");
  for (const c of busy) pool.move(c, "closed");
  const own = new Ownership({ strict: opts.strict ?? true, report: (v) => reported.push(v) });
  const w: World = {
    clock,
    pool,
    own,
    reported,
    open(s, mode = "safe", key = "", p = pool) {
      const c = new FakeConn(p, key);
      own.opened(s, p, c, mode);
      return c;
    },
    release(s, c, o = {}) {
      return own.release(s, c.pool, c, o.reusable ?? true, clock.t, o.max ?? 5);
    },
    idle(key = "", p = pool) {
      const donor = session();
      const c = w.open(donor, "safe", key, p);
      if (w.release(donor, c) !== "pooled") throw new Error("fixture: not pooled");
      return c;
    },
    safe(key = "", p = pool) {
      const donor = session();
      const c = w.idle(key, p);
      // The donor's later request picks the connection it just left (most recent idle one).
      const again = own.take(donor, p, key, "safe", false);
      if (again !== c) throw new Error("fixture: the donor did not get its connection back");
      if (w.release(donor, c) !== "pooled" || c.place !== "safe") throw new Error("fixture: not in the safe list");
      return c;
    },
  };
  return w;
}
