// `rate-limit sessions N` (defaults, frontend, listen) in both syntaxes, and
// HAProxy 2.6's messages for what it refuses.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

describe("rate-limit sessions", () => {
  test("a frontend's own, its defaults', a listen's; 0 is none", () => {
    const c = loadOk(
      cfg(
        "defaults",
        "    mode http",
        "    rate-limit sessions 20",
        "frontend a",
        "    bind :8001",
        "frontend b",
        "    bind :8002",
        "    rate-limit sessions 5",
        "frontend c",
        "    bind :8003",
        "    rate-limit sessions 0",
        "listen d",
        "    bind :8004",
        "    rate-limit sessions 7",
        "    server s 127.0.0.1:1",
      ),
    );
    expect(c.frontends.map((f) => [f.name, f.rateLimitSessions])).toEqual([["a", 20], ["b", 5], ["c", undefined], ["d", 7]]);
  });

  test("YAML: the same words, or { sessions: N }", () => {
    for (const value of ['"sessions 9"', "{ sessions: 9 }"]) {
      const c = loadOk(yaml("frontends:", "  f:", "    bind: ':8080'", `    rate-limit: ${value}`));
      expect(c.frontends[0]!.rateLimitSessions).toBe(9);
    }
  });

  test("errors", () => {
    const bad = (line: string) => errorsOf(cfg("frontend f", "    bind :8080", line));
    expect(bad("    rate-limit foo 5")).toEqual(["sluice.cfg:3: frontend 'f': 'rate-limit' only supports 'sessions' (got 'foo')"]);
    expect(bad("    rate-limit sessions")).toEqual(["sluice.cfg:3: frontend 'f': 'rate-limit sessions' expects an integer value (in sessions/second)"]);
    expect(bad("    rate-limit sessions x")).toEqual(["sluice.cfg:3: frontend 'f': 'rate-limit sessions' expects an integer value (in sessions/second), got 'x'"]);
    expect(errorsOf(cfg("backend b", "    rate-limit sessions 5", "    server s 127.0.0.1:1"))).toEqual([
      "sluice.cfg:2: backend 'b': 'rate-limit' is not allowed in a backend section",
    ]);
  });
});

describe("maxconnrate and maxsessrate (global)", () => {
  test("read; 0 is none", () => {
    const c = loadOk(cfg("global", "    maxconnrate 100", "    maxsessrate 0", "defaults", "    mode http"));
    expect([c.global.maxConnRate, c.global.maxSessRate]).toEqual([100, undefined]);
  });

  test("errors", () => {
    expect(errorsOf(cfg("global", "    maxsessrate 10 20"))).toEqual(["sluice.cfg:2: global: too many arguments for 'maxsessrate': '20' (usage: maxsessrate <number>)"]);
    expect(errorsOf(cfg("global", "    maxconnrate x"))).toEqual(["sluice.cfg:2: global: invalid maxconnrate 'x' (expected an integer, at least 0)"]);
  });
});
