// `daemon` (or `sluice -D`) and `pidfile` (or `-p`), as HAProxy does them
// without fork(), which neither runtime offers: the command listens on a unix
// socket of its own, starts itself again with DAEMON_SOCKET_ENV naming that
// socket, and waits. The child opens a new session (setsid: no controlling
// terminal, out of the shell's process group), connects to the socket before
// anything else (a chroot or a new uid later cannot stop it telling), and
// starts as usual (under -W: the master, which starts its workers). Once it
// serves it writes the pidfile, says "ready" on the socket (HAProxy writes to
// a pipe) and points its stdin, stdout and stderr at /dev/null. The command
// then exits 0; if the child exits first, the command exits with its code
// (its errors went to the terminal they shared until then).
//
// The pidfile (measured on HAProxy 2.6.12): written in daemon mode (the
// daemon's pid) and in master-worker mode (the master's pid), not by a
// single process in the foreground; removed when a master stops, left by a
// daemon. It is opened before chroot and the privilege drop, so its
// directory need not be reachable or writable afterwards.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostRuntime, Socket } from "../runtime/types.ts";

/** Set in the detached child: the socket of the command that waits for it. */
export const DAEMON_SOCKET_ENV = "SLUICE_DAEMON_SOCKET";
const READY = "ready\n";

/** The waiting side: starts the daemon and resolves with this command's exit code. */
export async function detach(runtime: HostRuntime): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-daemon-"));
  const path = join(dir, "ready.sock");
  let told = "";
  let ready!: () => void;
  const readiness = new Promise<number>((resolve) => (ready = () => resolve(0)));
  const listener = await runtime.listenUnix(path, (socket) => {
    socket.events = {
      data(chunk) {
        told += new TextDecoder().decode(chunk);
        if (told.includes(READY)) ready();
      },
      drain() {},
      end() {
        socket.end();
      },
      close() {},
    };
  });
  const child = runtime.spawnSelf({ args: runtime.args(), env: { [DAEMON_SOCKET_ENV]: path } });
  const failed = child.exited.then(({ code }) => (code === null || code === 0 ? 1 : code));
  const code = await Promise.race([readiness, failed]);
  listener.close();
  rmSync(dir, { recursive: true, force: true });
  return code;
}

/** The daemon's side of the readiness socket, joined before anything binds. */
export class DaemonChild {
  private constructor(readonly socket: Socket, readonly quiet: () => void) {}

  /** Leaves the terminal's session and connects to the waiting command. */
  static async enter(runtime: HostRuntime, path: string): Promise<DaemonChild> {
    runtime.newSession();
    const socket = await runtime.connectUnix(path, { data() {}, drain() {}, end() {}, close() {} });
    return new DaemonChild(socket, runtime.devNullStdio());
  }

  /** Serving: releases the waiting command and drops the terminal. */
  ready(): void {
    this.socket.write(new TextEncoder().encode(READY));
    this.socket.end();
    this.quiet();
  }
}

/** A pidfile opened early (before chroot and the privilege drop), written once serving. */
export class PidFile {
  #fd: number | undefined;
  #pid = 0;
  constructor(readonly path: string) {
    this.#fd = openSync(path, "w", 0o644);
  }

  write(pid: number): void {
    if (this.#fd === undefined) return;
    this.#pid = pid;
    writeSync(this.#fd, `${pid}\n`);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Removes the file if it still names this process (a newer instance may own it now). */
  remove(): void {
    try {
      if (readFileSync(this.path, "utf8").trim() === String(this.#pid)) unlinkSync(this.path);
    } catch {
      // gone already
    }
  }
}
