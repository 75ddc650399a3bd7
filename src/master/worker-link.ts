// A worker's side of the control channel (protocol.ts): it says "ready" once
// its listeners are open, and stops softly when the master says so or when
// the master is gone (its connection closed: nobody would reload or stop this
// worker any more, and a new master would start its own). Health checks: the
// checking worker tells its verdicts; the others hear them.
import type { ServerVerdict } from "../check/checks.ts";
import type { Socket, System } from "../runtime/types.ts";
import { encodeMessage, isServerState, isStop, MessageReader } from "./protocol.ts";

export interface WorkerLink {
  /** Tells the master a change of state this worker's checks decided. */
  tell(verdict: ServerVerdict): void;
  /** Closes the connection quietly (the worker is exiting on its own). */
  close(): void;
}

export interface WorkerHooks {
  /** Called once: "master" when the master asks for a soft stop, "master gone" when the connection closes unasked. */
  stop(why: "master" | "master gone"): void;
  /** Another worker's checks decided a server's state. */
  follow(verdict: ServerVerdict): void;
}

/** Connects to the master at `path` and reports this worker ready. */
export async function joinMaster(system: System, path: string, worker: number, hooks: WorkerHooks): Promise<WorkerLink> {
  const reader = new MessageReader();
  let stopped = false;
  let closing = false;
  const once = (why: "master" | "master gone") => {
    if (stopped) return;
    stopped = true;
    hooks.stop(why);
  };
  const socket: Socket = await system.connectUnix(path, {
    data(chunk) {
      for (const message of reader.push(chunk)) {
        if (isStop(message)) once("master");
        else if (isServerState(message)) hooks.follow(message);
      }
    },
    drain() {},
    end() {
      socket.end();
    },
    close() {
      if (!closing) once("master gone");
    },
  });
  socket.write(encodeMessage({ type: "ready", pid: system.pid, worker }));
  return {
    tell(verdict) {
      if (!socket.closed) socket.write(encodeMessage({ type: "server-state", ...verdict }));
    },
    close() {
      closing = true;
      socket.destroy();
    },
  };
}
