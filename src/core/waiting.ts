// Client connections accepted but not admitted yet: past maxconn (a slot
// frees when a session ends) or past a rate (`rate-limit sessions`,
// `maxconnrate`, `maxsessrate`: one more fits once the rate's second has
// moved on). They wait paused, their first bytes kept, and start as they
// would have; HAProxy leaves them in the kernel's backlog instead, which the
// runtimes' listeners do not let a program do.
import type { PerSecond } from "../conn/counters.ts";
import type { BindConfig } from "../config/types.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Runtime, Socket, SocketEvents, TimerHandle } from "../runtime/types.ts";

/** A socket accepted past a limit, waiting its turn. */
export class Waiting implements SocketEvents {
  early: Uint8Array[] = [];
  /** The client ended its side while it waited. */
  ended = false;
  constructor(readonly socket: Socket, readonly bind: BindConfig, private readonly gone: (w: Waiting) => void) {}
  data(chunk: Uint8Array): void {
    this.early.push(chunk);
    this.socket.pause();
  }
  drain(): void {}
  end(): void {
    this.ended = true;
  }
  close(): void {
    this.gone(this);
  }
}

/** One more event now keeps `counter` within `limit` a second (0: no limit), as HAProxy's freq_ctr_remain. */
export function rateAllows(counter: PerSecond, limit: number, now: number): boolean {
  return limit === 0 || counter.read(now) < limit;
}

/** The timer that lets waiting sockets in once a rate has room again: one at a time, an event of its own. */
export class RoomTimer {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly runtime: Pick<Runtime, "setTimer" | "clearTimer">,
    private readonly clock: Clock,
    private readonly onRoom: () => void,
  ) {}

  /** Fires in `delayMs` (at least 1), unless it is set already. */
  arm(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.runtime.setTimer(() => {
      this.timer = undefined;
      this.clock.tick();
      this.onRoom();
    }, Math.max(1, delayMs));
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  clear(): void {
    if (this.timer !== undefined) this.runtime.clearTimer(this.timer);
    this.timer = undefined;
  }
}
