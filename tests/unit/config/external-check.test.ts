import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

// `external-check` and `insecure-fork-wanted` in global, `option
// external-check` with `external-check command|path` in defaults, backend
// and listen: HAProxy 2.6's rules and messages (checked with haproxy -c),
// in both syntaxes.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

describe("external-check", () => {
  test("the check kind with its command and path; defaults pass them on; a listen's first bind is the proxy's address", () => {
    const c = loadOk(cfg(
      "global",
      "    external-check",
      "    insecure-fork-wanted",
      "defaults",
      "    mode tcp",
      "    external-check path /usr/bin:/bin",
      "backend b",
      "    option external-check",
      "    external-check command /usr/local/bin/check.sh",
      "    server s 127.0.0.1:3306 check",
      "listen l",
      "    bind 127.0.0.1:3307",
      "    option external-check",
      "    external-check command check.sh",
      "    external-check path /opt/checks",
      "    server s 127.0.0.1:3306 check",
    ));
    expect(c.global.externalCheck).toBe(true);
    expect(c.global.insecureForkWanted).toBe(true);
    expect(c.backends.map((b) => b.healthCheck)).toEqual([
      { kind: "external", command: "/usr/local/bin/check.sh", path: "/usr/bin:/bin" },
      { kind: "external", command: "check.sh", path: "/opt/checks", proxyAddress: { host: "127.0.0.1", port: 3307 } },
    ]);
  });

  test("YAML twin: the same keywords", () => {
    const y = loadOk(yaml(
      "global: { external-check: true, insecure-fork-wanted: true }",
      "defaults: { mode: tcp, external-check: { path: /usr/bin:/bin } }",
      "backends:",
      "  b:",
      "    option: [external-check]",
      "    external-check: { command: /usr/local/bin/check.sh }",
      "    servers: [{ name: s, address: 127.0.0.1:3306, check: true }]",
    ));
    const c = loadOk(cfg(
      "global",
      "    external-check",
      "    insecure-fork-wanted",
      "defaults",
      "    mode tcp",
      "    external-check path /usr/bin:/bin",
      "backend b",
      "    option external-check",
      "    external-check command /usr/local/bin/check.sh",
      "    server s 127.0.0.1:3306 check",
    ));
    expect(withoutOrigins(y.backends)).toEqual(withoutOrigins(c.backends));
    expect(y.global.externalCheck).toBe(true);
  });

  test("HAProxy's refusals: no global external-check, no command, a word other than command or path, a missing argument", () => {
    expect(errorsOf(cfg(
      "backend b",
      "    option external-check",
      "    external-check command /bin/true",
      "    server s 127.0.0.1:1 check",
    ))).toEqual(["sluice.cfg:1: backend 'b': 'option external-check' unable to find required 'global.external-check'"]);
    expect(errorsOf(cfg(
      "global",
      "    external-check",
      "backend b",
      "    option external-check",
      "    server s 127.0.0.1:1 check",
    ))).toEqual(["sluice.cfg:4: backend 'b': 'option external-check' unable to find required 'external-check command'"]);
    expect(errorsOf(cfg("backend b", "    external-check bogus x"))).toEqual([
      "sluice.cfg:2: backend 'b': 'external-check' only supports 'command' and 'path', but got 'bogus'",
    ]);
    expect(errorsOf(cfg("backend b", "    external-check command"))).toEqual([
      "sluice.cfg:2: backend 'b': missing argument after 'command' (usage: external-check command <command>)",
    ]);
    expect(errorsOf(cfg("global", "    external-check preserve-env"))).toEqual([
      "sluice.cfg:2: global: 'external-check' cannot handle unexpected argument 'preserve-env' (usage: external-check)",
    ]);
    expect(errorsOf(cfg("frontend f", "    bind :8080", "    option external-check"))).toEqual([
      "sluice.cfg:3: frontend 'f': 'option external-check' is not allowed in a frontend section",
    ]);
  });

  test("without insecure-fork-wanted: HAProxy's warning", () => {
    expect(warningsOf(cfg(
      "global",
      "    external-check",
      "backend b",
      "    option external-check",
      "    external-check command /bin/true",
      "    server s 127.0.0.1:1 check",
    ))).toContain("sluice.cfg:3: backend 'b': 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail");
  });
});
