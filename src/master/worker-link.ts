// A worker's side of the control channel (protocol.ts): it says "ready" once
// its listeners are open, and stops softly when the master says so or when
// the master is gone (its connection closed: nobody would reload or stop this
// worker any more, and a new master would start its own).
import type { Socket, System } from "../runtime/types.ts";
import { encodeMessage, isStop, MessageReader } from "./protocol.ts";

export interface WorkerLink {
  /** Closes the connection quietly (the worker is exiting on its own). */
  close(): void;
}

/**
 * Connects to the master at `path` and reports this worker ready. `stop` is
 * called once: with "master" when the master asks for a soft stop, with
 * "master gone" when the connection closes unasked.
 */
export async function joinMaster(
  system: System,
  path: string,
  worker: number,
  stop: (why: "master" | "master gone") => void,
): Promise<WorkerLink> {
  const reader = new MessageReader();
  let stopped = false;
  let closing = false;
  const once = (why: "master" | "master gone") => {
    if (stopped) return;
    stopped = true;
    stop(why);
  };
  const socket: Socket = await system.connectUnix(path, {
    data(chunk) {
      for (const message of reader.push(chunk)) if (isStop(message)) once("master");
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
    close() {
      closing = true;
      socket.destroy();
    },
  };
}
