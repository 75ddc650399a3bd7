// The control channel between the master and its workers (issue 16): one
// unix-domain socket per master, in a directory of its own; each worker
// connects to it once it listens and keeps that one connection for life.
// Messages are JSON objects, one per line, in both directions. Why this and
// not signals alone: a worker must tell the master it is ready (its listeners
// are open), which a signal cannot carry with its pid on both runtimes; and a
// worker sees the master die as the connection closing, with no polling.
//
//   worker → master  {"type":"ready","pid":P,"worker":N}   listening, serving
//   master → worker  {"type":"stop"}                       soft stop: stop accepting,
//                                                          finish what is in flight, exit
//   both ways        {"type":"server-state","backend":B,"server":S,"op":"UP"|"DOWN","result":{...}}
//                    worker 1 checks the servers; each change of state it decides goes to
//                    the master, which passes it to the other workers of that generation
//                    (and gives a worker that becomes ready the last state of each server)

import type { ServerVerdict } from "../check/checks.ts";

/** The environment variables a master gives each worker it starts. */
export const MASTER_SOCKET_ENV = "SLUICE_MASTER_SOCKET";
export const WORKER_NUMBER_ENV = "SLUICE_WORKER";

export type WorkerMessage = { readonly type: "ready"; readonly pid: number; readonly worker: number };
export type MasterMessage = { readonly type: "stop" };
export type ServerStateMessage = ServerVerdict & { readonly type: "server-state" };

/** The worker that runs the active health checks; the others follow its verdicts. */
export const CHECKING_WORKER = 1;

const encoder = new TextEncoder();

export function encodeMessage(message: WorkerMessage | MasterMessage | ServerStateMessage): Uint8Array {
  return encoder.encode(`${JSON.stringify(message)}\n`);
}

/** Splits the bytes of a connection into messages; a line that is not one is reported, not thrown. */
export class MessageReader {
  private partial = "";
  private readonly decoder = new TextDecoder();

  /** The complete lines in `chunk` (and what came before it), parsed. */
  push(chunk: Uint8Array): unknown[] {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.partial = lines.pop()!;
    const out: unknown[] = [];
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        out.push({ type: "invalid", line });
      }
    }
    return out;
  }
}

export function isReady(message: unknown): message is WorkerMessage {
  const m = message as Partial<WorkerMessage> | null;
  return m?.type === "ready" && typeof m.pid === "number" && typeof m.worker === "number";
}

export function isServerState(message: unknown): message is ServerStateMessage {
  const m = message as Partial<ServerStateMessage> | null;
  return m?.type === "server-state" && typeof m.backend === "string" && typeof m.server === "string" &&
    (m.op === "UP" || m.op === "DOWN") && typeof m.result === "object" && m.result !== null;
}

export function isStop(message: unknown): message is MasterMessage {
  return (message as Partial<MasterMessage> | null)?.type === "stop";
}
