// One server's multiplexed (HTTP/2) connections: the available list is those
// with free slots. Idle ones are PINGed each sweep and shut down after
// pool-purge-delay, keeping pool-low-conn.
import type { MuxConn } from "../conn/types.ts";
import type { TimerHandle } from "../runtime/types.ts";
import type { PoolSettings, PoolTimers } from "./pool-settings.ts";

export class MuxList {
  readonly list: MuxConn[] = [];

  constructor(private readonly settings: PoolSettings, private readonly timers: PoolTimers) {}

  /** A new connection: in the list, watched while it idles. */
  add(m: MuxConn): void {
    this.list.push(m);
    if (this.muxTimer === undefined) this.muxTimer = this.timers.setTimer(this.sweepMuxes, this.muxSweepEvery());
  }

  remove(m: MuxConn): void {
    const i = this.list.indexOf(m);
    if (i >= 0) this.list.splice(i, 1);
    this.muxIdleSince.delete(m);
  }

  /** Stop or reload: every connection says GOAWAY and closes after its streams. */
  shutdownAll(): void {
    if (this.muxTimer !== undefined) this.timers.clearTimer(this.muxTimer);
    this.muxTimer = undefined;
    for (const m of [...this.list]) m.shutdown();
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
    for (const m of this.list) if (!m.closed && m.activeStreams === 0) idle++;
    for (const m of [...this.list]) {
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
    if (this.list.length !== 0) this.muxTimer = this.timers.setTimer(this.sweepMuxes, this.muxSweepEvery());
  };
}
