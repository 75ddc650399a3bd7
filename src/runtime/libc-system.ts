// The part of System both adapters make the same way: the calls that go
// through libc (libc.ts: datagrams, ids, chroot, file limit, a new session)
// and the service manager's notify socket (sd-notify.ts). Only the FFI below
// (libc-bun.ts, libc-deno.ts) differs between the runtimes.
import { type LibcCalls, LibcSystem } from "./libc.ts";
import { ServiceNotifier } from "./sd-notify.ts";
import type { System } from "./types.ts";

export type LibcSystemCalls = Pick<
  System,
  | "openUnixDatagram" | "setGroups" | "setGid" | "setUid" | "chroot" | "fileLimit" | "setFileLimit"
  | "newSession" | "setCpuAffinity" | "devNullStdio" | "notifyServiceManager" | "connectServiceManager"
>;

/** `load` opens libc on first use (the FFI costs nothing until a call needs it). */
export function libcSystemCalls(load: () => LibcCalls, pid: number, env: (name: string) => string | undefined): LibcSystemCalls {
  const libc = new LibcSystem(load);
  const notifier = new ServiceNotifier({
    pid,
    env,
    connectUnixDatagram: (path) => libc.connectUnixDatagram(path),
    monotonicMicros: () => libc.monotonicMicros(),
  });
  return {
    openUnixDatagram: (path) => libc.openUnixDatagram(path),
    setGroups: (gids) => libc.setGroups(gids),
    setGid: (gid) => libc.setGid(gid),
    setUid: (uid) => libc.setUid(uid),
    chroot: (dir) => libc.chroot(dir),
    fileLimit: () => libc.fileLimit(),
    setFileLimit: (limit) => libc.setFileLimit(limit),
    newSession: () => libc.newSession(),
    setCpuAffinity: (cpus) => libc.setCpuAffinity(cpus),
    devNullStdio: () => libc.devNullStdio(),
    notifyServiceManager: (state) => notifier.notify(state),
    connectServiceManager: () => notifier.connect(),
  };
}
