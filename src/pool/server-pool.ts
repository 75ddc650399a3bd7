// One server's shared backend connections: the idle ones (never reused yet)
// and the safe ones (proven reusable), most recently used last, per reuse key;
// bounded by pool-max-conn and purged after pool-purge-delay. It also knows
// every open connection to its server, for the per-connection view and the
// counters (invariant 17).
import type { ConnPlace, MuxConn, PoolConn } from "../conn/types.ts";
import type { TimerHandle, Timers } from "../runtime/types.ts";

export interface PoolSettings {
  /** Most idle + safe connections kept; -1 unlimited, 0 none. */
  maxConn: number;
  /** Idle connections unused this long (ms) are closed. */
  purgeDelay: number;
  /** Purging keeps at least this many idle connections. */
  lowConn: number;
}

/** One list per reuse key; the key "" (nothing client-dependent) has its own field: the usual case, no Map lookup. */
class KeyedList {
  plain: PoolConn[] = [];
  private readonly keyed = new Map<string, PoolConn[]>();
  size = 0;

  list(key: string, create: boolean): PoolConn[] | undefined {
    if (key === "") return this.plain;
    let l = this.keyed.get(key);
    if (l === undefined && create) this.keyed.set(key, l = []);
    return l;
  }

  *all(): Generator<PoolConn[]> {
    yield this.plain;
    yield* this.keyed.values();
  }

  /** A keyed list left empty goes (one key per client with send-proxy: they must not pile up). */
  prune(key: string, l: PoolConn[]): void {
    if (l.length === 0 && key !== "") this.keyed.delete(key);
  }

  /** Every key's list, with the keyed ones forgotten (closeIdle). */
  drain(): PoolConn[] {
    const out = this.plain.splice(0);
    for (const l of this.keyed.values()) out.push(...l);
    this.keyed.clear();
    this.size = 0;
    return out;
  }

  remove(conn: PoolConn): boolean {
    const l = this.list(conn.key, false);
    const i = l?.indexOf(conn) ?? -1;
    if (i < 0) return false;
    l!.splice(i, 1);
    this.size--;
    if (l!.length === 0 && conn.key !== "") this.keyed.delete(conn.key);
    return true;
  }
}

/**
 * What a pool asks of the runtime: the clock, read afresh (its timers are
 * events of their own), and one-shot timers for the purge and the mux sweep.
 */
export type PoolTimers = Pick<Timers, "now" | "setTimer" | "clearTimer">;

export class ServerPool {
  private readonly idle = new KeyedList();
  private readonly safe = new KeyedList();
  /** Every open connection to this server, wherever it is. */
  readonly live = new Set<PoolConn>();
  /** Open multiplexed (HTTP/2) connections to this server: the available list is those with free slots. */
  readonly muxes: MuxConn[] = [];
  /** Counters since start. */
  opened = 0;
  reused = 0;
  violations = 0;
  private purgeTimer: TimerHandle | undefined;

  constructor(
    /** "backend/server", for messages. */
    readonly id: string,
    readonly settings: PoolSettings,
    private readonly timers: PoolTimers,
  ) {}

  get idleCount(): number {
    return this.idle.size;
  }

  get safeCount(): number {
    return this.safe.size;
  }

  /** Connections private to a session (idle in its list) and in use by a stream, now: kept as they move, for the logs. */
  privateNow = 0;
  inUseNow = 0;

  /** Counts connections by place. */
  count(place: ConnPlace): number {
    if (place === "idle") return this.idle.size;
    if (place === "safe") return this.safe.size;
    if (place === "private") return this.privateNow;
    if (place === "in-use") return this.inUseNow;
    let n = 0;
    for (const c of this.live) if (c.place === place) n++;
    return n;
  }

  /** Every change of place goes through here, so that the counts stay true. */
  move(conn: PoolConn, place: ConnPlace): void {
    const was = conn.place;
    if (was === "private") this.privateNow--;
    else if (was === "in-use") this.inUseNow--;
    if (place === "private") this.privateNow++;
    else if (place === "in-use") this.inUseNow++;
    conn.place = place;
  }

  /** A connection was opened to this server. */
  added(conn: PoolConn): void {
    this.opened++;
    this.live.add(conn);
  }

  /** A connection to this server is closed (or about to be): it leaves every list that counts it. */
  closed(conn: PoolConn): void {
    this.move(conn, "closed");
    this.live.delete(conn);
    conn.owner?.conns.owned.delete(conn);
  }

  /** The most recently used live connection of list `which` with reuse key `key`, taken out of it. */
  take(which: "idle" | "safe", key: string): PoolConn | undefined {
    const kl = which === "idle" ? this.idle : this.safe;
    const list = kl.list(key, false);
    if (list === undefined) return undefined;
    for (;;) {
      const conn = list.pop();
      if (conn === undefined) {
        kl.prune(key, list);
        return undefined;
      }
      kl.size--;
      conn.onIdleClose = undefined;
      if (conn.reusable) {
        kl.prune(key, list);
        return conn;
      }
      this.closed(conn);
      conn.close();
    }
  }

  /** Keeps a shared connection after a clean exchange; false: no room (pool-max-conn), the caller closes it. */
  put(conn: PoolConn): boolean {
    const max = this.settings.maxConn;
    if (max >= 0 && this.idle.size + this.safe.size >= max) return false;
    const kl = conn.proven ? this.safe : this.idle;
    this.move(conn, conn.proven ? "safe" : "idle");
    conn.owner = undefined;
    conn.attachedTo = undefined;
    conn.onIdleClose = this.forget;
    kl.list(conn.key, true)!.push(conn);
    kl.size++;
    this.armPurge();
    return true;
  }

  /** Closes idle and safe connections unused for pool-purge-delay, keeping pool-low-conn of them. */
  purge(): void {
    const limit = this.timers.now() - this.settings.purgeDelay;
    const keep = this.settings.lowConn;
    // Newest first within each list: the old ones at the front go first.
    for (const kl of [this.idle, this.safe]) {
      for (const list of [...kl.all()]) {
        const key = list[0]?.key ?? "";
        let i = 0;
        while (i < list.length) {
          const conn = list[i]!;
          if (conn.idleSince > limit || this.idle.size + this.safe.size <= keep) {
            i++;
            continue;
          }
          list.splice(i, 1);
          kl.size--;
          conn.onIdleClose = undefined;
          this.closed(conn);
          conn.close();
        }
        kl.prune(key, list);
      }
    }
    this.purgeTimer = undefined;
    this.armPurge();
  }

  /** A new multiplexed connection to this server: in the available list, watched while it idles. */
  addMux(m: MuxConn): void {
    this.opened++;
    this.muxes.push(m);
    if (this.muxTimer === undefined) this.muxTimer = this.timers.setTimer(this.sweepMuxes, this.muxSweepEvery());
  }

  removeMux(m: MuxConn): void {
    const i = this.muxes.indexOf(m);
    if (i >= 0) this.muxes.splice(i, 1);
    this.muxIdleSince.delete(m);
  }

  /** Since when each multiplexed connection has carried no stream. */
  private readonly muxIdleSince = new Map<MuxConn, number>();
  private muxTimer: TimerHandle | undefined;

  private muxSweepEvery(): number {
    return Math.min(5000, Math.max(100, this.settings.purgeDelay / 2));
  }

  /**
   * Idle multiplexed connections: each sweep PINGs them (liveness: one whose
   * previous PING got no ACK by the next sweep is dead and closed), and those
   * idle for pool-purge-delay are shut down (GOAWAY), keeping pool-low-conn.
   */
  private readonly sweepMuxes = (): void => {
    this.muxTimer = undefined;
    const now = this.timers.now();
    let idle = 0;
    for (const m of this.muxes) if (!m.closed && m.activeStreams === 0) idle++;
    for (const m of [...this.muxes]) {
      if (m.closed) continue;
      if (m.activeStreams > 0) {
        this.muxIdleSince.delete(m);
        continue;
      }
      const since = this.muxIdleSince.get(m);
      if (since === undefined) {
        this.muxIdleSince.set(m, now);
        continue;
      }
      if (m.pingPending) {
        m.close();
        idle--;
        continue;
      }
      if (now - since >= this.settings.purgeDelay && idle > this.settings.lowConn) {
        m.shutdown();
        idle--;
        continue;
      }
      m.ping();
    }
    if (this.muxes.length !== 0) this.muxTimer = this.timers.setTimer(this.sweepMuxes, this.muxSweepEvery());
  };

  /** Closes every connection held idle (stop, reload); multiplexed ones say GOAWAY and close after their streams. */
  closeIdle(): void {
    if (this.muxTimer !== undefined) this.timers.clearTimer(this.muxTimer);
    this.muxTimer = undefined;
    for (const m of [...this.muxes]) m.shutdown();
    if (this.purgeTimer !== undefined) this.timers.clearTimer(this.purgeTimer);
    this.purgeTimer = undefined;
    for (const kl of [this.idle, this.safe]) {
      for (const conn of kl.drain()) {
        conn.onIdleClose = undefined;
        this.closed(conn);
        conn.close();
      }
    }
  }

  /** The purge timer runs while something idle could be purged. */
  private armPurge(): void {
    if (this.purgeTimer !== undefined) return;
    if (this.idle.size + this.safe.size <= this.settings.lowConn) return;
    let oldest = Infinity;
    for (const kl of [this.idle, this.safe]) for (const list of kl.all()) if (list.length > 0) oldest = Math.min(oldest, list[0]!.idleSince);
    if (!Number.isFinite(oldest)) return;
    const wait = Math.max(1, Math.ceil(oldest + this.settings.purgeDelay - this.timers.now()));
    this.purgeTimer = this.timers.setTimer(this.onPurge, wait);
  }

  private readonly onPurge = (): void => {
    this.purgeTimer = undefined;
    this.purge();
  };

  /** An idle connection died (the server closed it): out of its list before anyone picks it. */
  private readonly forget = (conn: PoolConn): void => {
    if (!this.idle.remove(conn)) this.safe.remove(conn);
    this.closed(conn);
  };
}
