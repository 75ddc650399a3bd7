// Many deadlines on few runtime timers. An edge node holds thousands of idle
// keep-alive sessions, each with one deadline (timeout client, http-keep-alive,
// http-request); a runtime timer apiece costs a timer object and a closure per
// session. Here the sessions whose deadlines fall in the same millisecond
// share one timer, and each session is a node of that millisecond's list (its
// own three fields, no object of its own): arming and disarming are a few
// pointer moves, and the timing is what one timer per session gave.
import type { TimerHandle, Timers } from "./types.ts";

/** What the wheel keeps of a deadline's owner: the fields are the wheel's own. */
export interface DeadlineEntry {
  deadlineNext: DeadlineEntry | undefined;
  deadlinePrev: DeadlineEntry | undefined;
  deadlineSlot: DeadlineSlot | undefined;
  /** The deadline came (or a little later); the entry is no longer armed. */
  deadlineReached(): void;
}

/** The entries due in one millisecond, in the order armed, and the timer that calls them. */
export class DeadlineSlot {
  head: DeadlineEntry | undefined = undefined;
  tail: DeadlineEntry | undefined = undefined;
  timer: TimerHandle | undefined = undefined;
  constructor(readonly at: number) {}
}

export class DeadlineWheel {
  private readonly slots = new Map<number, DeadlineSlot>();

  constructor(private readonly timers: Pick<Timers, "setTimer" | "clearTimer">) {}

  /** Armed for `at` (monotonic ms, as `now`); an entry armed before is moved. */
  arm(entry: DeadlineEntry, at: number, now: number): void {
    if (entry.deadlineSlot !== undefined) this.disarm(entry);
    const key = Math.ceil(at);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      const created = slot = new DeadlineSlot(key);
      created.timer = this.timers.setTimer(() => this.fire(created), Math.max(1, Math.ceil(key - now)));
      this.slots.set(key, created);
    }
    // Appended: deadlines of one millisecond come in the order they were armed.
    const tail = slot.tail;
    entry.deadlineNext = undefined;
    entry.deadlinePrev = tail;
    if (tail === undefined) slot.head = entry;
    else tail.deadlineNext = entry;
    slot.tail = entry;
    entry.deadlineSlot = slot;
  }

  /** Not armed any more (harmless on an entry that is not). */
  disarm(entry: DeadlineEntry): void {
    const slot = entry.deadlineSlot;
    if (slot === undefined) return;
    this.unlink(slot, entry);
    if (slot.head === undefined && this.slots.get(slot.at) === slot) {
      this.timers.clearTimer(slot.timer!);
      this.slots.delete(slot.at);
    }
  }

  /** Millisecond slots with a timer armed now (for tests and the bench). */
  get size(): number {
    return this.slots.size;
  }

  private unlink(slot: DeadlineSlot, entry: DeadlineEntry): void {
    const prev = entry.deadlinePrev;
    const next = entry.deadlineNext;
    if (prev === undefined) slot.head = next;
    else prev.deadlineNext = next;
    if (next === undefined) slot.tail = prev;
    else next.deadlinePrev = prev;
    entry.deadlineNext = entry.deadlinePrev = entry.deadlineSlot = undefined;
  }

  /**
   * One at a time from the head: an entry's handler may disarm or re-arm
   * others of the same slot (re-armed ones go to a new slot: this one has left
   * the map). A handler that throws does not keep the rest from firing; the
   * first error is thrown again at the end, as the runtime's timer would have.
   */
  private fire(slot: DeadlineSlot): void {
    if (this.slots.get(slot.at) === slot) this.slots.delete(slot.at);
    let failure: { error: unknown } | undefined;
    for (let entry = slot.head; entry !== undefined; entry = slot.head) {
      this.unlink(slot, entry);
      try {
        entry.deadlineReached();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }
}

const wheels = new WeakMap<object, DeadlineWheel>();

/** The one wheel of a runtime's timers (sessions of every frontend share it). */
export function wheelOf(timers: Pick<Timers, "setTimer" | "clearTimer">): DeadlineWheel {
  let wheel = wheels.get(timers);
  if (wheel === undefined) wheels.set(timers, wheel = new DeadlineWheel(timers));
  return wheel;
}
