// The average times of show stat's backend and server rows (qtime, ctime,
// rtime, ttime) and their maxima, kept as HAProxy 2.6 keeps them: a sliding
// sum over the last 512 streams (its swrate), a plain sum until there were
// that many, read as the sum over min(streams, 512) rounded up. Streams that
// never connected (a rule's answer, a refused connection) are counted among
// the streams but add no sample, so they pull the averages down as there.

/** HAProxy's TIME_STATS_SAMPLES. */
export const TIME_STATS_SAMPLES = 512;

/** The sum after one more sample, over a window of `n` samples (0: a plain sum). */
function slide(sum: number, n: number, v: number): number {
  return (n === 0 ? sum : sum - Math.floor((sum + n - 1) / n)) + v;
}

export class TimeStats {
  /** Sliding sums: time queued, connecting, waiting for the response, the whole stream (ms). */
  queue = 0;
  connect = 0;
  response = 0;
  total = 0;
  queueMax = 0;
  connectMax = 0;
  responseMax = 0;
  totalMax = 0;

  /**
   * One stream's times. `streams`: the streams counted so far, this one
   * included (req_tot over HTTP, lbtot over TCP), which sizes the window.
   */
  add(streams: number, queue: number, connect: number, response: number, total: number): void {
    const n = streams > TIME_STATS_SAMPLES ? TIME_STATS_SAMPLES : 0;
    this.queue = slide(this.queue, n, queue);
    this.connect = slide(this.connect, n, connect);
    this.response = slide(this.response, n, response);
    this.total = slide(this.total, n, total);
    if (queue > this.queueMax) this.queueMax = queue;
    if (connect > this.connectMax) this.connectMax = connect;
    if (response > this.responseMax) this.responseMax = response;
    if (total > this.totalMax) this.totalMax = total;
  }

  /** A sum's average over `streams` streams (the same count `add` was given). */
  static average(sum: number, streams: number): number {
    const n = streams > 0 && streams < TIME_STATS_SAMPLES ? streams : TIME_STATS_SAMPLES;
    return Math.floor((sum + n - 1) / n);
  }

  clearMax(): void {
    this.queueMax = this.connectMax = this.responseMax = this.totalMax = 0;
  }

  clearAll(): void {
    this.clearMax();
    this.queue = this.connect = this.response = this.total = 0;
  }
}
