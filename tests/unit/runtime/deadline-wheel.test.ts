// The wheel that shares timers among sessions' deadlines: each fires when its
// own timer would have, in the order armed, and no timer outlives its entries.
import { describe, expect, test } from "bun:test";
import { type DeadlineEntry, DeadlineWheel } from "../../../src/runtime/deadline-wheel.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

class Entry implements DeadlineEntry {
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineSlot: DeadlineEntry["deadlineSlot"] = undefined;
  constructor(readonly name: string, private readonly onFire: (e: Entry) => void) {}
  deadlineReached(): void {
    this.onFire(this);
  }
}

function world() {
  const clock = new VirtualClock(1000);
  const wheel = new DeadlineWheel(clock);
  const fired: string[] = [];
  const entry = (name: string, then?: (e: Entry) => void) =>
    new Entry(name, (e) => {
      fired.push(`${e.name}@${clock.now()}`);
      then?.(e);
    });
  return { clock, wheel, fired, entry };
}

describe("DeadlineWheel", () => {
  test("entries of one millisecond share one timer and fire in the order armed, at their deadline", async () => {
    const { clock, wheel, fired, entry } = world();
    const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => entry(n));
    wheel.arm(a!, 1010, clock.now());
    wheel.arm(b!, 1010, clock.now());
    wheel.arm(c!, 1005, clock.now());
    wheel.arm(d!, 1010, clock.now());
    expect(wheel.size).toBe(2);
    expect(clock.pendingTimers).toBe(2);
    await clock.advance(4);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(["c@1005"]);
    await clock.advance(5);
    expect(fired).toEqual(["c@1005", "a@1010", "b@1010", "d@1010"]);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect([a, b, c, d].every((e) => e!.deadlineSlot === undefined)).toBe(true);
  });

  test("a fractional deadline fires at the next whole millisecond, never before it", async () => {
    const { clock, wheel, fired, entry } = world();
    wheel.arm(entry("x"), 1002.4, 1000.7);
    await clock.advance(2);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(["x@1003"]);
  });

  test("disarm: from the head, the middle and the tail; the last one out clears the timer", async () => {
    const { clock, wheel, fired, entry } = world();
    const [a, b, c] = ["a", "b", "c"].map((n) => entry(n));
    for (const e of [a, b, c]) wheel.arm(e!, 1010, clock.now());
    wheel.disarm(b!);
    await clock.advance(10);
    expect(fired).toEqual(["a@1010", "c@1010"]);
    for (const e of [a, b, c]) wheel.arm(e!, 1020, clock.now());
    wheel.disarm(a!);
    wheel.disarm(c!);
    wheel.disarm(c!); // harmless twice
    expect(wheel.size).toBe(1);
    wheel.disarm(b!);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(20);
    expect(fired).toEqual(["a@1010", "c@1010"]);
  });

  test("re-arming moves an entry; an earlier deadline fires first", async () => {
    const { clock, wheel, fired, entry } = world();
    const a = entry("a");
    wheel.arm(a, 1050, clock.now());
    wheel.arm(a, 1020, clock.now());
    expect(wheel.size).toBe(1);
    await clock.advance(60);
    expect(fired).toEqual(["a@1020"]);
  });

  test("a handler may disarm a later entry of its slot, or re-arm itself for the same millisecond", async () => {
    const { clock, wheel, fired, entry } = world();
    let again = true;
    const c = entry("c");
    const b = entry("b", () => wheel.disarm(c));
    const a = entry("a", (self) => {
      if (again) wheel.arm(self, clock.now(), clock.now());
      again = false;
    });
    for (const e of [a, b, c]) wheel.arm(e, 1010, clock.now());
    await clock.advance(10);
    expect(fired).toEqual(["a@1010", "b@1010"]);
    await clock.advance(1);
    expect(fired).toEqual(["a@1010", "b@1010", "a@1011"]);
    expect(wheel.size).toBe(0);
  });

  test("a handler that throws does not keep the others of its slot from firing; its error comes out", async () => {
    const { clock, wheel, fired, entry } = world();
    const boom = entry("boom", () => {
      throw new Error("boom");
    });
    const after = entry("after");
    wheel.arm(boom, 1001, clock.now());
    wheel.arm(after, 1001, clock.now());
    await expect(clock.advance(1)).rejects.toThrow("boom");
    expect(fired).toEqual(["boom@1001", "after@1001"]);
  });
});
