// HTTP/2 connections being opened to a server, which streams waiting for a
// slot may share (http-reuse always): kept on the server, filled by the
// connector (./connector.ts).
import type { ClientMux } from "../conn/types.ts";

/** A stream waiting for a connection: told once it is open (or failed); `opened`: this stream asked for it. */
export interface MuxWaiter {
  muxReady(conn: ClientMux | undefined, error: unknown, opened: boolean): void;
}

/** A connection being opened, the room it will still have, and the streams that will share it. */
export interface PendingMux {
  /** Its reuse key (SNI, PROXY header, destination): only streams asking for the same key share it. */
  readonly key: string;
  room: number;
  readonly waiters: MuxWaiter[];
}
