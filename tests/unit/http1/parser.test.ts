import { describe, expect, test } from "bun:test";
import { invalid, valid } from "./corpus.ts";
import { bytes, type Case, drive, splits } from "./harness.ts";

function check(c: Case): void {
  const input = bytes(c.input);
  for (const inside of [false, true]) {
    const whole = drive(c, [input.slice()], inside);
    expect(whole.short).toEqual(c.expect);
    let runs = 0;
    for (const { label, pieces } of splits(input)) {
      runs++;
      const r = drive(c, pieces, inside);
      if (r.full.join("\n") !== whole.full.join("\n")) {
        // a readable failure naming the split
        expect({ label, inside, events: r.full }).toEqual({ label, inside, events: whole.full });
      }
    }
    expect(runs).toBeGreaterThan(input.length);
  }
}

describe("valid messages: same events whatever the splits", () => {
  for (const c of valid) test(`${c.side}: ${c.name}`, () => check(c));
});

describe("invalid messages: refused with the right code whatever the splits", () => {
  for (const c of invalid) test(`${c.side}: ${c.name}`, () => check(c));
});
