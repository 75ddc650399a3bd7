// The glitch counter of an HTTP/2 client connection (HAProxy's word): events
// the protocol allows but that cost the server work for nothing, counted so
// that a client doing them in a loop is first slowed, then dropped with
// GOAWAY ENHANCE_YOUR_CALM:
// - a stream the client resets before its answer is complete (rapid reset,
//   CVE-2023-44487), or one refused for the stream limit;
// - an empty DATA frame without END_STREAM (empty-frame floods, CVE-2019-9518);
// - a malformed request, or invalid trailers (each reset, a loop of them is a flood);
// - a PING or SETTINGS beyond the per-second allowance (CVE-2019-9512/9515).
// The count halves every second, so a long-lived connection that resets a
// stream now and then never reaches the threshold; a flood does at once.

/** Limits from the global section. */
export interface GlitchLimits {
  /** `tune.h2.fe.glitches-threshold`: above, the connection is dropped; above half, reading is slowed. */
  threshold: number;
  /** `tune.h2.fe.max-control-frames-per-sec`: PING and SETTINGS frames a second that cost nothing. */
  controlFramesPerSec: number;
}

const WINDOW_MS = 1000;

export class GlitchCounter {
  count = 0;
  private controlFrames = 0;
  private windowStart: number;

  constructor(private readonly limits: GlitchLimits, now: number) {
    this.windowStart = now;
  }

  /** Counts `n` glitches at `now`; true when the connection is past its threshold. */
  add(now: number, n = 1): boolean {
    this.age(now);
    this.count += n;
    return this.count > this.limits.threshold;
  }

  /** A PING or SETTINGS (not an ACK) at `now`: free within the allowance, a glitch beyond. True: past the threshold. */
  control(now: number): boolean {
    this.age(now);
    return ++this.controlFrames > this.limits.controlFramesPerSec ? this.add(now) : false;
  }

  /** Past half the threshold: the client's reading is slowed. */
  get throttled(): boolean {
    return this.count > this.limits.threshold / 2;
  }

  private age(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    const windows = Math.floor(elapsed / WINDOW_MS);
    this.windowStart += windows * WINDOW_MS;
    this.count = windows >= 31 ? 0 : Math.floor(this.count / 2 ** windows);
    this.controlFrames = 0;
  }
}
