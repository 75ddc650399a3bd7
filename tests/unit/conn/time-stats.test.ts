// show stat's average times as HAProxy 2.6 keeps them (conn/time-stats.ts):
// a plain sum over the streams so far, a sliding one past 512, read rounded up
// over min(streams, 512); streams that add no sample still count.
import { describe, expect, test } from "bun:test";
import { TIME_STATS_SAMPLES, TimeStats } from "../../../src/conn/time-stats.ts";

describe("TimeStats", () => {
  test("one sample is its own average; streams without a sample dilute it, rounded up (HAProxy: rtime 5 then 2 over 4 requests)", () => {
    const t = new TimeStats();
    t.add(1, 0, 1, 5, 6);
    expect([TimeStats.average(t.response, 1), TimeStats.average(t.total, 1)]).toEqual([5, 6]);
    // Three more requests that never reached a server: no sample, four streams.
    expect(TimeStats.average(t.response, 4)).toBe(2);
    expect([t.responseMax, t.totalMax, t.queueMax]).toEqual([5, 6, 0]);
  });

  test("past 512 streams the sum slides: a steady time is its own average, a new one takes over", () => {
    const t = new TimeStats();
    let n = 0;
    for (; n < 1000; n++) t.add(n + 1, 0, 0, 100, 100);
    expect(TimeStats.average(t.response, n)).toBe(100);
    for (; n < 5000; n++) t.add(n + 1, 0, 0, 10, 10);
    expect(TimeStats.average(t.response, n)).toBeLessThanOrEqual(11);
    expect(t.responseMax).toBe(100);
    expect(TIME_STATS_SAMPLES).toBe(512);
  });

  test("clear counters resets the maxima; clear counters all the averages too", () => {
    const t = new TimeStats();
    t.add(1, 3, 4, 5, 12);
    t.clearMax();
    expect([t.queueMax, t.connectMax, t.responseMax, t.totalMax, t.response]).toEqual([0, 0, 0, 0, 5]);
    t.clearAll();
    expect(TimeStats.average(t.response, 0)).toBe(0);
  });
});
