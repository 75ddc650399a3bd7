// The streams a server-side connection closed lately, and whether it reset
// them itself: a late frame on one of them is ignored after our RST_STREAM
// and a STREAM_CLOSED error otherwise (RFC 9113 §5.1), while a frame on an id
// never opened is a PROTOCOL_ERROR. A ring of the last CLOSED_MEMORY ids:
// remembering costs two stores per stream (a Map cost an insertion, a
// deletion and an iterator per stream); the lookup scans the ring, and runs
// only for late frames.

/** Closed streams remembered. */
export const CLOSED_MEMORY = 256;

export class ClosedStreams {
  private ids: Int32Array | undefined;
  private ours: Uint8Array | undefined;
  /** Where the next id goes; entries before it are the newest. */
  private next = 0;
  private count = 0;

  /**
   * Stream `id` closed; `ours`: we reset it. Remembering an id again right
   * after (our RST_STREAM, then the stream forgotten) only ever turns it into ours.
   */
  remember(id: number, ours: boolean): void {
    let ids = this.ids;
    let flags = this.ours;
    if (ids === undefined || flags === undefined) {
      ids = this.ids = new Int32Array(CLOSED_MEMORY);
      flags = this.ours = new Uint8Array(CLOSED_MEMORY);
    }
    const last = (this.next + CLOSED_MEMORY - 1) % CLOSED_MEMORY;
    if (this.count > 0 && ids[last] === id) {
      if (ours) flags[last] = 1;
      return;
    }
    ids[this.next] = id;
    flags[this.next] = ours ? 1 : 0;
    this.next = (this.next + 1) % CLOSED_MEMORY;
    if (this.count < CLOSED_MEMORY) this.count++;
  }

  /** true: we reset it; false: it closed otherwise; undefined: not among the streams remembered. */
  get(id: number): boolean | undefined {
    const ids = this.ids;
    const flags = this.ours;
    if (ids === undefined || flags === undefined) return undefined;
    for (let k = 1; k <= this.count; k++) {
      const at = (this.next + CLOSED_MEMORY - k) % CLOSED_MEMORY;
      if (ids[at] === id) return flags[at] === 1;
    }
    return undefined;
  }
}
