// One server's shared backend connections, the facade over its two kinds of
// list: the idle ones (never reused yet) and the safe ones (proven
// reusable), most recently used last, per reuse key (keyed-list.ts), bounded
// by pool-max-conn and by what the server was seen to need (HAProxy's
// est_need_conns: a connection is kept idle only while the connections in use
// plus those idle stay within the most in use at once lately, plus
// pool-low-conn, so a load of one request per client connection, which opens
// a new server connection for each under `http-reuse safe`, does not pile up
// thousands of idle ones), and purged after pool-purge-delay; and the multiplexed
// ones (mux-list.ts). It also knows every open connection to its server, for
// the per-connection view and the counters (invariant 17).
import type { ConnPlace, MuxConn, PoolConn } from "../conn/types.ts";
import type { TimerHandle } from "../runtime/types.ts";
import { KeyedList } from "./keyed-list.ts";
import { MuxList } from "./mux-list.ts";
import type { PoolSettings, PoolTimers } from "./pool-settings.ts";

export type { PoolSettings, PoolTimers };


export class ServerPool {
  private readonly idle = new KeyedList();
  private readonly safe = new KeyedList();
  /** Every open connection to this server, wherever it is. */
  readonly live = new Set<PoolConn>();
  /** Open multiplexed (HTTP/2) connections to this server (mux-list.ts): the available list is those with free slots. */
  private readonly muxList: MuxList;
  /** Counters since start. */
  opened = 0;
  /** Connections opened since start, never cleared (`show info` CumSslConns: `clear counters all` leaves HAProxy's process totals). */
  openedEver = 0;
  reused = 0;
  violations = 0;
  private purgeTimer: TimerHandle | undefined;
  /**
   * HAProxy's estimate of the connections this server needs (est_need_conns):
   * at least the most in use at once since the last period; each
   * pool-purge-delay it moves half way down to the previous period's most.
   */
  private estNeed = 0;
  /** The most in use at once in this period (max_used_conns). */
  private maxUsed = 0;
  private periodStart: number;

  constructor(
    /** "backend/server", for messages. */
    readonly id: string,
    readonly settings: PoolSettings,
    private readonly timers: PoolTimers,
  ) {
    this.muxList = new MuxList(settings, timers);
    this.periodStart = timers.now();
  }

  get muxes(): readonly MuxConn[] {
    return this.muxList.list;
  }

  get idleCount(): number {
    return this.idle.size;
  }

  get safeCount(): number {
    return this.safe.size;
  }

  /** Connections private to a session (idle in its list) and in use by a stream, now: kept as they move, for the logs. */
  privateNow = 0;
  inUseNow = 0;
  /**
   * Connections being opened for a stream (HTTP/1.1): in use from their
   * start, as HAProxy counts them (conn_new), so that the estimate sees every
   * connection the load made. Counted only after their connect, a burst of
   * new ones left the estimate below the connections open, and each one
   * released past it was closed and opened again (thousands a second under
   * a steady HTTP/2 load).
   */
  private connectingNow = 0;

  /** Connections in use or being opened (curr_used_conns). */
  private get usedNow(): number {
    return this.inUseNow + this.privateNow + this.connectingNow;
  }

  /** A connection is being opened for a stream; `ended()` once it is open or failed, before it is attached. */
  connecting(): { ended(): void } {
    this.connectingNow++;
    this.noteUsed();
    let done = false;
    return {
      ended: () => {
        if (done) return;
        done = true;
        this.connectingNow--;
      },
    };
  }

  private noteUsed(): void {
    const used = this.usedNow;
    if (used > this.maxUsed) this.maxUsed = used;
    if (used > this.estNeed) this.estNeed = used;
  }

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
    if (place === "private" || place === "in-use") this.noteUsed();
  }

  /**
   * The connections this server needs, as estimated at `now` (the stats'
   * need_conn_est: they read the clock afresh, being no event of the proxy's).
   */
  neededEstimate(now: number): number {
    this.rollEstimate(now);
    return this.estNeed;
  }

  /** Ends the periods of pool-purge-delay that have passed by `now` (HAProxy does it in its purge task). */
  private rollEstimate(now: number): void {
    const period = this.settings.purgeDelay;
    if (period <= 0) return;
    const passed = Math.floor((now - this.periodStart) / period);
    if (passed <= 0) return;
    const used = this.usedNow;
    // After a few idle periods the estimate has come down to what is in use; more loops change nothing.
    for (let i = 0; i < Math.min(passed, 32); i++) {
      this.estNeed = Math.max((this.estNeed + this.maxUsed) >> 1, this.maxUsed);
      this.maxUsed = used;
    }
    this.periodStart += passed * period;
  }

  /** A connection was opened to this server. */
  added(conn: PoolConn): void {
    this.opened++;
    this.openedEver++;
    this.live.add(conn);
  }

  /** A connection to this server is closed (or about to be): it leaves every list that counts it. */
  closed(conn: PoolConn): void {
    this.move(conn, "closed");
    this.live.delete(conn);
    conn.owner?.conns.disown(conn);
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

  /**
   * Keeps a shared connection after a clean exchange; false: no room
   * (pool-max-conn), more than the server needs, or retired: the caller closes it.
   */
  put(conn: PoolConn): boolean {
    if (this.isRetired(conn)) return false;
    const max = this.settings.maxConn;
    const shared = this.idle.size + this.safe.size;
    if (max >= 0 && shared >= max) return false;
    // HAProxy's rule (srv_add_to_idle_list): the first of its kind is always
    // kept; another only while in use + idle stays within the estimate plus
    // pool-low-conn. `conn` is still counted in use here, as there.
    const first = this.safe.size === 0 && (conn.proven || this.idle.size === 0);
    if (!first) {
      this.rollEstimate(this.timers.now());
      const used = this.usedNow;
      if (used + shared > Math.max(used, this.estNeed) + this.settings.lowConn) return false;
    }
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
    this.openedEver++;
    this.muxList.add(m);
  }

  removeMux(m: MuxConn): void {
    this.muxList.remove(m);
  }

  /** Closes every connection held idle (stop, reload); multiplexed ones say GOAWAY and close after their streams. */
  closeIdle(): void {
    this.muxList.shutdownAll();
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

  /**
   * Connections open now are never reused again (the server's address
   * changed, or it went into maintenance): idle ones close now, those in use
   * close when their stream is done with them instead of going back to a
   * list.
   */
  retire(): void {
    for (const conn of this.live) this.retired.add(conn);
    this.closeIdle();
  }

  /** Opened before the last retire(): it goes to no list again. */
  isRetired(conn: PoolConn): boolean {
    return this.retired.has(conn);
  }

  private readonly retired = new WeakSet<PoolConn>();

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
