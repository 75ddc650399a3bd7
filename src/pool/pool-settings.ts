// What a server's pool is told by the config and asks of the runtime.
import type { Timers } from "../runtime/types.ts";

export interface PoolSettings {
  /** Most idle + safe connections kept; -1 unlimited, 0 none. */
  maxConn: number;
  /** Idle connections unused this long (ms) are closed. */
  purgeDelay: number;
  /** Purging keeps at least this many idle connections. */
  lowConn: number;
}

/**
 * What a pool asks of the runtime: the clock (the current event's time; its
 * timers' callbacks run as events of their own, the clock read afresh), and
 * one-shot timers for the purge and the mux sweep.
 */
export type PoolTimers = Pick<Timers, "now" | "setTimer" | "clearTimer">;
