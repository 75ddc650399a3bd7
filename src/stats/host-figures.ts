// What `show info` reads of the host rather than of the proxy: the open-file
// limit in force (Ulimit-n) and the JavaScript heap (the PoolAlloc and
// PoolUsed fields: sluice has no memory pools of its own, the heap is where
// it allocates). Read when asked, never cached.
import process from "node:process";
import type { System } from "../runtime/types.ts";

/** The soft RLIMIT_NOFILE now; 0 where the system cannot be asked (not Linux) or sets no limit. */
export function openFileLimit(system: Pick<System, "fileLimit">): number {
  try {
    const soft = system.fileLimit().soft;
    return Number.isFinite(soft) ? soft : 0;
  } catch {
    return 0;
  }
}

/**
 * The heap reserved and in use, in bytes; 0 when the runtime cannot say. Bun
 * reads the resident size from /proc as well, which a chroot without /proc
 * does not have: the call throws there (measured: `show info` answered
 * nothing in Debian's chroot).
 */
export function heapFigures(): { allocated: number; used: number } {
  try {
    const m = process.memoryUsage();
    return { allocated: m.heapTotal, used: m.heapUsed };
  } catch {
    return { allocated: 0, used: 0 };
  }
}
