// The test clock itself: engine timeout tests are only as true as it is.
import { describe, expect, test } from "bun:test";
import { VirtualClock } from "../../support/virtual-clock.ts";

describe("VirtualClock", () => {
  test("time stands still until advance(), which ends at exactly the old time + ms", async () => {
    const clock = new VirtualClock(1000, Date.UTC(2026, 0, 1));
    expect(clock.now()).toBe(1000);
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.now()).toBe(1000);
    await clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(clock.wallNow()).toBe(Date.UTC(2026, 0, 1) + 250);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });

  test("timers fire at their own deadline, earliest first, same deadline in the order set", async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimer(at("c"), 30);
    clock.setTimer(at("a"), 10);
    clock.setTimer(at("b"), 10);
    clock.setTimer(at("late"), 31);
    await clock.advance(29);
    expect(fired).toEqual(["a@10", "b@10"]);
    await clock.advance(1);
    expect(fired).toEqual(["a@10", "b@10", "c@30"]);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDue).toBe(31);
  });

  test("a delay below 1 ms is 1 ms, as with setTimeout", async () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 0);
    clock.setTimer(() => fired.push(clock.now()), Number.NaN);
    await clock.advance(0);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([1, 1]);
  });

  test("cleared timers never fire; clearing twice or after firing is harmless", async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    const a = clock.setTimer(() => fired.push("a"), 5);
    const b = clock.setTimer(() => fired.push("b"), 10);
    clock.setTimer(() => {
      fired.push("c");
      clock.clearTimer(b); // from inside another timer
    }, 7);
    clock.clearTimer(a);
    clock.clearTimer(a);
    await clock.advance(20);
    expect(fired).toEqual(["c"]);
    clock.clearTimer(b);
    expect(clock.pendingTimers).toBe(0);
  });

  test("timers set on the way, by timers or by the promise jobs they cause, fire if due in the window", async () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 10);
      void Promise.resolve().then(() => clock.setTimer(() => fired.push(clock.now()), 20));
    }, 10);
    await clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
  });

  test("deferred callbacks wait for runDeferred(), settle() or advance(); their own deferrals run after", async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    clock.defer(() => {
      seen.push("1");
      clock.defer(() => seen.push("3"));
    });
    clock.defer(() => seen.push("2"));
    await Promise.resolve();
    expect(seen).toEqual([]);
    expect(clock.runDeferred()).toBe(3);
    expect(seen).toEqual(["1", "2", "3"]);

    clock.defer(() => seen.push("settled"));
    await clock.settle();
    expect(seen.at(-1)).toBe("settled");

    clock.setTimer(() => clock.defer(() => seen.push(`after the timer @${clock.now()}`)), 5);
    clock.setTimer(() => seen.push(`next timer @${clock.now()}`), 5);
    await clock.advance(5);
    expect(seen.slice(-2)).toEqual(["after the timer @5", "next timer @5"]);
  });

  test("promise jobs run between two timers of the same deadline, as in a real loop", async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    clock.setTimer(() => void Promise.resolve().then(() => seen.push("job of the first")), 5);
    clock.setTimer(() => seen.push("second"), 5);
    await clock.advance(5);
    expect(seen).toEqual(["job of the first", "second"]);
  });
});
