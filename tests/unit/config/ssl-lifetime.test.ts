// `tune.ssl.lifetime` (global): seconds unless a unit is given; 0 leaves the
// TLS library's; every TLS bind carries it to its listener.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });

describe("tune.ssl.lifetime", () => {
  test("seconds, or a time with its unit; 0 is the library's", () => {
    for (const [value, sec] of [["600", 600], ["10m", 600], ["1500ms", 2], ["0", undefined]] as const) {
      expect(loadOk(cfg("global", `    tune.ssl.lifetime ${value}`)).global.sslLifetimeSec).toBe(sec);
    }
  });

  test("a bad time", () => {
    expect(errorsOf(cfg("global", "    tune.ssl.lifetime soon"))).toEqual([
      "sluice.cfg:2: global: 'tune.ssl.lifetime' expects a time (seconds unless a unit is given, e.g. 300 or 5m), got 'soon'",
    ]);
  });
});
