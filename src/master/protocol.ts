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
//   worker → master  {"type":"unlistened","pid":P}         its listeners are closed (the
//                                                          answer to "stop": the master
//                                                          stops old workers one at a time)
//   both ways        {"type":"server-state","backend":B,"server":S,"op":"UP"|"DOWN"|"NOLB","result":{...}}
//                    worker 1 checks the servers; each change of state it decides goes to
//                    the master, which passes it to the other workers of that generation
//                    (and gives a worker that becomes ready the last state of each server)
//   master → worker  {"type":"request","id":I,"ask":"stats"}
//                    {"type":"request","id":I,"ask":"cli","words":[...],"payload":P?}
//                    {"type":"request","id":I,"ask":"servers"}
//   worker → master  {"type":"response","id":I,"stats":{rows,info,durations}} | {"type":"response","id":I,"answer":"..."}
//                    | {"type":"response","id":I,"servers":[ServerView...]}
//                    the master's stats (summed over the workers) and its runtime API (commands
//                    run by the workers, runtime changes replayed to new ones): the worker
//                    answers each request once, in any order; the id pairs them; the servers as
//                    the stats listener's JSON API shows them, for the master's forms and API

import type { ServerView } from "../admin/server-api.ts";
import type { ServerVerdict } from "../check/checks.ts";
import type { DurationRow, InfoField, StatRow } from "../stats/types.ts";

/** The environment variables a master gives each worker it starts. */
export const MASTER_SOCKET_ENV = "SLUICE_MASTER_SOCKET";
export const WORKER_NUMBER_ENV = "SLUICE_WORKER";

export type WorkerMessage = { readonly type: "ready"; readonly pid: number; readonly worker: number };
export type MasterMessage = { readonly type: "stop" };
export type UnlistenedMessage = { readonly type: "unlistened"; readonly pid: number };
export type ServerStateMessage = ServerVerdict & { readonly type: "server-state" };

/** One worker's figures, as its stats source gives them. */
export interface WorkerFigures {
  readonly rows: StatRow[];
  readonly info: InfoField[];
  readonly durations: DurationRow[];
}

/** What the master asks a worker: its figures, its servers, or a runtime API command run as `level admin`. */
export type WorkerAsk =
  | { readonly ask: "stats" }
  | { readonly ask: "servers" }
  | { readonly ask: "cli"; readonly words: readonly string[]; readonly payload?: string };
export type RequestMessage = WorkerAsk & { readonly type: "request"; readonly id: number };
/** The worker's answer: `stats` to a stats request, `servers` to a servers one, `answer` (the command's text) to a cli one. */
export type ResponseMessage =
  | { readonly type: "response"; readonly id: number; readonly stats: WorkerFigures }
  | { readonly type: "response"; readonly id: number; readonly servers: ServerView[] }
  | { readonly type: "response"; readonly id: number; readonly answer: string };

/** The worker that runs the active health checks; the others follow its verdicts. */
export const CHECKING_WORKER = 1;

const encoder = new TextEncoder();

export function encodeMessage(
  message: WorkerMessage | MasterMessage | UnlistenedMessage | ServerStateMessage | RequestMessage | ResponseMessage,
): Uint8Array {
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
    (m.op === "UP" || m.op === "DOWN" || m.op === "NOLB") && typeof m.result === "object" && m.result !== null;
}

export function isUnlistened(message: unknown): message is UnlistenedMessage {
  const m = message as Partial<UnlistenedMessage> | null;
  return m?.type === "unlistened" && typeof m.pid === "number";
}

export function isStop(message: unknown): message is MasterMessage {
  return (message as Partial<MasterMessage> | null)?.type === "stop";
}

export function isRequest(message: unknown): message is RequestMessage {
  const m = message as Partial<RequestMessage> | null;
  if (m?.type !== "request" || typeof m.id !== "number") return false;
  if (m.ask === "stats" || m.ask === "servers") return true;
  return m.ask === "cli" && Array.isArray(m.words) && m.words.every((w) => typeof w === "string") &&
    (m.payload === undefined || typeof m.payload === "string");
}

export function isResponse(message: unknown): message is ResponseMessage {
  const m = message as { type?: unknown; id?: unknown; stats?: Partial<WorkerFigures>; answer?: unknown; servers?: unknown } | null;
  if (m?.type !== "response" || typeof m.id !== "number") return false;
  if (typeof m.answer === "string" || Array.isArray(m.servers)) return true;
  const s = m.stats;
  return typeof s === "object" && s !== null && Array.isArray(s.rows) && Array.isArray(s.info) && Array.isArray(s.durations);
}
