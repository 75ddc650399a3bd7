// The gate that keeps Bun's TLS handshakes in the order of accept: five at a
// time, the rest paused and resumed first-come first-served; a slot lent for
// three late ticks of its 1 ms timer (a saturated loop) or one on-time tick
// (an idle loop); no timer when nobody waits.
import { describe, expect, test } from "bun:test";
import { HandshakeGate } from "../../../src/runtime/handshake-gate.ts";
import type { TimerHandle } from "../../../src/runtime/types.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

class Conn {
  paused = false;
  resumedAt: number[] = [];
  constructor(readonly id: number, private readonly log: number[], private readonly clock: VirtualClock) {}
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.resumedAt.push(this.clock.now());
    this.log.push(this.id);
  }
}

/** Timers whose one pending timer the test fires, as late as it says. */
class LateClock {
  private t = 1000;
  private pending: (() => void) | undefined;
  private due = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    this.pending = fn;
    this.due = this.t + ms;
    return 1 as unknown as TimerHandle;
  };
  clearTimer = () => {
    this.pending = undefined;
  };
  get armed(): boolean {
    return this.pending !== undefined;
  }
  /** Fires the pending timer `lateMs` after it was due. */
  fire(lateMs: number): void {
    const fn = this.pending;
    if (fn === undefined) throw new Error("no timer armed");
    this.pending = undefined;
    this.t = this.due + lateMs;
    fn();
  }
}

function world(slots = 5, lease = 3) {
  const clock = new VirtualClock(1000);
  const gate = new HandshakeGate(clock, slots, lease);
  const resumed: number[] = [];
  let next = 0;
  const accept = () => {
    const conn = new Conn(next++, resumed, clock);
    return { conn, ticket: gate.enter(conn) };
  };
  return { clock, gate, resumed, accept };
}

describe("handshake gate", () => {
  test("the first five go through at once, untouched; no timer runs", () => {
    const w = world();
    const five = Array.from({ length: 5 }, () => w.accept());
    expect(five.every((c) => !c.conn.paused)).toBe(true);
    expect(w.gate.queued).toBe(0);
    expect(w.clock.pendingTimers).toBe(0);
  });

  test("the sixth on waits paused; a handshake that ends lets the oldest waiting in", () => {
    const w = world();
    const first = Array.from({ length: 5 }, () => w.accept());
    const waiting = Array.from({ length: 4 }, () => w.accept());
    expect(waiting.every((c) => c.conn.paused)).toBe(true);
    expect(w.gate.queued).toBe(4);
    w.gate.leave(first[2]!.ticket);
    w.gate.leave(first[0]!.ticket);
    expect(w.resumed).toEqual([5, 6]);
    expect(waiting[0]!.conn.paused).toBe(false);
    expect(waiting[2]!.conn.paused).toBe(true);
    expect(w.gate.queued).toBe(2);
  });

  test("first come, first served: the order of resumption is the order of accept", async () => {
    const w = world(2);
    const conns = Array.from({ length: 12 }, () => w.accept());
    for (let i = 0; i < conns.length; i++) w.gate.leave(conns[i]!.ticket);
    expect(w.resumed).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(w.clock.pendingTimers).toBe(0);
  });

  test("an idle loop (the timer on time): a slot held by a handshake waiting on its client goes to the next at the first tick", async () => {
    const w = world(1, 3);
    const stalled = w.accept();
    const next = w.accept();
    expect(next.conn.paused).toBe(true);
    await w.clock.advance(1);
    expect(next.conn.paused).toBe(false);
    expect(next.conn.resumedAt).toEqual([1001]);
    // The stalled one ending later changes nothing (its slot is already given away).
    w.gate.leave(stalled.ticket);
    expect(w.resumed).toEqual([1]);
  });

  test("a saturated loop (the timer late): a slot is lent for three ticks, then given to the next", () => {
    const clock = new LateClock();
    const gate = new HandshakeGate(clock, 1, 3);
    const log: number[] = [];
    const stalled = new Conn(0, log, clock as unknown as VirtualClock);
    const next = new Conn(1, log, clock as unknown as VirtualClock);
    gate.enter(stalled);
    gate.enter(next);
    expect(next.paused).toBe(true);
    clock.fire(5);
    clock.fire(5);
    expect(next.paused).toBe(true);
    clock.fire(5);
    expect(next.paused).toBe(false);
    expect(clock.armed).toBe(false);
  });

  test("late ticks then an on-time one: the slots go at once", () => {
    const clock = new LateClock();
    const gate = new HandshakeGate(clock, 2, 3);
    const log: number[] = [];
    for (let i = 0; i < 5; i++) gate.enter(new Conn(i, log, clock as unknown as VirtualClock));
    clock.fire(10);
    expect(log).toEqual([]);
    clock.fire(0);
    expect(log).toEqual([2, 3]);
    clock.fire(0);
    expect(log).toEqual([2, 3, 4]);
    expect(clock.armed).toBe(false);
  });

  test("a waiting connection that closes is skipped, and its turn goes to the next", () => {
    const w = world(1);
    const a = w.accept();
    const b = w.accept();
    const c = w.accept();
    w.gate.leave(b.ticket);
    expect(w.gate.queued).toBe(1);
    w.gate.leave(a.ticket);
    expect(w.resumed).toEqual([2]);
    expect(b.conn.paused).toBe(true);
    expect(c.conn.paused).toBe(false);
  });

  test("a newcomer does not pass those waiting, even when a slot is free for an instant", async () => {
    const w = world(1, 100);
    const a = w.accept();
    const b = w.accept();
    w.gate.leave(a.ticket); // b takes the slot
    const c = w.accept(); // the slot is b's: c waits
    expect(c.conn.paused).toBe(true);
    w.gate.leave(b.ticket);
    expect(w.resumed).toEqual([1, 2]);
  });

  test("the timer stops once nobody waits, and leaving twice counts once", async () => {
    const w = world(1, 2);
    const a = w.accept();
    const b = w.accept();
    expect(w.clock.pendingTimers).toBe(1);
    w.gate.leave(a.ticket);
    w.gate.leave(a.ticket);
    expect(w.clock.pendingTimers).toBe(0);
    expect(w.resumed).toEqual([1]);
    const c = w.accept();
    expect(c.conn.paused).toBe(true);
    await w.clock.advance(5);
    expect(c.conn.paused).toBe(false);
    expect(w.clock.pendingTimers).toBe(0);
    w.gate.leave(b.ticket);
    w.gate.leave(c.ticket);
    expect(w.resumed).toEqual([1, 2]);
  });

  test("thousands waiting: each resumed once, in order, with the queue compacted", async () => {
    const w = world(5, 1);
    const conns = Array.from({ length: 5000 }, () => w.accept());
    for (let i = 0; i < 1200; i++) await w.clock.advance(1);
    expect(w.resumed.length).toBe(4995);
    expect(w.resumed).toEqual(Array.from({ length: 4995 }, (_, i) => i + 5));
    expect(w.clock.pendingTimers).toBe(0);
    for (const c of conns) w.gate.leave(c.ticket);
  });
});
