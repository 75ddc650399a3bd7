import { describe, expect, test } from "bun:test";
import { parseServerState } from "../../../src/check/server-state-file.ts";
import { serverStateFileOf } from "../../../src/config/schema-server-state.ts";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

// `server-state-file`, `server-state-base` (global), `load-server-state-from-file`
// (defaults, backend, listen) and a backend's `server-state-file`: both
// syntaxes, where each file is found, and the version 1 format read back.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

describe("server-state keywords", () => {
  test("both syntaxes give one Config; load-server-state-from-file comes from defaults", () => {
    const fromCfg = loadOk(cfg(
      "global",
      "    server-state-file global.state",
      "    server-state-base /var/lib/sluice",
      "defaults",
      "    load-server-state-from-file global",
      "backend a",
      "    server a1 127.0.0.1:8080",
      "backend b",
      "    load-server-state-from-file local",
      "    server-state-file b.state",
      "    server b1 127.0.0.1:8080",
    ));
    const fromYaml = loadOk(yaml(
      "global: { server-state-file: global.state, server-state-base: /var/lib/sluice }",
      "defaults: { load-server-state-from-file: global }",
      "backends:",
      "  a: { servers: { a1: 127.0.0.1:8080 } }",
      "  b: { load-server-state-from-file: local, server-state-file: b.state, servers: { b1: 127.0.0.1:8080 } }",
    ));
    expect(withoutOrigins(fromYaml)).toStrictEqual(withoutOrigins(fromCfg));
    const g = fromCfg.global;
    expect([g.serverStateFile, g.serverStateBase]).toEqual(["global.state", "/var/lib/sluice"]);
    expect(fromCfg.backends.map((b) => serverStateFileOf(g, b))).toEqual(["/var/lib/sluice/global.state", "/var/lib/sluice/b.state"]);
  });

  test("where the file is: local defaults to the backend's name; an absolute name ignores the base; none and unset load nothing", () => {
    expect(serverStateFileOf({}, { name: "be", loadServerState: "local" })).toBe("be");
    expect(serverStateFileOf({ serverStateBase: "/s/" }, { name: "be", loadServerState: "local" })).toBe("/s/be");
    expect(serverStateFileOf({ serverStateBase: "/s", serverStateFile: "/abs/f" }, { name: "be", loadServerState: "global" })).toBe("/abs/f");
    expect(serverStateFileOf({ serverStateFile: "f" }, { name: "be", loadServerState: "none" })).toBeUndefined();
    expect(serverStateFileOf({ serverStateFile: "f" }, { name: "be" })).toBeUndefined();
    expect(serverStateFileOf({}, { name: "be", loadServerState: "global" })).toBeUndefined();
  });

  test("wrong values and places are named", () => {
    expect(errorsOf(cfg("backend b", "    load-server-state-from-file always", "    server b1 127.0.0.1:8080"))).toEqual([
      "sluice.cfg:2: backend 'b': invalid load-server-state-from-file 'always' (expected global, local or none)",
    ]);
    expect(errorsOf(cfg("frontend f", "    bind :80", "    load-server-state-from-file global"))[0]).toContain("load-server-state-from-file");
  });
});

describe("the version 1 format", () => {
  test("lines read back; comments and blank lines skipped; a short line and another version are problems", () => {
    const problems: string[] = [];
    const saved = parseServerState(
      "1\n# be_id be_name ...\n2 be 1 s1 127.0.0.9 0 1 5 10 12 8 2 0 6 0 0 0 - 9090 - 0 0 - - 0\n\n2 be 2 s2 -\n",
      problems,
    );
    expect(saved).toEqual([{
      backend: "be", server: "s1", address: "127.0.0.9", op: 0, admin: 1, userWeight: 5, initialWeight: 10,
      sinceChange: 12, checkStatus: 8, checkHealth: 0, checkState: 6, port: 9090,
    }]);
    expect(problems).toEqual(["line 5: expected 19 or more fields, numbers where numbers go"]);
    const other: string[] = [];
    expect(parseServerState("2\n", other)).toEqual([]);
    expect(other).toEqual(["unknown version '2' (expected 1)"]);
  });
});
