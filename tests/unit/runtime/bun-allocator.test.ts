// How sluice executes itself again with its allocator tuned: the arguments
// from source and from a compiled binary, the environment it passes, and when
// it does not (the variable set already, inherited descriptors, BUN_OPTIONS,
// odd runtime flags, no execve, execve failing). The real processes are in
// tests/e2e/allocator-tuning.test.ts.
import { describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { ALLOCATOR_TUNING, type ExecProcess, inheritedDescriptors, isCompiledBun, reexecArgs, tuneAllocator } from "../../../src/runtime/bun-allocator.ts";

interface Call { file: string; args: string[]; env: Record<string, string | undefined> }

function fakeProcess(over: Partial<ExecProcess> = {}): { p: ExecProcess; calls: Call[] } {
  const calls: Call[] = [];
  const p: ExecProcess = {
    argv: ["/usr/bin/bun", "/srv/sluice/src/main.ts", "-f", "/etc/sluice.cfg"],
    argv0: "bun",
    execArgv: ["--smol"],
    execPath: "/usr/bin/bun",
    env: { PATH: "/usr/bin", NOTIFY_SOCKET: "/run/notify" },
    execve: ((file: string, args: string[], env: Record<string, string | undefined>) => {
      calls.push({ file, args, env });
      // The real one never returns; the fake returns so that the test can look.
    }) as unknown as ExecProcess["execve"],
    ...over,
  };
  return { p, calls };
}

describe("reexecArgs", () => {
  test("from source: argv0, the runtime's flags, the script and its arguments", () => {
    const { p } = fakeProcess();
    expect(reexecArgs(p, false)).toEqual(["bun", "--smol", "/srv/sluice/src/main.ts", "-f", "/etc/sluice.cfg"]);
  });

  test("a compiled binary: argv0 and the arguments, without the embedded entry point", () => {
    const { p } = fakeProcess({ argv: ["bun", "/$bunfs/root/sluice", "-W", "-f", "a.cfg"], argv0: "./sluice", execArgv: [] });
    expect(reexecArgs(p, true)).toEqual(["./sluice", "-W", "-f", "a.cfg"]);
  });

  test("a compiled binary is told by its entry point", () => {
    expect(isCompiledBun("/$bunfs/root/sluice")).toBe(true);
    expect(isCompiledBun("B:/~BUN/root/sluice.exe")).toBe(true);
    expect(isCompiledBun("/srv/sluice/src/main.ts")).toBe(false);
  });
});

describe("tuneAllocator", () => {
  test("executes the same program with the tuning added to the whole environment", () => {
    const { p, calls } = fakeProcess();
    expect(tuneAllocator(p, false, () => [])).toBe("execve returned");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.file).toBe("/usr/bin/bun");
    expect(calls[0]!.args).toEqual(["bun", "--smol", "/srv/sluice/src/main.ts", "-f", "/etc/sluice.cfg"]);
    expect(calls[0]!.env).toEqual({ PATH: "/usr/bin", NOTIFY_SOCKET: "/run/notify", [ALLOCATOR_TUNING.name]: ALLOCATOR_TUNING.value });
    expect(ALLOCATOR_TUNING).toEqual({ name: "MIMALLOC_PURGE_HOLES", value: "0" });
  });

  test("an environment that has the variable (the second start, or an operator's choice) is left alone", () => {
    for (const value of ["0", "1", ""]) {
      const { p, calls } = fakeProcess({ env: { [ALLOCATOR_TUNING.name]: value } });
      expect(tuneAllocator(p, false, () => [])).toBe("MIMALLOC_PURGE_HOLES is set");
      expect(calls).toHaveLength(0);
    }
  });

  test("without execve, or when it fails, the process goes on untuned", () => {
    const none = fakeProcess({ execve: undefined });
    expect(tuneAllocator(none.p, false, () => [])).toBe("no execve");
    const failing = fakeProcess({
      execve: (() => {
        throw Object.assign(new Error("EACCES"), { code: "EACCES" });
      }) as unknown as ExecProcess["execve"],
    });
    expect(tuneAllocator(failing.p, true, () => [])).toBe("execve failed: EACCES");
  });

  test("descriptors beyond stderr (execve would close them), or none listed: not executed again", () => {
    const a = fakeProcess();
    expect(tuneAllocator(a.p, false, () => [3])).toBe("started with descriptor 3");
    expect(tuneAllocator(a.p, false, () => [3, 7])).toBe("started with descriptors 3, 7");
    expect(tuneAllocator(a.p, false, () => undefined)).toBe("the descriptors cannot be listed");
    expect(a.calls).toHaveLength(0);
  });

  test("BUN_OPTIONS (its flags are in execArgv already) or runtime flags that hold the script: not executed again", () => {
    const opts = fakeProcess({ env: { BUN_OPTIONS: "--smol" }, execArgv: ["--smol"] });
    expect(tuneAllocator(opts.p, false, () => [])).toBe("BUN_OPTIONS is set");
    const odd = fakeProcess({ execArgv: ["--inspect", "/srv/sluice/src/main.ts", "-f", "/etc/sluice.cfg"] });
    expect(tuneAllocator(odd.p, false, () => [])).toBe("the runtime's flags include the script");
    expect([...opts.calls, ...odd.calls]).toHaveLength(0);
  });
});

describe("inheritedDescriptors", () => {
  test("one opened close-on-exec (as node:fs and the runtime open theirs) is not listed (an inherited one is: tests/e2e/allocator-tuning)", () => {
    const before = inheritedDescriptors();
    expect(before).toBeDefined();
    // node:fs opens with O_CLOEXEC: the same as the runtime's own, not listed.
    const fd = openSync("/dev/null", "r");
    try {
      expect(inheritedDescriptors()).toEqual(before!);
    } finally {
      closeSync(fd);
    }
  });
});
