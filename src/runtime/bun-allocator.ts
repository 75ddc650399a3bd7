// Bun's allocator, tuned before the proxy starts serving: the process executes
// itself once more (execve: the same pid, arguments and standard streams) with
// the tuning in its environment, since mimalloc reads its options before any
// JavaScript runs. main.ts does it first thing, before the rest of the program
// is loaded: the second start then costs the runtime's start alone.
//
// What is tuned: mimalloc v3 "purges holes" — every 100 ms it gives back to
// the system the free blocks inside pages that still hold live ones. The
// collector frees and reuses such blocks far faster than that, so the same
// memory was faulted in again and again: 22 000–39 000 page faults per 4 s of
// h2c load, 7 000–13 000 without it, and 0.85× the CPU per request (paired,
// five rounds). Pages that empty entirely are still given back after the purge
// delay, so the peak under connection churn stays at 92–96 MiB (never purging
// at all: 96–100 MiB, kept for good). docs/operations.md has the table,
// bench/README.md ("Bun's allocator") the runs.
//
// Not executed again, and so served untuned (docs/operations.md):
// - the environment has MIMALLOC_PURGE_HOLES (an operator's choice, or the second start);
// - it was started with descriptors beyond stderr (`log fd@3`, an inherited
//   socket): Bun's execve closes every descriptor above 2;
// - BUN_OPTIONS is set, or the runtime's flags look wrong (Bun lists
//   BUN_OPTIONS's flags among process.execArgv, and it stays in the
//   environment: they would be given twice);
// - execve is missing or fails.
import { readdirSync, readFileSync } from "node:fs";

/** The option and the value sluice serves with unless the environment sets it. */
export const ALLOCATOR_TUNING = { name: "MIMALLOC_PURGE_HOLES", value: "0" } as const;

export interface ExecProcess {
  argv: string[];
  argv0: string;
  execArgv: string[];
  execPath: string;
  env: Record<string, string | undefined>;
  execve?: (file: string, args: string[], env: Record<string, string | undefined>) => never;
}

/** Running as a compiled binary: Bun.main is the embedded entry point. */
export function isCompiledBun(main: string): boolean {
  return main.startsWith("/$bunfs/") || main.includes("~BUN");
}

/**
 * The arguments that execute the same program again: the runtime's own flags
 * and the script when run from source; a compiled binary's argv[1] is its
 * embedded entry point, not an argument to pass on.
 */
export function reexecArgs(p: Pick<ExecProcess, "argv" | "argv0" | "execArgv">, compiled: boolean): string[] {
  return compiled ? [p.argv0, ...p.argv.slice(2)] : [p.argv0, ...p.execArgv, ...p.argv.slice(1)];
}

const O_CLOEXEC = 0o2000000;

/**
 * The descriptors above stderr this process was started with: those not
 * close-on-exec (the runtime opens its own close-on-exec). Linux's /proc;
 * undefined when they cannot be listed.
 */
export function inheritedDescriptors(): number[] | undefined {
  try {
    const found: number[] = [];
    for (const name of readdirSync("/proc/self/fd")) {
      const fd = Number(name);
      if (!(fd > 2)) continue;
      let info: string;
      try {
        info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
      } catch {
        continue; // the listing's own descriptor, closed since
      }
      const flags = /flags:\s+([0-7]+)/.exec(info);
      if (flags !== null && (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) found.push(fd);
    }
    return found;
  } catch {
    return undefined;
  }
}

/** Why the program is not executed again (see the top of this file), or undefined: it may be. */
export function reasonNotToReexec(p: ExecProcess, inherited: () => number[] | undefined): string | undefined {
  if (p.env[ALLOCATOR_TUNING.name] !== undefined) return `${ALLOCATOR_TUNING.name} is set`;
  if (typeof p.execve !== "function") return "no execve";
  if (p.env.BUN_OPTIONS !== undefined) return "BUN_OPTIONS is set";
  if (p.argv[1] !== undefined && p.execArgv.includes(p.argv[1])) return "the runtime's flags include the script";
  const fds = inherited();
  if (fds === undefined) return "the descriptors cannot be listed";
  if (fds.length > 0) return `started with descriptor${fds.length > 1 ? "s" : ""} ${fds.join(", ")}`;
  return undefined;
}

/**
 * Executes the program again with the tuning unless reasonNotToReexec gives a
 * reason; returns (with the reason) only when it does not.
 */
export function tuneAllocator(p: ExecProcess, compiled: boolean, inherited: () => number[] | undefined = inheritedDescriptors): string {
  const reason = reasonNotToReexec(p, inherited);
  if (reason !== undefined) return reason;
  try {
    p.execve!(p.execPath, reexecArgs(p, compiled), { ...p.env, [ALLOCATOR_TUNING.name]: ALLOCATOR_TUNING.value });
  } catch (e) {
    // Not executable again here (a sandbox, a binary deleted since): untuned, as before.
    return `execve failed: ${(e as Error).message}`;
  }
  return "execve returned";
}
