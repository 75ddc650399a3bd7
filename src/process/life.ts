// The process keywords over a process's life, for app.ts: before anything
// binds (daemon, setsid, the file limit, the pidfile opened, systemd's socket
// connected, the CPUs pinned), once bound (chroot, gid, uid: not in a master), once serving
// (pidfile written, the daemon's parent released) and once stopped (a
// master's pidfile removed).
import type { GlobalConfig } from "../config/types.ts";
import type { Config } from "../config/types.ts";
import { workerCpus } from "../config/cpu-map.ts";
import type { HostRuntime } from "../runtime/types.ts";
import { DAEMON_SOCKET_ENV, DaemonChild, detach, PidFile } from "./daemon.ts";
import { dropPrivileges } from "./identity.ts";
import { applyFileLimit } from "./limits.ts";

export type Role = "single" | "master" | "worker";

/** What the command line adds to the global section (`-D`, `-p`). */
export interface ProcessFlags {
  daemon?: boolean;
  pidfile?: string;
}

export interface ProcessLife {
  /** Sockets bound, files read: chroot and the identity change (workers and a single process). */
  bound(): void;
  /** Serving: the pidfile gets the pid, a daemon lets its parent go and drops its terminal. */
  ready(): void;
  /** Stopped: a master removes its pidfile. */
  stopped(): void;
}

export type Begin = { exit: number } | { life: ProcessLife };

/**
 * Before anything binds. A daemon's parent gets `{ exit }` once the daemon
 * serves (or failed); everyone else gets the hooks for the rest of its life.
 */
export async function beginProcess(
  runtime: HostRuntime,
  config: Config,
  flags: ProcessFlags,
  role: Role,
  log: (line: string) => void,
  /** A worker's number (its master says it); a single process is worker 1. */
  worker = 1,
): Promise<Begin> {
  const global: GlobalConfig = config.global;
  const daemon = flags.daemon === true || global.daemon === true;
  const daemonSocket = runtime.env(DAEMON_SOCKET_ENV);
  if (role !== "worker" && daemon && daemonSocket === undefined) return { exit: await detach(runtime) };
  let daemonChild: DaemonChild | undefined;
  if (role !== "worker" && daemonSocket !== undefined) {
    try {
      daemonChild = await DaemonChild.enter(runtime, daemonSocket);
    } catch (error) {
      log(`sluice: cannot start: daemon (${runtime.name}): ${(error as Error).message}`);
      return { exit: 1 };
    }
  }
  if (role !== "master") pinCpus(runtime, config, worker, log);
  try {
    applyFileLimit(runtime, config, runtime.name, log);
  } catch (error) {
    log(`sluice: cannot start: ${(error as Error).message}`);
    return { exit: 1 };
  }
  const pidPath = flags.pidfile ?? global.pidfile;
  let pidfile: PidFile | undefined;
  if (pidPath !== undefined && role !== "worker") {
    if (daemon || role === "master") {
      try {
        pidfile = new PidFile(pidPath);
      } catch (error) {
        log(`sluice: cannot start: cannot create pidfile ${pidPath} (${(error as Error).message})`);
        return { exit: 1 };
      }
    } else {
      log(`pidfile ${pidPath}: written in daemon or master-worker mode only (as HAProxy); not written`);
    }
  }
  // A daemon master's workers leave the terminal too, once ready (/dev/null opened before their chroot).
  const quietWorker = role === "worker" && (daemon || daemonSocket !== undefined) ? runtime.devNullStdio() : undefined;
  if (role !== "worker") {
    try {
      runtime.connectServiceManager();
    } catch (error) {
      log(`warning: cannot notify systemd: ${(error as Error).message}`);
    }
  }
  return {
    life: {
      bound() {
        if (role !== "master") dropPrivileges(runtime, global, runtime.name);
      },
      ready() {
        pidfile?.write(runtime.pid);
        if (daemonChild !== undefined) daemonChild.ready();
        else quietWorker?.();
      },
      stopped() {
        if (role === "master") pidfile?.remove();
      },
    },
  };
}

/**
 * `cpu-map`: worker `worker` (HAProxy's thread of that number; a single
 * process is worker 1) runs on its CPUs from now on. A master is not pinned,
 * as HAProxy's is not. A set the system refuses (no such CPU online, a
 * cgroup's cpuset without them) leaves the process where it was, with a
 * warning: HAProxy ignores the failure silently.
 */
function pinCpus(runtime: HostRuntime, config: Config, worker: number, log: (line: string) => void): void {
  const cpus = workerCpus(config.global.cpuMap, worker);
  if (cpus === undefined) return;
  try {
    runtime.setCpuAffinity(cpus);
  } catch (error) {
    log(`warning: cpu-map: worker ${worker} not pinned to CPUs ${cpus.join(",")}: ${(error as Error).message}`);
  }
}
