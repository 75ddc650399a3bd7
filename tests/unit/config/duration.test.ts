import { describe, expect, test } from "bun:test";
import { MAX_DURATION_MS, parseDuration } from "../../../src/config/duration.ts";

describe("parseDuration", () => {
  test.each(
    [
      ["0", 0],
      ["250", 250],
      [250, 250],
      ["1500us", 2],
      ["1000us", 1],
      ["10ms", 10],
      ["5s", 5000],
      ["2m", 120_000],
      ["1h", 3_600_000],
      ["1d", 86_400_000],
      [" 5s ", 5000],
    ] as const,
  )("%p → %p ms", (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, ms });
  });

  test.each(["5x", "", "s", "-5s", "1.5s", "5 s", "5S", "5sec", "0x10"])("rejects %p", (input) => {
    expect(parseDuration(input)).toEqual({
      ok: false,
      error: `invalid time '${input}' (expected a number with unit us, ms, s, m, h or d)`,
    });
  });

  test("rejects negative and fractional numbers", () => {
    expect(parseDuration(-1)).toEqual({
      ok: false,
      error: "invalid time '-1' (expected a number with unit us, ms, s, m, h or d)",
    });
    expect(parseDuration(1.5).ok).toBe(false);
  });

  test("rejects times beyond a 32-bit timer", () => {
    expect(parseDuration(MAX_DURATION_MS)).toEqual({ ok: true, ms: MAX_DURATION_MS });
    expect(parseDuration("25d")).toEqual({
      ok: false,
      error: "time '25d' is too large (at most 2147483647ms, about 24.8 days)",
    });
  });
});
