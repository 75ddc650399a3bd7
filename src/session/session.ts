// What every client session is, whatever its mode: one accepted client
// connection, its id (one counter for all sessions), when it began, and its
// one timer, armed for the earliest deadline and re-armed when it fires (a
// later deadline costs nothing until then).
import { nextSessionId } from "../conn/ids.ts";
import type { Socket, TimerHandle, Timers } from "../runtime/types.ts";

/** What the runtime API's `show sess` shows of a session. */
export interface SessionActivity {
  /** The backend and server its current stream uses, when it has one. */
  readonly backend: string | undefined;
  readonly server: string | undefined;
  /** What it is doing: a TCP stream's "connect" / "data", an HTTP/1.1 session's "idle" / "head" / "stream" / "tunnel" / "closing", "h2 streams=N". */
  readonly state: string;
}

export abstract class Session {
  readonly id = nextSessionId();
  /** Wall-clock ms of the accept, for the log's date. */
  readonly acceptDate: number;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(readonly client: Socket, private readonly timers: Pick<Timers, "wallNow" | "setTimer" | "clearTimer">) {
    this.acceptDate = timers.wallNow();
  }

  /** Bytes the client sent while the session waited to be accepted come first. */
  abstract begin(early: Uint8Array[]): void;
  /** Hard stop: everything closed now. */
  abstract kill(): void;
  /** Graceful stop: finish what is under way, then close. */
  softStop?(): void;
  /** What it is doing now (runtime API, `show sess`). */
  abstract activity(): SessionActivity;

  /** The time of the event being handled (monotonic ms). */
  protected abstract now(): number;
  /** Called when the timer fires (the deadline may have moved later since: check, then re-arm). */
  protected abstract onTimer(): void;

  /** Makes sure the timer fires by `at` (monotonic ms; Infinity: no deadline now). */
  protected armTimer(at: number): void {
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      this.timers.clearTimer(this.timer);
      this.timer = undefined;
    }
    if (!Number.isFinite(at)) return;
    this.timerAt = at;
    this.timer = this.timers.setTimer(this.fire, Math.max(1, Math.ceil(at - this.now())));
  }

  protected cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.onTimer();
  };
}
