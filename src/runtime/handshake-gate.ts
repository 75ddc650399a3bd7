// FIFO admission of TLS handshakes on Bun.
//
// Bun's socket layer (uSockets) reads at most five sockets that are still in
// their TLS handshake per turn of the event loop; the others it sets aside
// on a LIFO list ("prioritize newer clients") and takes back five a turn,
// newest first. Under a stream of new connections that keeps the CPU busy,
// the oldest handshakes wait behind every newer one: HAProxy's p99 for full
// RSA handshakes stayed at ~60 ms where sluice's reached 1–3 s
// (bench/edge.ts, handshake-rsa; docs/tls.md tells the measurements).
//
// The gate keeps the number of connections in their handshake at or under
// that budget, in the order they were accepted: a connection over it is
// paused (its ClientHello waits in the kernel, costing nothing), and resumed
// first-come first-served when a handshake ends. The gate's 1 ms timer runs
// only while connections wait, and it also lends the slots out: when it
// fires on time, the loop has room to spare, so the handshakes holding slots
// are waiting on their clients (a far client's round trip, or one that
// stalls) and their slots go to the next connections at once; when it fires
// late, the loop is saturated, and a slot is held for three such ticks (one
// turn of the loop each: enough for a near client's two flights) unless its
// handshake ends first. So a busy loop takes handshakes in order, and an
// idle one is never held back: admissions can reach five per millisecond.

import type { TimerHandle, Timers } from "./types.ts";

/** A connection in its handshake, as the gate handles it. */
export interface GatedHandshake {
  pause(): void;
  resume(): void;
}

/** Slots: uSockets' budget of handshake reads per loop turn (MAX_LOW_PRIO_SOCKETS_PER_LOOP_ITERATION). */
export const HANDSHAKE_SLOTS = 5;
/** Late timer ticks (a saturated loop) a slot is lent for before the gate gives it to the next connection. */
export const HANDSHAKE_LEASE_TICKS = 3;
/** A tick later than this (ms) means the loop is saturated. */
const LATE_MS = 1;

class Entry {
  /** 0 waiting, 1 holding a slot, 2 out of the gate (done, closed, or its lease ran out). */
  state = 0;
  ticks = 0;
  constructor(readonly handshake: GatedHandshake) {}
}

export class HandshakeGate {
  private readonly holding: Entry[] = [];
  private waiting: Entry[] = [];
  private waitingHead = 0;
  private timer: TimerHandle | undefined;
  /** When the timer is due. */
  private due = 0;

  constructor(
    private readonly timers: Pick<Timers, "now" | "setTimer" | "clearTimer">,
    readonly slots = HANDSHAKE_SLOTS,
    readonly leaseTicks = HANDSHAKE_LEASE_TICKS,
  ) {}

  /** A connection accepted, its handshake not begun: admitted now or paused until its turn. Returns its ticket for `leave`. */
  enter(handshake: GatedHandshake): object {
    const entry = new Entry(handshake);
    if (this.holding.length < this.slots && this.waitingHead === this.waiting.length) {
      entry.state = 1;
      this.holding.push(entry);
      return entry;
    }
    handshake.pause();
    this.waiting.push(entry);
    if (this.timer === undefined) this.arm();
    return entry;
  }

  /** The handshake ended (done, failed, or the connection closed): its slot goes to the next connection. */
  leave(ticket: object): void {
    const entry = ticket as Entry;
    if (entry.state === 2) return;
    const held = entry.state === 1;
    entry.state = 2;
    if (held) {
      const at = this.holding.indexOf(entry);
      if (at >= 0) this.holding.splice(at, 1);
      this.admit();
    }
  }

  /** How many connections wait for a slot. */
  get queued(): number {
    let n = 0;
    for (let i = this.waitingHead; i < this.waiting.length; i++) if (this.waiting[i]!.state === 0) n++;
    return n;
  }

  private arm(): void {
    this.due = this.timers.now() + 1;
    this.timer = this.timers.setTimer(this.tick, 1);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const onTime = this.timers.now() - this.due < LATE_MS;
    for (let i = this.holding.length - 1; i >= 0; i--) {
      const entry = this.holding[i]!;
      if (onTime || ++entry.ticks >= this.leaseTicks) {
        entry.state = 2;
        this.holding.splice(i, 1);
      }
    }
    this.admit();
    if (this.waitingHead < this.waiting.length && this.timer === undefined) this.arm();
  };

  private admit(): void {
    while (this.holding.length < this.slots && this.waitingHead < this.waiting.length) {
      const entry = this.waiting[this.waitingHead++]!;
      if (entry.state !== 0) continue;
      entry.state = 1;
      this.holding.push(entry);
      entry.handshake.resume();
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
      if (this.timer !== undefined) {
        this.timers.clearTimer(this.timer);
        this.timer = undefined;
      }
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }
}
