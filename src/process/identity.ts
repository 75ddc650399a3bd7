// `chroot`, `group`/`gid` and `user`/`uid`, applied once the proxy's sockets
// are bound and its files read, in HAProxy's order: chroot (then chdir /),
// supplementary groups dropped and the gid set (only when a group is given:
// HAProxy 2.6 with `user` alone keeps the gid and the groups, measured), the
// uid last. A master keeps its own identity: it re-reads the configuration
// and starts workers at each reload (HAProxy's master does the same); its
// workers apply these.
import type { GlobalConfig } from "../config/types.ts";
import type { System } from "../runtime/types.ts";

/** A process keyword that could not be applied: the keyword, the runtime, and the system's answer. */
export class ProcessKeywordError extends Error {
  constructor(readonly keyword: string, readonly runtime: string, cause: Error) {
    super(`cannot apply '${keyword}' (${runtime}): ${cause.message}`, { cause });
    this.name = "ProcessKeywordError";
  }
}

function apply(keyword: string, runtime: string, step: () => void): void {
  try {
    step();
  } catch (error) {
    throw new ProcessKeywordError(keyword, runtime, error as Error);
  }
}

/** Applies chroot, gid and uid; throws a ProcessKeywordError naming the first that failed. */
export function dropPrivileges(system: System, global: GlobalConfig, runtime: string): void {
  const { chroot, gid, uid } = global;
  if (chroot !== undefined) apply(`chroot ${chroot}`, runtime, () => system.chroot(chroot));
  if (gid !== undefined) {
    apply(`gid ${gid}`, runtime, () => {
      system.setGroups([]);
      system.setGid(gid);
    });
  }
  if (uid !== undefined) apply(`uid ${uid}`, runtime, () => system.setUid(uid));
}

/** True when the configuration asks for any of these. */
export function dropsPrivileges(global: GlobalConfig): boolean {
  return global.chroot !== undefined || global.gid !== undefined || global.uid !== undefined;
}
