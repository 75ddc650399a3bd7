// HAProxy's two-letter termination state: who ended the session, and in which phase.

/** First letter: the cause. */
export const Cause = {
  none: "-",
  clientAbort: "C",
  serverAbort: "S",
  clientTimeout: "c",
  serverTimeout: "s",
  proxy: "P",
  /** The proxy answered by itself (return, redirect, auth), as opposed to refusing (P). */
  local: "L",
  resource: "R",
  killed: "K",
  /** `on-marked-down shutdown-sessions`: its server went DOWN and took its streams along. */
  down: "D",
  /** `on-marked-up shutdown-backup-sessions`: an active server came UP, a backup's streams were cut. */
  up: "U",
} as const;

/** Second letter: the phase the session was in. */
export const Phase = {
  none: "-",
  request: "R",
  queue: "Q",
  connect: "C",
  header: "H",
  data: "D",
  /** Transferring the last data to the client (response complete, client slow). */
  lastData: "L",
  /** Held by `http-request tarpit`. */
  tarpit: "T",
} as const;

export type CauseCode = (typeof Cause)[keyof typeof Cause];
export type PhaseCode = (typeof Phase)[keyof typeof Phase];
