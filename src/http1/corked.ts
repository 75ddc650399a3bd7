// Output collected while one received chunk is processed, written once after
// it: a small response's head and body leave in one write, not three.
import { allocBytes, allocJoin } from "./slab.ts";

const JOIN_BELOW = 64 * 1024;
/** Joins up to this size are carved out of the byte slab. */
const SLAB_JOIN_MAX = 4096;
/** A buffer for big joins, free while no sink holds it (see writeTo). */
let joinScratch: ArrayBuffer | undefined;

export interface ByteSink {
  write(bytes: Uint8Array): boolean;
}

export class Corked {
  private pieces: Uint8Array[] = [];
  size = 0;

  get empty(): boolean {
    return this.size === 0;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(bytes);
    this.size += bytes.length;
  }

  /** Drops what was collected, optionally starting again with `first`. */
  reset(first?: Uint8Array): void {
    this.pieces.length = 0;
    this.size = 0;
    if (first !== undefined) this.push(first);
  }

  /** Writes everything to `sink`; false when the sink pushed back. */
  writeTo(sink: ByteSink): boolean {
    const pieces = this.pieces;
    const size = this.size;
    this.size = 0;
    if (pieces.length === 1) {
      // The common case: one piece, and no array made for the next flush.
      const only = pieces[0]!;
      pieces.length = 0;
      return sink.write(only);
    }
    if (size <= JOIN_BELOW) {
      // Small joins come from the slab; bigger ones (a 16 KiB response and its
      // head) reuse one scratch buffer while writes complete at once: a fresh
      // 16 KiB array per response cost ~17 % of the proxy's time under Bun.
      const big = size > SLAB_JOIN_MAX;
      const scratch = joinScratch;
      let joined: Uint8Array;
      if (!big) joined = allocBytes(size);
      else if (scratch !== undefined && scratch.byteLength >= size) {
        joinScratch = undefined; // taken: a write that re-enters cannot use it too
        joined = new Uint8Array(scratch, 0, size);
      } else joined = allocJoin(size);
      let at = 0;
      for (const p of pieces) {
        joined.set(p, at);
        at += p.length;
      }
      // Copied: the list is free again before the write (which may re-enter and push).
      pieces.length = 0;
      const done = sink.write(joined);
      // Done: the sink keeps nothing, so the scratch serves the next join (or,
      // after one was lost to a sink that kept it, a new one does). A sink that
      // never completes a write at once (Deno's) gets views of a shared slab.
      if (big && done) joinScratch = joined.buffer === scratch ? scratch : new ArrayBuffer(JOIN_BELOW);
      return done;
    }
    // A write may re-enter (drain, close) and push: collect that in a new list.
    this.pieces = [];
    let ok = true;
    for (const p of pieces) ok = sink.write(p) && ok;
    return ok;
  }
}
