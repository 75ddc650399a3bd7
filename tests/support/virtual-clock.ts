// A clock that moves only when a test says so. now() stands still until
// advance(ms), which fires the timers due on the way in deadline order; after
// each one, as after any event of a real loop, promise jobs and deferred
// callbacks run before the next. So an engine test can let a 30 s timeout pass
// in no real time, and see exactly what happened at each deadline.
import type { TimerHandle, Timers } from "../../src/runtime/types.ts";

/** A timer of this clock; its handle is the object itself. */
class VirtualTimer {
  constructor(readonly due: number, readonly order: number, readonly fn: () => void) {}
}

/** Deferred callbacks deferring more: a loop, not a test (see settle()). */
const MAX_DEFER_ROUNDS = 100_000;

/** A real turn of the host's event loop: every promise job queued so far runs before it ends. */
const promiseJobsRun = () => new Promise<void>((resolve) => setImmediate(resolve));

export class VirtualClock implements Timers {
  #now: number;
  readonly #start: number;
  readonly #wallStart: number;
  /** Pending timers by deadline; those with the same deadline in the order they were set. */
  readonly #timers: VirtualTimer[] = [];
  #deferred: (() => void)[] = [];
  #order = 0;
  #advancing = false;

  /** @param start the monotonic reading at first; `wallStart` the epoch ms it stands for. */
  constructor(start = 1_000, wallStart = Date.UTC(2026, 10, 25, 8, 0, 0)) {
    this.#now = this.#start = start;
    this.#wallStart = wallStart;
  }

  // Arrow properties: a runtime built on this clock hands them out unbound.
  readonly now = (): number => this.#now;

  readonly wallNow = (): number => this.#wallStart + (this.#now - this.#start);

  /** Like setTimeout, a delay below 1 ms counts as 1 ms. */
  readonly setTimer = (fn: () => void, ms: number): TimerHandle => {
    const timer = new VirtualTimer(this.#now + (ms >= 1 ? ms : 1), this.#order++, fn);
    const timers = this.#timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1]!.due > timer.due) i--;
    timers.splice(i, 0, timer);
    return timer as unknown as TimerHandle;
  };

  readonly clearTimer = (handle: TimerHandle): void => {
    const i = this.#timers.indexOf(handle as unknown as VirtualTimer);
    if (i >= 0) this.#timers.splice(i, 1);
  };

  readonly defer = (fn: () => void): void => {
    this.#deferred.push(fn);
  };

  /** Timers set and not yet fired nor cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or undefined if none is set. */
  get nextDue(): number | undefined {
    return this.#timers[0]?.due;
  }

  /** Runs the deferred callbacks now, those they defer too; returns how many ran. No promise job runs in between. */
  runDeferred(): number {
    let ran = 0;
    for (let round = 0; this.#deferred.length !== 0; round++) {
      if (round > MAX_DEFER_ROUNDS) throw new Error("VirtualClock: deferred callbacks keep deferring more");
      ran += this.#runDeferredRound();
    }
    return ran;
  }

  /**
   * With time standing still: promise jobs, then the callbacks deferred so
   * far, then the promise jobs those caused, and so on until nothing is left.
   */
  async settle(): Promise<void> {
    for (let round = 0;; round++) {
      await promiseJobsRun();
      if (this.#deferred.length === 0) return;
      if (round > MAX_DEFER_ROUNDS) throw new Error("VirtualClock: deferred callbacks keep deferring more");
      this.#runDeferredRound();
    }
  }

  /**
   * Moves time `ms` forward. Every timer due by then fires at its own
   * deadline (now() reads that deadline inside it), earliest first, and the
   * clock settles after each: timers set on the way that fall due in the
   * window fire too. Ends settled, at exactly the old time + ms.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`VirtualClock.advance(${ms}): time only goes forward`);
    if (this.#advancing) throw new Error("VirtualClock.advance: already advancing (a missing await?)");
    this.#advancing = true;
    try {
      const end = this.#now + ms;
      await this.settle();
      for (;;) {
        const next = this.#timers[0];
        if (next === undefined || next.due > end) break;
        this.#timers.shift();
        this.#now = next.due;
        next.fn();
        await this.settle();
      }
      this.#now = end;
      await this.settle();
    } finally {
      this.#advancing = false;
    }
  }

  /** The callbacks deferred until now; those they defer wait for the next round, as with setImmediate. */
  #runDeferredRound(): number {
    const round = this.#deferred;
    this.#deferred = [];
    for (const fn of round) fn();
    return round.length;
  }
}
