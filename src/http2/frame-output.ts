// The frames one HTTP/2 connection writes, gathered and written once per turn
// of the event loop (the runtime's `defer`): the answers of many streams,
// each produced in its own callback, leave in one write. It also knows when
// the socket pushed back (the caller stops framing DATA until drain) and
// which turn's frames are still unwritten (a queued frame's flags may still
// change then).
import type { Socket, Timers } from "../runtime/types.ts";

export class FrameOutput {
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private queued = false;
  /** Incremented at each write. */
  turn = 0;
  /** The socket holds bytes it could not write yet: DATA waits until drained(). */
  blocked = false;
  /** Monotonic ms since the socket has pushed back; -1 when it takes everything. */
  blockedSince = -1;
  /** Nothing is written any more (the connection closed). */
  closed = false;

  constructor(private readonly socket: Socket, private readonly timers: Pick<Timers, "defer" | "now">) {}

  /** Queues `bytes` (kept as they are until the write). */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (!this.queued) {
      this.queued = true;
      this.timers.defer(this.flush);
    }
  }

  /** Frames queued in `turn` are still unwritten. */
  unsent(turn: number): boolean {
    return turn === this.turn && this.queued;
  }

  /** Writes what is queued now (the end of the turn, or before a close). */
  readonly flush = (): void => {
    this.queued = false;
    this.turn++;
    if (this.closed || this.out.length === 0) return;
    let bytes: Uint8Array;
    if (this.out.length === 1) bytes = this.out[0]!;
    else {
      bytes = new Uint8Array(this.outBytes);
      let at = 0;
      for (const b of this.out) {
        bytes.set(b, at);
        at += b.length;
      }
    }
    this.out = [];
    this.outBytes = 0;
    if (!this.socket.write(bytes)) {
      this.blocked = true;
      if (this.blockedSince < 0) this.blockedSince = this.timers.now();
    }
  };

  /** The socket took everything. */
  drained(): void {
    this.blocked = false;
    this.blockedSince = -1;
  }
}
