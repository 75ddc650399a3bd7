// `show errors`' record of a refused message (HAProxy's error snapshot): the
// last request each frontend's codec refused and the last response each
// backend's did, with who sent it and the bytes, so that an operator can see
// what a client or a server sent that sluice would not take.
import type { RefusedBytes } from "./message.ts";

export interface ErrorSnapshot extends RefusedBytes {
  readonly side: "request" | "response";
  /** Wall-clock ms of the refusal. */
  readonly when: number;
  /** The frontend the client came through. */
  readonly frontend: string;
  /** A response's backend and server (a request refused before either was chosen has none). */
  readonly backend: string | undefined;
  readonly server: { readonly name: string; readonly id: number } | undefined;
  /** Captures the process made before this one (`event #N`, from 0). */
  readonly event: number;
  /** The client's address and port. */
  readonly source: string;
}
