// What a log line and a frontend see of a session, whatever its protocol:
// the subject of one HTTP log line (a client connection and the request it
// served), and a session as the frontend keeps it.
import type { Server } from "../backend/server.ts";
import type { Backend } from "../backend/backend.ts";
import type { Socket } from "../runtime/types.ts";
import type { SessionActivity } from "./session.ts";
import type { CauseCode } from "../stream/termination.ts";

/**
 * What one log line is about: a client connection and the request it was
 * serving. An HTTP/1.1 session is its own subject (one request at a time);
 * each stream of a multiplexed session is one, with its own request timing.
 */
export interface HttpLogSubject {
  /** The session's id. */
  readonly id: number;
  readonly client: Socket;
  readonly host: { readonly name: string };
  readonly defaultBackend: Backend;
  /** Wall-clock ms of the accept; monotonic ms of the accept, of the request's first byte, of the wait before it. */
  readonly acceptDate: number;
  readonly accepted: number;
  readonly requestStart: number;
  readonly idleSince: number;
  /** Requests of the client connection so far, this one included (the TLS handshake counts in the first one's times). */
  readonly requests: number;
  /** Bytes received from the client for this request. */
  readonly bytesIn: number;
  /** The client's protocol as the log writes it ("HTTP/2.0"); undefined: the request head's HTTP/1.x version. */
  readonly httpVersion?: string;
  now(): number;
}

/** A client session as the frontend keeps it. */
export interface EndedSession {
  readonly id: number;
  readonly acceptDate: number;
  readonly client: Socket;
  activity(): SessionActivity;
  begin(early: Uint8Array[]): void;
  kill(): void;
  /** The runtime API's shutdown: its streams on `server` (any: all) end now; how many. */
  shutdown(server?: Server, cause?: CauseCode): number;
  softStop?(): void;
}
