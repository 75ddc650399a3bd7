// Event rates over a period P, computed as HAProxy 2.6 computes its stick-table
// rates (`struct freq_ctr` with update_freq_ctr_period / read_freq_ctr_period,
// src/freq_ctr.c and include/haproxy/freq_ctr.h), so that `http_req_rate(10s)`
// gives the same number here as there for the same events at the same times.
//
// A rate is three numbers, kept in three slots of an entry's Float64Array:
//   start  when the current period began (ms; HAProxy's curr_tick)
//   curr   events counted since `start`
//   prev   events of the period before
//
// Counting an event at `now`:
//   - inside the current period (now - start < P): curr grows;
//   - else the window slides: the period that ended becomes `prev`, the event
//     opens the next one (start + P). If even that next period is over
//     (now - start >= 2P), nothing of the past is worth keeping: prev is 0 and
//     the new period starts at `now` itself. HAProxy keeps start even (its low
//     bit is a lock there); we keep that rounding so dates agree to the ms.
//
// Reading at `now` treats the last P ms as a sliding window and assumes the
// previous period's events were spread evenly over it: the part of that period
// still inside the window is `remain = start + P - now` ms out of P, so
//     rate = curr + floor(prev * remain / P)
// If the current period is itself over (remain < 0), it becomes the previous
// one for the reading (prev := curr, curr := 0, remain += P), and if that is
// over too (remain still < 0), the rate is 0. One exception keeps low rates
// from flickering between 0 and 1 as `remain` shrinks: with nothing in the
// current period and at most one event in the previous, the rate is that
// previous count, unweighted.
//
// Not kept from HAProxy: its ticks wrap at 2^32 ms and its counts at 2^32; the
// runtime's monotonic clock does neither and these are doubles.

/** Offsets of a rate's three slots from its first. */
const START = 0;
const CURR = 1;
const PREV = 2;

/** Slots a rate takes in an entry's data. */
export const RATE_SLOTS = 3;

/** HAProxy counts in whole milliseconds; performance.now() has fractions. */
function ms(now: number): number {
  return Math.floor(now);
}

/** Clears the low bit of a non-negative whole number (beyond 2^31, where `& ~1` would not work). */
function even(t: number): number {
  return t - (t % 2);
}

/** Counts `inc` events at `now` on the rate at `d[at..at+2]` with period `period` ms. */
export function rateAdd(d: Float64Array, at: number, period: number, now: number, inc: number): void {
  const t = ms(now);
  let start = d[at + START]!;
  if (t - start < period) {
    d[at + CURR] = d[at + CURR]! + inc;
    return;
  }
  d[at + PREV] = d[at + CURR]!;
  d[at + CURR] = inc;
  start += period;
  if (t - start >= period) {
    d[at + PREV] = 0;
    start = t;
  }
  d[at + START] = even(start);
}

/** The rate at `now`: events over the last `period` ms, per the formula above. */
export function rateRead(d: Float64Array, at: number, period: number, now: number): number {
  let curr = d[at + CURR]!;
  let prev = d[at + PREV]!;
  let remain = d[at + START]! + period - ms(now);
  if (remain < 0) {
    remain += period;
    prev = remain >= 0 ? curr : 0;
    curr = 0;
  }
  if (curr === 0 && prev <= 1) return prev;
  return curr + Math.floor((prev * remain) / period);
}

/** A rate's raw state (what HAProxy's peers send): when its period began, events in it, events in the one before. */
export interface RateState {
  start: number;
  curr: number;
  prev: number;
}

export function rateState(d: Float64Array, at: number): RateState {
  return { start: d[at + START]!, curr: d[at + CURR]!, prev: d[at + PREV]! };
}

/** Puts a peer's rate state in place (its start already on this clock, kept even as HAProxy keeps it). */
export function rateSet(d: Float64Array, at: number, s: RateState): void {
  d[at + START] = even(Math.max(0, Math.floor(s.start)));
  d[at + CURR] = s.curr;
  d[at + PREV] = s.prev;
}
