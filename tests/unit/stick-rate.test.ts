// Rates at exact instants, against values worked out by hand from HAProxy
// 2.6's freq_ctr (see src/stick/freq.ts):
//   counting at t: t - start < P → curr += n; else prev = curr, curr = n,
//     start += P, and if t - start >= P still: prev = 0, start = t; start even.
//   reading at t: remain = start + P - t; if remain < 0: remain += P,
//     prev = remain >= 0 ? curr : 0, curr = 0; then curr == 0 && prev <= 1 → prev,
//     else curr + floor(prev * remain / P).
import { describe, expect, test } from "bun:test";
import { rateAdd, rateRead } from "../../src/stick/freq.ts";
import { MemoryStickTable } from "../../src/stick/table.ts";

/** A bare rate (three slots) with period P. */
function rate(period: number) {
  const d = new Float64Array(3);
  return {
    add: (t: number, n = 1) => rateAdd(d, 0, period, t, n),
    read: (t: number) => rateRead(d, 0, period, t),
    state: () => ({ start: d[0], curr: d[1], prev: d[2] }),
  };
}

describe("freq counter over a 1 s period", () => {
  test("a fresh counter starts its period at the first event, rounded down to even", () => {
    const r = rate(1000);
    r.add(10_001);
    // 10001 - 0 >= 1000: rotate to start 1000; 10001 - 1000 >= 1000: prev 0, start 10001 → 10000.
    expect(r.state()).toEqual({ start: 10_000, curr: 1, prev: 0 });
    r.add(10_100);
    r.add(10_500);
    expect(r.read(10_500)).toBe(3); // remain 500, prev 0
    expect(r.read(10_999)).toBe(3);
  });

  test("the previous period counts for the part of it still in the window", () => {
    const r = rate(1000);
    for (let i = 0; i < 3; i++) r.add(10_001 + i);
    r.add(11_200); // rotate: prev 3, curr 1, start 11000
    expect(r.state()).toEqual({ start: 11_000, curr: 1, prev: 3 });
    expect(r.read(11_200)).toBe(3); // 1 + floor(3 * 800 / 1000) = 1 + 2
    expect(r.read(11_500)).toBe(2); // 1 + floor(3 * 500 / 1000) = 1 + 1
    expect(r.read(11_667)).toBe(1); // 1 + floor(3 * 333 / 1000) = 1 + 0
    expect(r.read(11_900)).toBe(1); // 1 + floor(0.3)
  });

  test("reading after the period ended without new events slides the window on its own", () => {
    const r = rate(1000);
    for (let i = 0; i < 10; i++) r.add(10_000 + i * 50); // all in [10000, 11000)
    expect(r.read(10_999)).toBe(10);
    expect(r.read(11_000)).toBe(10); // remain 0: still the current period
    expect(r.read(11_250)).toBe(7); // remain -250 + 1000 = 750: floor(10 * 0.75) = floor(7.5)
    expect(r.read(11_901)).toBe(0); // remain 99: floor(0.99)
    expect(r.read(12_000)).toBe(0); // remain 0
    expect(r.read(12_001)).toBe(0); // two periods gone
  });

  test("an event exactly at the period's end opens the next one", () => {
    const r = rate(1000);
    for (let i = 0; i < 4; i++) r.add(10_000);
    r.add(11_000);
    expect(r.state()).toEqual({ start: 11_000, curr: 1, prev: 4 });
    expect(r.read(11_000)).toBe(5); // 1 + floor(4 * 1000 / 1000)
    expect(r.read(11_001)).toBe(4); // 1 + floor(4 * 999 / 1000) = 1 + 3
  });

  test("a gap of two periods or more forgets the past and starts at the event", () => {
    const r = rate(1000);
    for (let i = 0; i < 5; i++) r.add(10_001);
    r.add(13_501);
    expect(r.state()).toEqual({ start: 13_500, curr: 1, prev: 0 });
    expect(r.read(13_501)).toBe(1);
    expect(r.read(14_500)).toBe(1); // remain 0: still the current period
  });

  test("low rates do not flicker: one event in the last period reads 1 for the whole next one", () => {
    const r = rate(1000);
    r.add(10_000);
    expect(r.read(11_001)).toBe(1); // prev 1, curr 0: reported unweighted
    expect(r.read(11_999)).toBe(1);
    expect(r.read(12_000)).toBe(1); // remain exactly 0: the previous period still counts
    expect(r.read(12_001)).toBe(0);
  });

  test("weighted past plus a busy present", () => {
    const r = rate(1000);
    r.add(10_000, 100);
    r.add(11_000, 20);
    expect(r.read(11_250)).toBe(95); // 20 + floor(100 * 750 / 1000)
    expect(r.read(11_999)).toBe(20); // 20 + floor(100 * 1 / 1000)
  });

  test("an early clock (now < P) counts in the period that started at 0, as HAProxy with that now_ms", () => {
    const r = rate(1000);
    r.add(300);
    r.add(700);
    expect(r.state()).toEqual({ start: 0, curr: 2, prev: 0 });
    r.add(1_100);
    expect(r.read(1_100)).toBe(2); // 1 + floor(2 * 900 / 1000)
  });

  test("fractions of a millisecond (performance.now) count as the whole millisecond", () => {
    const r = rate(1000);
    r.add(10_000.9);
    r.add(11_000.2); // ms 11000: rotates exactly at the boundary
    expect(r.state()).toEqual({ start: 11_000, curr: 1, prev: 1 });
    expect(r.read(11_500.7)).toBe(1); // 1 + floor(1 * 500 / 1000)
  });
});

describe("rates on entries", () => {
  test("http_req_rate(10s): exact count in the sliding window", () => {
    const t = new MemoryStickTable({
      name: "fe",
      type: "ip",
      len: 32,
      size: 10,
      expireMs: 60_000,
      store: [{ counter: "http_req_rate", periodMs: 10_000 }, { counter: "http_req_cnt" }],
    });
    const e = t.track("10.0.0.1", 100_000)!;
    for (let i = 0; i < 50; i++) e.add("http_req_rate", 100_000 + i);
    for (let i = 0; i < 30; i++) e.add("http_req_cnt", 112_345);
    // 112345 - 100000 >= 10000: prev 50, curr 30, start 110000.
    expect(e.read("http_req_rate", 117_891)).toBe(40); // 30 + floor(50 * 2109 / 10000) = 30 + 10
    expect(e.read("http_req_cnt", 117_891)).toBe(80);
  });

  test("an odd period keeps the start even on rotation, as HAProxy's lock bit does", () => {
    const t = new MemoryStickTable({
      name: "odd",
      type: "integer",
      len: 32,
      size: 1,
      expireMs: 0,
      store: [{ counter: "conn_rate", periodMs: 999 }],
    });
    const e = t.track(1, 20_000)!;
    e.add("conn_rate", 20_000, 999); // fresh: start 20000, curr 999
    e.add("conn_rate", 20_999, 1); // 999 >= 999: prev 999, curr 1, start 20999 → 20998
    // remain = 20998 + 999 - 21500 = 497: 1 + floor(999 * 497 / 999) = 498 (an odd start would give 499)
    expect(e.read("conn_rate", 21_500)).toBe(498);
    e.connOpen(21_997); // 21997 - 20998 = 999: prev 1, curr 1, start 21997 → 21996
    expect(e.read("conn_rate", 21_997)).toBe(1); // remain 998: 1 + floor(1 * 998 / 999)
    expect(e.read("conn_rate", 22_996)).toBe(1); // remain -1 + 999: prev 1, curr 0, reported as is
  });
});
