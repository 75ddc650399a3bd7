// global setenv / presetenv / unsetenv / resetenv (config/schema-env.ts): the
// environment later lines expand from, and the changes the proxy runs with.
import { describe, expect, test } from "bun:test";
import { parseCfg } from "../../../src/config/cfg.ts";
import { withChanges } from "../../../src/config/schema-env.ts";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

describe("environment keywords", () => {
  test("later lines expand from the changed environment; the changes are kept for the proxy", () => {
    const text = lines("global", "    setenv PORT 8080", "    presetenv HOME /elsewhere", "    unsetenv GONE", "frontend f", '    bind "127.0.0.1:${PORT}"', "    default_backend b", "backend b", '    server s "${HOST-127.0.0.9}:${PORT}"');
    const r = parseCfg("sluice.cfg", text, { HOME: "/home/me", GONE: "x" });
    expect(r.errors).toEqual([]);
    const fe = r.segments[0]!.doc.frontends as Record<string, { bind: unknown[] }>;
    expect(fe.f!.bind).toEqual(["127.0.0.1:8080"]);
    const c = loadOk(cfg(...text.split("\n")));
    expect(c.global.environment).toEqual({ PORT: "8080", GONE: null });
    expect(withChanges({ HOME: "/home/me", GONE: "x", KEEP: "k" }, c.global.environment)).toEqual({ HOME: "/home/me", KEEP: "k", PORT: "8080" });
  });

  test("resetenv keeps only the names it lists", () => {
    const r = parseCfg("sluice.cfg", lines("global", "    resetenv PATH", "    setenv A 1"), { PATH: "/bin", SECRET: "s", OTHER: "o" });
    expect(r.errors).toEqual([]);
    expect(r.segments[0]!.doc.global).toMatchObject({ environment: { SECRET: null, OTHER: null, A: "1" } });
  });

  test("YAML: environment as a mapping, null to unset", () => {
    expect(loadOk(yaml("global:", "  environment:", "    A: one", "    B: null")).global.environment).toEqual({ A: "one", B: null });
  });

  test.each([
    [["frontend f", "    setenv A 1"], "sluice.cfg:2: frontend 'f': 'setenv' is only allowed in a global section"],
    [["global", "    setenv A"], "sluice.cfg:2: global: 'setenv' expects a name and a value (usage: setenv <name> <value>)"],
    [["global", "    unsetenv"], "sluice.cfg:2: global: 'unsetenv' expects at least one name (usage: unsetenv <name>...)"],
  ])("error: %#", (text, message) => {
    expect(errorsOf(cfg(...text))).toContain(message);
  });
});
