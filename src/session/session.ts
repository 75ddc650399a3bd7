// What every client session is, whatever its mode: one accepted client
// connection, its id (one counter for all sessions), when it began, and its
// one deadline, armed for the earliest one and re-armed when it comes (a later
// deadline costs nothing until then). The deadlines of all sessions share the
// runtime's timers through one wheel (runtime/deadline-wheel.ts).
import { nextSessionId } from "../conn/ids.ts";
import { type DeadlineEntry, type DeadlineSlot, type DeadlineWheel, wheelOf } from "../runtime/deadline-wheel.ts";
import type { Socket, Timers } from "../runtime/types.ts";

/** What the runtime API's `show sess` shows of a session. */
export interface SessionActivity {
  /** The backend and server its current stream uses, when it has one. */
  readonly backend: string | undefined;
  readonly server: string | undefined;
  /** What it is doing: a TCP stream's "connect" / "data", an HTTP/1.1 session's "idle" / "head" / "stream" / "tunnel" / "closing", "h2 streams=N". */
  readonly state: string;
}

export abstract class Session implements DeadlineEntry {
  readonly id = nextSessionId();
  /** Wall-clock ms of the accept, for the log's date. */
  readonly acceptDate: number;
  private timerAt = Infinity;
  private readonly wheel: DeadlineWheel;
  /** The wheel's links (runtime/deadline-wheel.ts). */
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineSlot: DeadlineSlot | undefined = undefined;

  constructor(readonly client: Socket, timers: Pick<Timers, "wallNow" | "setTimer" | "clearTimer">) {
    this.acceptDate = timers.wallNow();
    this.wheel = wheelOf(timers);
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
    if (this.deadlineSlot !== undefined) {
      if (this.timerAt <= at) return;
      this.wheel.disarm(this);
    }
    if (!Number.isFinite(at)) return;
    this.timerAt = at;
    this.wheel.arm(this, at, this.now());
  }

  protected cancelTimer(): void {
    this.wheel.disarm(this);
    this.timerAt = Infinity;
  }

  /** The wheel's call: the deadline came. */
  deadlineReached(): void {
    this.timerAt = Infinity;
    this.onTimer();
  }
}
