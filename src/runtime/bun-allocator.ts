// Bun's allocator, tuned before the proxy starts serving: the process executes
// itself once more (execve: the same pid, arguments and descriptors) with the
// tuning in its environment, since mimalloc reads its options before any
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
// An operator's own MIMALLOC_PURGE_HOLES (1: Bun's default) is left alone, and
// so is a failure to execute (the process then serves untuned).

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

/** Executes the program again with the tuning unless the environment has it already; returns only when it does not. */
export function tuneAllocator(p: ExecProcess, compiled: boolean): void {
  if (p.env[ALLOCATOR_TUNING.name] !== undefined || typeof p.execve !== "function") return;
  try {
    p.execve(p.execPath, reexecArgs(p, compiled), { ...p.env, [ALLOCATOR_TUNING.name]: ALLOCATOR_TUNING.value });
  } catch {
    // Not executable again here (a sandbox, a binary deleted since): untuned, as before.
  }
}
