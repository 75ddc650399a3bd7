// The frames one HTTP/2 connection writes, gathered and written once per turn
// of the event loop (the runtime's `defer`): the answers of many streams,
// each produced in its own callback, leave in one write. It also knows when
// the socket pushed back (the caller stops framing DATA until drain) and
// which turn's frames are still unwritten (a queued frame's flags may still
// change then).
//
// Frames are written in place into one staging buffer per turn (the callers
// frame straight into it: reserve, write at `end`, commit), so that a turn
// costs one view for the socket rather than a buffer per frame and a join.
// After a write the socket took whole, the buffer is free again (Socket.write's
// contract) and goes back to a small shared pool: an idle connection holds
// none. After a partial write the socket keeps a view of [base, end): that
// part is never written again, and the next turn's frames go after it.
import type { Socket, Timers } from "../runtime/types.ts";

/**
 * Staging buffers of this size are pooled; a turn that needs more gets one of
 * its own. Small, because every connection that answers in one turn of the
 * event loop holds one until its flush at the turn's end (a fresh one is
 * zero-filled: 16 KiB ones cost 2-3 % of the h2 rows' time when 50 busy
 * connections outnumbered a pool of 16).
 */
const STAGING = 4 * 1024;
/** Buffers kept for reuse: at most 512 KiB, after a turn in which that many connections answered. */
const POOL_MAX = 128;
const pool: Uint8Array[] = [];
const NONE = new Uint8Array(0);

export class FrameOutput {
  /** The staging buffer: [0, base) may still be held by the socket; [base, end) is this turn's frames. */
  private buf: Uint8Array = NONE;
  private base = 0;
  /** Where the next frame goes (callers write at buf[end] after reserve()). */
  end = 0;
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

  /**
   * Room for n more octets at `end`: returns the buffer to write them into
   * (valid until the next reserve or send), then commit().
   */
  reserve(n: number): Uint8Array {
    if (this.end + n > this.buf.length) this.grow(n);
    return this.buf;
  }

  /** The frames written at [end, newEnd) of the reserved buffer are queued. */
  commit(newEnd: number): void {
    if (this.closed) return;
    this.end = newEnd;
    if (!this.queued) {
      this.queued = true;
      this.timers.defer(this.flush);
    }
  }

  /** Queues a copy of `bytes`. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    const out = this.reserve(bytes.length);
    out.set(bytes, this.end);
    this.commit(this.end + bytes.length);
  }

  /** Where the next frame goes, counted from the start of this turn's frames (stays valid if the buffer grows). */
  get mark(): number {
    return this.end - this.base;
  }

  /** Sets `flags` on the frame queued at `mark` in `turn`, if it is still unwritten; returns whether it was. */
  setFlags(turn: number, mark: number, flags: number): boolean {
    if (!this.unsent(turn)) return false;
    this.buf[this.base + mark + 4]! |= flags;
    return true;
  }

  /** Frames queued in `turn` are still unwritten. */
  unsent(turn: number): boolean {
    return turn === this.turn && this.queued;
  }

  /** Writes what is queued now (the end of the turn, or before a close). */
  readonly flush = (): void => {
    this.queued = false;
    this.turn++;
    if (this.closed || this.end === this.base) return;
    const buf = this.buf;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset + this.base, this.end - this.base);
    if (this.socket.write(bytes)) return this.release();
    // The socket keeps [base, end): later frames go after it.
    this.base = this.end;
    this.blocked = true;
    if (this.blockedSince < 0) this.blockedSince = this.timers.now();
  };

  /** The socket took everything. */
  drained(): void {
    this.blocked = false;
    this.blockedSince = -1;
    if (!this.queued) this.release();
  }

  /** Nothing queued and nothing held by the socket: the buffer goes back to the pool. */
  private release(): void {
    const buf = this.buf;
    this.buf = NONE;
    this.base = 0;
    this.end = 0;
    if (buf.length === STAGING && pool.length < POOL_MAX) pool.push(buf);
  }

  /** A buffer with room for this turn's frames and n more; they move to its start. */
  private grow(n: number): void {
    const used = this.end - this.base;
    const need = used + n;
    let next: Uint8Array;
    if (need <= STAGING) next = pool.pop() ?? new Uint8Array(STAGING);
    else {
      let size = STAGING * 2;
      while (size < need) size *= 2;
      next = new Uint8Array(size);
    }
    if (used !== 0) next.set(this.buf.subarray(this.base, this.end), 0);
    // The old buffer is either free (nothing held: base 0) or the socket's; either way it is dropped, not pooled,
    // unless nothing was ever held of it.
    if (this.base === 0 && this.buf.length === STAGING && pool.length < POOL_MAX && !this.blocked) pool.push(this.buf);
    this.buf = next;
    this.base = 0;
    this.end = used;
  }
}
