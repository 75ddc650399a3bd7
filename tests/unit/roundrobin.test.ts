import { describe, expect, test } from "bun:test";
import { pickSmoothWeighted } from "../../src/balance/roundrobin.ts";

type T = { name: string; weight: number; rrCurrent: number; up: boolean };
const make = (spec: [string, number][]): T[] => spec.map(([name, weight]) => ({ name, weight, rrCurrent: 0, up: true }));
const seq = (ts: T[], n: number) =>
  Array.from({ length: n }, () => pickSmoothWeighted(ts, (t) => t.up)?.name ?? "-").join("");

describe("smooth weighted round-robin", () => {
  test("equal weights rotate", () => {
    expect(seq(make([["a", 1], ["b", 1], ["c", 1]]), 6)).toBe("abcabc");
  });
  test("weights 3:1 interleave, never bursts of the heavy one beyond its share", () => {
    expect(seq(make([["a", 3], ["b", 1]]), 8)).toBe("aabaaaba");
    const s = seq(make([["a", 3], ["b", 1]]), 400);
    expect([...s].filter((c) => c === "a").length).toBe(300);
    expect(s).not.toContain("aaaa");
  });
  test("weights 5:1:1 give nginx's sequence", () => {
    expect(seq(make([["a", 5], ["b", 1], ["c", 1]]), 7)).toBe("aabacaa");
  });
  test("weight 0 is never picked; ineligible targets are skipped", () => {
    const ts = make([["a", 1], ["b", 0], ["c", 1]]);
    ts[2]!.up = false;
    expect(seq(ts, 4)).toBe("aaaa");
  });
  test("nothing eligible gives undefined", () => {
    const ts = make([["a", 1]]);
    ts[0]!.up = false;
    expect(pickSmoothWeighted(ts, (t) => t.up)).toBeUndefined();
  });
  test("ratios hold for many weights", () => {
    const ts = make([["a", 7], ["b", 2], ["c", 1]]);
    const s = seq(ts, 1000);
    expect([...s].filter((c) => c === "a").length).toBe(700);
    expect([...s].filter((c) => c === "b").length).toBe(200);
    expect([...s].filter((c) => c === "c").length).toBe(100);
  });
});
