// A worker's side of the control channel (protocol.ts): it says "ready" once
// its listeners are open, and stops softly when the master says so or when
// the master is gone (its connection closed: nobody would reload or stop this
// worker any more, and a new master would start its own). Health checks: the
// checking worker tells its verdicts; the others hear them. The master's
// requests (figures, runtime API commands) are answered by the hooks.
import type { ServerView } from "../admin/server-api.ts";
import type { ServerVerdict } from "../check/checks.ts";
import type { Socket, System } from "../runtime/types.ts";
import { encodeMessage, isRequest, isServerState, isStop, MessageReader, type WorkerAsk, type WorkerFigures } from "./protocol.ts";

export interface WorkerLink {
  /** Tells the master a change of state this worker's checks decided. */
  tell(verdict: ServerVerdict): void;
  /** Closes the connection quietly (the worker is exiting on its own). */
  close(): void;
}

export interface WorkerHooks {
  /**
   * Called once: "master" when the master asks for a soft stop, "master gone"
   * when the connection closes unasked. Resolves once this worker's
   * listeners are closed and hand over nothing more (the master is told so then).
   */
  stop(why: "master" | "master gone"): Promise<void>;
  /** Another worker's checks decided a server's state. */
  follow(verdict: ServerVerdict): void;
  /** The figures of this worker (the master sums them). */
  figures(): WorkerFigures;
  /** This worker's servers, as the JSON API shows them (the master's forms and API read them). */
  servers(): ServerView[];
  /** Runs a runtime API command for the master (its socket checked the level). */
  command(words: readonly string[], payload: string | undefined): string | Promise<string>;
}

/** The answer to one of the master's requests; a command that throws answers its error, as text. */
async function answer(hooks: WorkerHooks, ask: WorkerAsk): Promise<{ stats: WorkerFigures } | { servers: ServerView[] } | { answer: string }> {
  if (ask.ask === "stats") return { stats: hooks.figures() };
  if (ask.ask === "servers") return { servers: hooks.servers() };
  try {
    return { answer: await hooks.command(ask.words, ask.payload) };
  } catch (error) {
    return { answer: `${(error as Error).message}\n` };
  }
}

/** Connects to the master at `path` and reports this worker ready. */
export async function joinMaster(system: System, path: string, worker: number, hooks: WorkerHooks): Promise<WorkerLink> {
  const reader = new MessageReader();
  let stopped = false;
  let closing = false;
  const once = (why: "master" | "master gone"): Promise<void> => {
    if (stopped) return Promise.resolve();
    stopped = true;
    return hooks.stop(why);
  };
  const socket: Socket = await system.connectUnix(path, {
    data(chunk) {
      for (const message of reader.push(chunk)) {
        if (isStop(message)) {
          void once("master").then(() => {
            if (!socket.closed) socket.write(encodeMessage({ type: "unlistened", pid: system.pid }));
          });
        }
        else if (isServerState(message)) hooks.follow(message);
        else if (isRequest(message)) {
          const id = message.id;
          void answer(hooks, message).then((body) => {
            if (!socket.closed) socket.write(encodeMessage({ type: "response", id, ...body }));
          });
        }
      }
    },
    drain() {},
    end() {
      socket.end();
    },
    close() {
      if (!closing) void once("master gone");
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
