// The file limit's rules (src/process/limits.ts) over a stand-in System:
// raise to ulimit-n or to what maxconn needs, never lower, strict-limits,
// and what happens where there is no libc to ask. (The real calls are
// tested in tests/runtime/libc.test.ts; under Bun and Deno the soft limit is
// already at the hard one when sluice starts, so raising is checked here.)
import { describe, expect, test } from "bun:test";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { SystemCallError, UnsupportedSystemError } from "../../../src/runtime/libc-errors.ts";
import type { FileLimit, System } from "../../../src/runtime/types.ts";
import { applyFileLimit, neededFiles, RUNTIME_FDS } from "../../../src/process/limits.ts";

function configWith(global: string) {
  const r = loadConfigTexts([{
    name: "l.cfg",
    text: `global\n${global}\nfrontend f\n    bind 127.0.0.1:1\n    bind 127.0.0.1:2\n    default_backend b\nbackend b\n    server s 127.0.0.1:3 check\n    server t 127.0.0.1:4\n`,
  }]);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.config;
}

/** RLIMIT_NOFILE as a kernel without CAP_SYS_RESOURCE keeps it: the soft limit up to the hard one. */
function limitSystem(start: FileLimit, options: { unsupported?: boolean } = {}) {
  let limit = start;
  const set: FileLimit[] = [];
  const system = {
    fileLimit() {
      if (options.unsupported) throw new UnsupportedSystemError("bun", "libc through FFI", "sluice calls Linux's libc only (this is darwin-arm64)");
      return limit;
    },
    setFileLimit(next: FileLimit) {
      if (next.hard > limit.hard || next.soft > next.hard) throw new SystemCallError("setrlimit", 1, "RLIMIT_NOFILE");
      set.push(next);
      limit = next;
    },
  } as unknown as System;
  return { system, set, now: () => limit };
}

describe("the file limit", () => {
  test("what maxconn needs: 2 per connection, 1 per listener and checked server, and the runtime's own", () => {
    expect(neededFiles(configWith("    maxconn 1000"))).toBe(2 * 1000 + 2 + 1 + RUNTIME_FDS);
  });

  test("ulimit-n above the soft limit and within the hard one: raised", () => {
    const s = limitSystem({ soft: 1024, hard: 20000 });
    const logs: string[] = [];
    expect(applyFileLimit(s.system, configWith("    ulimit-n 5000"), "bun", (l) => logs.push(l))).toEqual({ soft: 5000, hard: 20000 });
    expect(logs).toEqual([]);
  });

  test("never lowered (HAProxy 2.6.12, measured)", () => {
    const s = limitSystem({ soft: 10000, hard: 20000 });
    applyFileLimit(s.system, configWith("    ulimit-n 5000"), "bun", () => {});
    expect(s.set).toEqual([]);
    expect(s.now()).toEqual({ soft: 10000, hard: 20000 });
  });

  test("no ulimit-n: raised to what maxconn needs", () => {
    const s = limitSystem({ soft: 1024, hard: 20000 });
    applyFileLimit(s.system, configWith("    maxconn 3000"), "bun", () => {});
    expect(s.now().soft).toBe(2 * 3000 + 3 + RUNTIME_FDS);
  });

  test("above the hard limit: strict-limits stops, no strict-limits takes the hard limit and warns, maxconn only warns", () => {
    const strict = limitSystem({ soft: 1024, hard: 20000 });
    expect(() => applyFileLimit(strict.system, configWith("    ulimit-n 30000"), "deno", () => {}))
      .toThrow("ulimit-n: cannot raise the file limit to 30000, limit is 20000 (hard 20000; deno)");
    const lax = limitSystem({ soft: 1024, hard: 20000 });
    const logs: string[] = [];
    applyFileLimit(lax.system, configWith("    ulimit-n 30000\n    no strict-limits"), "deno", (l) => logs.push(l));
    expect(lax.now()).toEqual({ soft: 20000, hard: 20000 });
    expect(logs).toEqual(["warning: ulimit-n 30000; the file limit is 20000 (hard 20000)"]);
    const derived = limitSystem({ soft: 1024, hard: 20000 });
    const said: string[] = [];
    applyFileLimit(derived.system, configWith("    maxconn 15000"), "bun", (l) => said.push(l));
    expect(derived.now().soft).toBe(20000);
    expect(said).toEqual([`warning: maxconn 15000 may need ${30000 + 3 + RUNTIME_FDS} files; the file limit is 20000 (hard 20000)`]);
  });

  test("zero-warning: the file-limit warning stops the start instead (HAProxy's zero-warning counts it too)", () => {
    const s = limitSystem({ soft: 1024, hard: 20000 });
    const logs: string[] = [];
    expect(() => applyFileLimit(s.system, configWith("    maxconn 15000\n    zero-warning"), "bun", (l) => logs.push(l)))
      .toThrow(`maxconn 15000 may need ${30000 + 3 + RUNTIME_FDS} files; the file limit is 20000 (hard 20000), and 'zero-warning' is set`);
    expect(logs).toEqual([]);
  });

  test("no libc (not Linux): nothing to do without ulimit-n; ulimit-n is refused naming the keyword and the runtime", () => {
    const s = limitSystem({ soft: 256, hard: 256 }, { unsupported: true });
    expect(() => applyFileLimit(s.system, configWith("    maxconn 100"), "bun", () => {})).not.toThrow();
    expect(() => applyFileLimit(s.system, configWith("    ulimit-n 4096"), "bun", () => {}))
      .toThrow("cannot apply 'ulimit-n 4096' (bun): libc through FFI is not available on bun: sluice calls Linux's libc only (this is darwin-arm64)");
  });
});
