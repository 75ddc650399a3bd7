// `ulimit-n` and the file limit HAProxy derives when it is absent. Measured on
// HAProxy 2.6.12: the soft RLIMIT_NOFILE is raised to `ulimit-n` (or to what
// maxconn needs) when below it and never lowered; the hard limit is raised
// with it when needed (root with CAP_SYS_RESOURCE only). `ulimit-n` that
// cannot be reached stops the start under `strict-limits` (HAProxy 2.6's
// default), else warns and takes the hard limit. The derived figure is a
// target, not a demand: sluice always has a maxconn (4096 by default) where
// HAProxy without one derives maxconn from the limit, so falling short of it
// warns and never stops a start.
import type { Config } from "../config/types.ts";
import { UnsupportedSystemError } from "../runtime/libc-errors.ts";
import type { FileLimit, System } from "../runtime/types.ts";

/** Descriptors the runtime holds for itself (measured idle: Bun 8, Deno 25), with room. */
export const RUNTIME_FDS = 64;

/**
 * What maxconn needs, as HAProxy counts it: two descriptors per connection
 * (client and server), one per listener and per health-checked server, plus
 * the runtime's own.
 */
export function neededFiles(config: Config): number {
  const listeners = config.frontends.reduce((n, f) => n + f.binds.length, 0) +
    (config.stats?.length ?? 0) + (config.global.statsSockets?.length ?? 0);
  const checked = config.backends.reduce((n, b) => n + b.servers.filter((s) => s.check !== undefined).length, 0);
  return 2 * config.global.maxconn + listeners + checked + RUNTIME_FDS;
}

export class FileLimitError extends Error {
  constructor(readonly wanted: number, readonly limit: FileLimit, readonly runtime: string) {
    super(`ulimit-n: cannot raise the file limit to ${wanted}, limit is ${limit.soft} (hard ${limit.hard}; ${runtime})`);
    this.name = "FileLimitError";
  }
}

/**
 * Raises RLIMIT_NOFILE for this configuration. Throws a FileLimitError when
 * `ulimit-n` cannot be reached under strict-limits; otherwise logs what it
 * could not do. Returns the limit in force.
 */
export function applyFileLimit(system: System, config: Config, runtime: string, log: (line: string) => void): FileLimit {
  const explicit = config.global.ulimitN;
  const wanted = explicit ?? neededFiles(config);
  let now: FileLimit;
  try {
    now = system.fileLimit();
  } catch (error) {
    // No libc to ask (not Linux): what maxconn needs is left to the system; ulimit-n is refused.
    if (explicit === undefined && error instanceof UnsupportedSystemError) return { soft: Infinity, hard: Infinity };
    throw new Error(`cannot apply 'ulimit-n ${wanted}' (${runtime}): ${(error as Error).message}`);
  }
  if (now.soft >= wanted) return now;
  try {
    system.setFileLimit({ soft: wanted, hard: Math.max(now.hard, wanted) });
    return system.fileLimit();
  } catch {
    // Not allowed above the hard limit: as far as it goes.
  }
  const reached = { soft: Math.max(now.soft, Math.min(now.hard, wanted)), hard: now.hard };
  if (explicit !== undefined && config.global.strictLimits) throw new FileLimitError(wanted, reached, runtime);
  if (reached.soft > now.soft) system.setFileLimit(reached);
  const what = explicit !== undefined ? `ulimit-n ${explicit}` : `maxconn ${config.global.maxconn} may need ${wanted} files`;
  const warning = `${what}; the file limit is ${reached.soft} (hard ${reached.hard})`;
  // zero-warning: a warning at start stops it too, as HAProxy's FD-limit warning does.
  if (config.global.zeroWarning === true) throw new Error(`${warning}, and 'zero-warning' is set`);
  log(`warning: ${warning}`);
  return system.fileLimit();
}
